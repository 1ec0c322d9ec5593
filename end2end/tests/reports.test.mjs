// TLS-RPT reports in a real browser, hydrated and with JavaScript off: upload several files (a
// gzip report, a report e-mail, a file that is not a report) and read the per-file result; a
// sender's POST to /tlsrpt of the same report is then a duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { startServer, launch, signUpAdmin } from './harness.mjs';

const fixture = (name) => readFileSync(new URL(`../../fixtures/tlsrpt/${name}`, import.meta.url));

function reportMail(json) {
  const b64 = gzipSync(json).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    'From: reports@sender.example', 'Subject: TLS report', 'TLS-Report-Domain: alpha.example',
    'MIME-Version: 1.0', 'Content-Type: multipart/report; boundary="b"; report-type=tlsrpt', '',
    '--b', 'Content-Type: text/plain', '', 'report attached', '--b',
    'Content-Type: application/tlsrpt+gzip',
    'Content-Disposition: attachment; filename="sender.example!alpha.example!1!2!x.json.gz"',
    'Content-Transfer-Encoding: base64', '', b64, '--b--', '',
  ].join('\r\n'));
}

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`report upload (${mode})`, async (t) => {
    const server = await startServer(js ? 3194 : 3195, { PORTCULLIS_MONITOR_INTERVAL_SECS: '0' });
    const browser = await launch();
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    const ready = async () => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await t.test('upload shows a result per file', async () => {
        await signUpAdmin(page, server.base);
        await ready();
        await page.getByLabel('Domain name').fill('alpha.example');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('Added alpha.example to Acme.').waitFor();
        server.prove('alpha.example');
        await page.getByRole('link', { name: 'Upload reports' }).click();
        await page.waitForURL(/\/reports\/upload/);
        await ready();
        await page.getByLabel('Report files').setInputFiles([
          { name: 'rfc.json.gz', mimeType: 'application/gzip', buffer: gzipSync(fixture('good/rfc-shape.json')) },
          { name: 'mail.eml', mimeType: 'message/rfc822', buffer: reportMail(fixture('good/no-timezone.json')) },
          { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a report') },
        ]);
        await page.getByRole('button', { name: 'Upload' }).click();
        const result = page.getByTestId('upload-report');
        await result.waitFor();
        assert.match(await result.locator('strong').textContent(), /2 stored, 0 already stored, 1 failed\./);
        const rows = result.locator('tbody tr');
        assert.equal(await rows.count(), 3);
        assert.match(await rows.nth(0).textContent(), /rfc\.json\.gz.*stored.*Example Sender Inc\., report 2026-11-20T00:00:00Z_alpha\.example → alpha\.example/);
        assert.match(await rows.nth(1).textContent(), /mail\.eml: sender\.example!alpha\.example!1!2!x\.json\.gz.*stored.*Big Mail Corporation/);
        assert.match(await rows.nth(2).textContent(), /notes\.txt.*failed.*not a report/);
        await page.goto(server.base + '/domains/alpha.example');
        await ready();
        assert.equal((await page.getByTestId('reports-count').textContent()).trim(), '2');
        assert.equal((await page.getByTestId('reports-failed').textContent()).trim(), '303');
        assert.equal(await page.getByTestId('reports-recent').locator('tbody tr').count(), 2);
        await page.getByRole('link', { name: 'All reports: failures by result, sender and MX' }).click();
        await page.waitForURL(/\/domains\/alpha\.example\/reports$/);
        await page.getByLabel('From').fill('2026-11-20');
        await page.getByLabel('To').fill('2026-11-21');
        await page.getByRole('button', { name: 'Show' }).click();
        await page.waitForURL(/from=2026-11-20&to=2026-11-21/);
        assert.equal((await page.getByTestId('total-failed').textContent()).trim(), '303');
        assert.equal((await page.getByTestId('total-successful').textContent()).trim(), '5,366', 'thousands separated');
        assert.match(await page.locator('[data-result="starttls-not-supported"]').textContent(), /200/);
        assert.match(await page.getByTestId('by-day').locator('[data-key="2026-11-21"]').textContent(), /40\s*0/);
        // The chart carries the same totals as the tables, as its accessible description.
        const desc = await page.getByTestId('daily-chart').locator('svg[role="img"] desc').textContent();
        assert.match(desc, /2 days, 5366 successful and 303 failed sessions in all/);
      });

      await t.test("a chart's table shows the API's numbers", async () => {
        // A read-only API token, created the way a user would.
        await page.goto(server.base + '/orgs/acme');
        await ready();
        await page.locator('#token-name').fill('e2e check');
        await page.locator('#token-role').selectOption('viewer');
        await page.getByRole('button', { name: 'Create token' }).click();
        const secret = (await page.getByTestId('token-secret').textContent()).trim();
        const api = async (group) => {
          const res = await fetch(`${server.base}/api/v1/domains/alpha.example/tlsrpt/summary?from=2026-11-20&to=2026-11-21&group_by=${group}`,
            { headers: { Authorization: `Bearer ${secret}` } });
          assert.equal(res.status, 200);
          return res.json();
        };
        await page.goto(server.base + '/domains/alpha.example/reports?from=2026-11-20&to=2026-11-21');
        await ready();
        // The organisation chart and the table under it, against the API.
        const orgs = page.getByTestId('by-organization');
        assert.match(await orgs.locator('svg[role="img"] title').textContent(), /Failed sessions by sending organisation/);
        const byOrg = await api('organization');
        const sender = byOrg.groups.find((g) => g.key === 'Example Sender Inc.');
        assert.equal(sender.failed, 303);
        const cells = orgs.locator('[data-key="Example Sender Inc."] td');
        assert.equal((await cells.nth(1).textContent()).trim(), sender.successful.toLocaleString('en-US'));
        assert.equal((await cells.nth(2).textContent()).trim(), sender.failed.toLocaleString('en-US'));
        // The daily chart's table, day by day.
        const byDay = await api('day');
        for (const g of byDay.groups) {
          const row = page.getByTestId('by-day').locator(`[data-key="${g.key}"] td`);
          assert.equal((await row.nth(1).textContent()).trim(), g.successful.toLocaleString('en-US'));
          assert.equal((await row.nth(2).textContent()).trim(), g.failed.toLocaleString('en-US'));
        }
        assert.equal((await page.getByTestId('total-failed').textContent()).trim(), byDay.failed.toLocaleString('en-US'));
      });

      await t.test('the same report POSTed by a sender is a duplicate', async () => {
        const res = await fetch(server.base + '/tlsrpt', {
          method: 'POST',
          headers: { 'Content-Type': 'application/tlsrpt+gzip' },
          body: gzipSync(fixture('good/rfc-shape.json')),
        });
        assert.equal(res.status, 200);
        assert.equal((await res.json()).status, 'duplicate');
        const fresh = await fetch(server.base + '/tlsrpt', {
          method: 'POST',
          headers: { 'Content-Type': 'application/tlsrpt+json' },
          body: fixture('good/mx-host-string.json'),
        });
        assert.equal(fresh.status, 201);
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
