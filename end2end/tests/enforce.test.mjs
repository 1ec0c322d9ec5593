// Testing to enforce on real peers, in a real browser (hydrated and with JavaScript off): a DNS
// server, an HTTPS policy host and an MX with STARTTLS on loopback, certified by a test CA, and
// TLS-RPT reports POSTed as senders do. The gate refuses enforce while reports are missing and
// names the failing item; once the reports are in, every item is green and enforce is one
// confirmed click. Then the MX changes in DNS: the check finds the drift, the domain page turns
// red with the one-click fix, which adds the MX to the policy with a new id. Rollback works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request } from 'node:http';
import { startServer, startDns, launch, signUpAdmin } from './harness.mjs';

const today = new Date().toISOString().slice(0, 10);

// POSTs a report as a sender at `from` would: the gate counts distinct sources (addresses or
// DKIM signers), so each sender posts from its own loopback address.
function postReport(base, from, body) {
  const url = new URL(base + '/tlsrpt');
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from,
      headers: { 'Content-Type': 'application/tlsrpt+json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function report(org, n) {
  return JSON.stringify({
    'organization-name': org,
    'date-range': { 'start-datetime': `${today}T00:00:00Z`, 'end-datetime': `${today}T23:59:59Z` },
    'contact-info': `tlsrpt@${org.toLowerCase()}.example`,
    'report-id': `${org}-${today}-${n}`,
    policies: [{
      policy: {
        'policy-type': 'sts',
        'policy-string': ['version: STSv1', 'mode: testing', 'mx: mx1.example.test', 'max_age: 86400'],
        'policy-domain': 'example.test',
        'mx-host': ['mx1.example.test'],
      },
      summary: { 'total-successful-session-count': 400 + n, 'total-failure-session-count': 0 },
    }],
  });
}

// What Portcullis serves as mta-sts.example.test (fetch() may not set Host).
function servedPolicy(port) {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/.well-known/mta-sts.txt', headers: { host: 'mta-sts.example.test' } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject).end();
  });
}

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`enforce after a passing gate, MX drift and rollback (${mode})`, async (t) => {
    const port = js ? 3184 : 3185;
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-peers-'));
    const dns = await startDns([
      '--mx', 'example.test=10:mx1.example.test',
      '--a', 'mx1.example.test=127.0.0.1',
      '--a', 'mx2.example.test=127.0.0.1',
      '--a', 'portcullis.test=127.0.0.1',
      '--cname', 'mta-sts.example.test=portcullis.test',
      '--txt', '_smtp._tls.example.test=v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test,https://portcullis.test/tlsrpt',
      '--ca-out', join(dir, 'ca.pem'),
      '--policy-host', `mta-sts.example.test=127.0.0.1:${port}`,
      '--smtp', 'mx1.example.test',
      '--smtp', 'mx2.example.test',
    ]);
    const server = await startServer(port, {
      PORTCULLIS_DNS_UPSTREAM: dns.addr,
      PORTCULLIS_PUBLIC_HOST: 'portcullis.test',
      PORTCULLIS_CHECK_ALLOW_PRIVATE: 'true',
      PORTCULLIS_CHECK_HTTPS_PORT: String(dns.https),
      PORTCULLIS_CHECK_SMTP_PORT: String(dns.smtp),
      PORTCULLIS_CHECK_CA_FILE: join(dir, 'ca.pem'),
      PORTCULLIS_MONITOR_INTERVAL_SECS: '0',
      PORTCULLIS_ALERT_INTERVAL_SECS: '0',
      // No waiting period, so the test need not wait 14 days; the report rules stay as shipped.
      PORTCULLIS_GATE_MIN_TESTING_DAYS: '0',
    });
    const browser = await launch();
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    const ready = async () => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const modeIs = async (m) => assert.match(await page.getByTestId('lifecycle-mode').textContent(), new RegExp(m));
    const gateItem = (code) => page.getByTestId('readiness').locator(`[data-gate="${code}"]`);
    const checkNow = async () => {
      await page.goto(server.base + '/domains/example.test');
      await ready();
      await page.getByRole('button', { name: 'Check now' }).click();
      await page.getByText(/Checked example\.test: DNS/).waitFor({ timeout: 30_000 });
    };
    const publishId = async () => {
      await page.goto(server.base + '/domains/example.test');
      const id = (await page.getByTestId('policy-id').textContent()).trim();
      await dns.command(`txt _mta-sts.example.test=v=STSv1; id=${id}`);
      return id;
    };
    try {
      await t.test('a testing policy with its records published', async () => {
        await signUpAdmin(page, server.base);
        await ready();
        await page.getByLabel('Domain name').fill('example.test');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('Added example.test to Acme.').waitFor();
        server.prove('example.test');
        await page.goto(server.base + '/domains/example.test/policy?mode=testing&max_age=86400&mx=mx1.example.test');
        await ready();
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.waitForURL(/\/domains\/example\.test$/);
        await publishId();
        await checkNow();
      });

      await t.test('without reports the gate refuses and names what is missing', async () => {
        await page.goto(server.base + '/domains/example.test/lifecycle');
        await ready();
        await modeIs('testing');
        for (const code of ['dns-checked', 'sts-record', 'policy-fetch', 'tlsrpt-record', 'mx-covered', 'mx-certificates', 'testing-period']) {
          assert.equal(await gateItem(code).getAttribute('data-ok'), 'true', `${code}: ${await gateItem(code).textContent()}`);
        }
        assert.equal(await gateItem('reports').getAttribute('data-ok'), 'false');
        await page.getByLabel('I have checked the items above').check();
        await page.getByRole('button', { name: 'Move to enforce' }).click();
        // No reports: no sessions either, so the failure rate is unknown and fails too.
        assert.equal(await gateItem('failure-rate').getAttribute('data-ok'), 'false');
        const refusal = page.getByText(/Not moved to enforce: the readiness gate failed \(/);
        await refusal.waitFor();
        assert.match(await refusal.textContent(), /failed \(Enough TLS-RPT reports from several senders; Few MTA-STS-relevant failures\)/);
        await modeIs('testing');
      });

      await t.test('with reports from two senders every item passes and enforce is one click', async () => {
        const senders = [['Google', 1], ['Google', 2], ['Google', 3], ['Microsoft', 1], ['Microsoft', 2]];
        const address = { Google: '127.0.0.2', Microsoft: '127.0.0.3' };
        for (const [org, n] of senders) {
          const res = await postReport(server.base, address[org], report(org, n));
          assert.equal(res.status, 201, res.text);
        }
        await page.goto(server.base + '/domains/example.test/lifecycle');
        await ready();
        const items = page.getByTestId('readiness').locator('[data-gate]');
        assert.equal(await items.count(), 10);
        for (const item of await items.all()) {
          assert.equal(await item.getAttribute('data-ok'), 'true', await item.textContent());
        }
        assert.match(await gateItem('reports').textContent(), /5 report\(s\) from 2 organisation\(s\) through 2 distinct source\(s\)/);
        assert.match(await page.getByTestId('replay-summary').textContent(), /no session would have been refused/);
        await page.locator('#enforce-reason').fill('gate passed');
        await page.getByLabel('I have checked the items above').check();
        await page.getByRole('button', { name: 'Move to enforce' }).click();
        await page.getByText(/example\.test moved from testing to enforce \(policy id \d{8}T\d{6}/).waitFor();
        await modeIs('enforce');
        const first = page.getByTestId('transitions').locator('tbody tr').first();
        assert.match(await first.textContent(), /testing.*enforce.*admin@example\.com.*gate passed/);
        assert.doesNotMatch(await first.textContent(), /gate overridden/);
      });

      await t.test('the new id, once published, is verified by the check', async () => {
        await publishId();
        await checkNow();
        await page.goto(server.base + '/domains/example.test/lifecycle');
        await page.getByTestId('dns-verified').waitFor();
        assert.equal(await page.getByTestId('mx-drift').count(), 0);
      });

      await t.test('a new MX in DNS turns the domain red with the one-click fix', async () => {
        await dns.command('mx example.test=10:mx1.example.test,20:mx2.example.test');
        await checkNow();
        const banner = page.getByTestId('mx-drift');
        await banner.waitFor();
        assert.match(await banner.textContent(), /found MX mx2\.example\.test for example\.test, but the enforced policy does not list it/);
        assert.match(await banner.textContent(), /Policy first:.*Then DNS:.*Then MX:/);
        assert.equal(await page.locator('section#dns [data-testid="dns-status"]').getAttribute('data-status'), 'error');
        await page.locator('[data-event="mx_drift"]').first().waitFor({ state: 'attached' });
        const before = (await page.getByTestId('policy-id').textContent()).trim();
        await ready();
        await banner.getByRole('button', { name: 'Add mx2.example.test to the policy' }).click();
        await page.getByText(/Step 1 done: the policy now lists mx2\.example\.test \(policy id \d{8}T\d{6}/).waitFor();
        await page.waitForURL(/\/domains\/example\.test\/lifecycle$/);
        assert.equal(await page.getByTestId('mx-drift').count(), 0, 'the fix clears the banner');
        await modeIs('enforce');
        assert.match(await page.getByTestId('dns-change').textContent(), /_mta-sts\.example\.test\. TXT "v=STSv1; id=/);
        const after = await publishId();
        assert.notEqual(after, before, 'the fix published a new policy id');
        assert.match(await servedPolicy(port), /mode: enforce[\s\S]*mx: mx1\.example\.test[\s\S]*mx: mx2\.example\.test/);
        await checkNow();
        assert.equal(await page.getByTestId('mx-drift').count(), 0);
      });

      await t.test('alerts: the drift is listed, a webhook channel gets a test message', async () => {
        const received = [];
        const sink = createServer((req, res) => {
          let body = '';
          req.on('data', (d) => { body += d; });
          req.on('end', () => { received.push({ path: req.url, body }); res.end('ok'); });
        });
        await new Promise((r) => sink.listen(0, '127.0.0.1', r));
        try {
          await page.goto(server.base + '/orgs/acme');
          await page.getByTestId('alerts-link').click();
          await page.waitForURL(/\/orgs\/acme\/alerts$/);
          await ready();
          const recent = page.getByTestId('recent-alerts');
          await recent.locator('[data-kind="mx_drift"]').waitFor();
          assert.match(await recent.locator('[data-kind="mx_drift"]').textContent(), /example\.test.*MX drift.*mx2\.example\.test/);
          await page.getByTestId('no-channels').waitFor();
          await page.getByLabel('Kind').selectOption('slack');
          await page.getByLabel('E-mail address or URL').fill(`http://127.0.0.1:${sink.address().port}/services/T0/B0/secret`);
          await page.getByRole('button', { name: 'Add channel' }).click();
          await page.getByText(/Alerts now also go to http:\/\/127\.0\.0\.1\/… \(slack\)/).waitFor();
          await ready();
          await page.getByRole('button', { name: 'Send a test to http://127.0.0.1/…' }).click();
          await page.getByText('Test message delivered to http://127.0.0.1/….').waitFor();
          assert.equal(received.length, 1);
          assert.equal(received[0].path, '/services/T0/B0/secret');
          assert.match(JSON.parse(received[0].body).text, /^\*Portcullis: test alert\*/);
          assert.match(await page.getByTestId('channel-status').textContent(), /Delivered/);
          await ready();
          await page.getByLabel('confirm').check();
          await page.getByRole('button', { name: 'Remove http://127.0.0.1/…' }).click();
          await page.getByText('Alert channel removed.').waitFor();
          await page.getByTestId('no-channels').waitFor();
        } finally {
          sink.close();
        }
      });

      await t.test('rollback to testing is one confirmed click', async () => {
        await page.goto(server.base + '/domains/example.test/lifecycle');
        await ready();
        await page.getByLabel('I want senders to stop enforcing for this domain').check();
        await page.getByRole('button', { name: 'Move to testing' }).click();
        await page.getByText(/example\.test moved from enforce to testing/).waitFor();
        await modeIs('testing');
        assert.match(await servedPolicy(port), /mode: testing/);
      });

      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.stop();
      await dns.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
