// DNS guidance and the live check in a real browser, hydrated and with JavaScript off: the
// records to publish, "check now" against a real DNS server on loopback, the findings, and the
// status badge on the domains list. The page's numbers are checked against the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startDns, launch, signUpAdmin } from './harness.mjs';

const PASSWORD = 'correct horse battery staple';

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`DNS records and live check (${mode})`, async (t) => {
    const dns = await startDns([
      '--mx', 'example.test=10:mx.example.test',
      '--a', 'mx.example.test=127.0.0.1',
      '--a', 'portcullis.test=127.0.0.1',
      '--cname', 'mta-sts.example.test=portcullis.test',
      '--txt', '_mta-sts.example.test=v=STSv1; id=old1',
      '--txt', '_smtp._tls.example.test=v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test',
    ]);
    // Nothing listens on port 9 (discard): the policy fetch and the MX probe fail to connect,
    // which the check must report rather than hang on.
    const server = await startServer(js ? 3192 : 3193, {
      PORTCULLIS_DNS_UPSTREAM: dns.addr,
      PORTCULLIS_PUBLIC_HOST: 'portcullis.test',
      PORTCULLIS_CHECK_ALLOW_PRIVATE: 'true',
      PORTCULLIS_CHECK_HTTPS_PORT: '9',
      PORTCULLIS_CHECK_SMTP_PORT: '9',
      PORTCULLIS_MONITOR_INTERVAL_SECS: '0',
    });
    const browser = await launch();
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    const ready = async () => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      let id;
      await t.test('a domain with a policy shows the records to publish', async () => {
        await signUpAdmin(page, server.base, { password: PASSWORD });
        await ready();
        await page.getByLabel('Domain name').fill('example.test');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('Added example.test to Acme.').waitFor();
        server.prove('example.test');
        assert.match(await page.getByTestId('dns-status').first().textContent(), /never checked/);
        await page.goto(server.base + '/domains/example.test/policy?mode=testing&max_age=604800&mx=mx.example.test');
        await ready();
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.waitForURL(/\/domains\/example\.test$/);
        id = (await page.getByTestId('policy-id').textContent()).trim();
        const records = page.getByTestId('dns-records');
        await records.getByText('portcullis.test.').waitFor();
        await records.getByText(`v=STSv1; id=${id}`).waitFor();
        await records.getByText('v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test,https://portcullis.test/tlsrpt').waitFor();
        assert.match(await page.getByTestId('dns-zone').textContent(), new RegExp(`_mta-sts\\.example\\.test\\.\\s+3600\\s+IN\\s+TXT\\s+"v=STSv1; id=${id}"`));
        const copy = page.getByRole('button', { name: 'Copy the value of _mta-sts.example.test TXT' });
        // A copy button only makes sense with JavaScript; without it the value is plain text.
        assert.equal(await copy.isVisible(), js);
      });

      await t.test('check now reports the stale id with the fix', async () => {
        await ready();
        await page.getByRole('button', { name: 'Check now' }).click();
        await page.waitForURL(/\/domains\/example\.test#dns$/);
        await page.getByText('Checked example.test: DNS error.').waitFor();
        const mismatch = page.locator('[data-code="sts-record-id-mismatch"]');
        await mismatch.getByText('id=old1', { exact: true }).waitFor();
        await mismatch.getByText(`"v=STSv1; id=${id}"`, { exact: false }).first().waitFor();
        await page.locator('[data-code="policy-fetch-connect"]').waitFor();
        await page.locator('[data-code="starttls-connect"]').waitFor();
        assert.equal(await page.locator('section#dns [data-testid="dns-status"]').getAttribute('data-status'), 'error');
        // The passed checks are listed too (collapsed while there are problems).
        assert.equal(await page.locator('[data-testid="findings-ok"] [data-code="mx-covered"]').count(), 1);
      });

      await t.test('the page shows what the API returns', async () => {
        const cookies = await context.cookies();
        const res = await fetch(`${server.base}/sfn/get_dns`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') },
          body: 'name=example.test',
        });
        assert.equal(res.status, 200);
        const view = await res.json();
        const problems = view.findings.filter((f) => f.severity !== 'ok').length;
        assert.equal(await page.locator('[data-testid="findings"] > li').count(), problems);
        assert.match(await page.locator('.check-summary').textContent(),
          new RegExp(`${view.findings.filter((f) => f.severity === 'error').length} errors?`));
      });

      await t.test('a new domain is proven by the TXT token the check finds', async () => {
        await page.goto(server.base + '/');
        await ready();
        await page.getByLabel('Domain name').fill('proof.test');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('Added proof.test to Acme.').waitFor();
        await page.goto(server.base + '/domains/proof.test');
        await ready();
        const banner = page.getByTestId('proof-banner');
        await banner.waitFor();
        assert.equal((await page.getByTestId('proof-name').textContent()).trim(), '_portcullis-challenge.proof.test');
        const value = (await page.getByTestId('proof-value').textContent()).trim();
        assert.match(value, /^portcullis-proof=[0-9a-f]{32}$/);
        await page.getByRole('button', { name: 'Check now' }).click();
        await page.locator('[data-code="proof-missing"]').waitFor();
        await dns.command(`txt _portcullis-challenge.proof.test=${value}`);
        await ready();
        await page.getByRole('button', { name: 'Check now' }).click();
        await page.locator('[data-code="proof-txt"]').waitFor({ state: 'attached' });
        await page.goto(server.base + '/domains/proof.test');
        await ready();
        assert.equal(await page.getByTestId('proof-banner').count(), 0, 'proven: the banner is gone');
      });

      await t.test('the domains list shows the status badge', async () => {
        await page.goto(server.base + '/');
        assert.match(await page.getByTestId('dns-status').first().textContent(), /DNS error/);
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.stop();
      await dns.stop();
    }
  });
}
