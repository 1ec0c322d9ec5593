// A year of reports in a real browser: the report page for 365 days draws its charts without a
// single browser console error (daily bars narrower than a pixel once gave negative widths),
// opens with what needs attention, folds its long tables, stays well under 6,000 px tall, and
// writes its numbers with thousands separators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, signUpAdmin } from './harness.mjs';

const DAY = 86_400_000;
const day = (msAgo) => new Date(Date.now() - msAgo).toISOString().slice(0, 10);

function report(i) {
  const date = day((301 - i) * DAY);
  const org = ['google.com', 'microsoft.com', 'yahoo.com'][i % 3];
  return JSON.stringify({
    'organization-name': org,
    'date-range': { 'start-datetime': `${date}T00:00:00Z`, 'end-datetime': `${date}T23:59:59Z` },
    'contact-info': `tlsrpt@${org}`,
    'report-id': `year-${i}`,
    policies: [{
      policy: { 'policy-type': 'sts', 'policy-domain': 'year.test', 'mx-host': ['mx1.year.test'] },
      summary: { 'total-successful-session-count': 5_000 + i, 'total-failure-session-count': 30 },
      'failure-details': [
        { 'result-type': 'certificate-expired', 'sending-mta-ip': `192.0.2.${i % 7}`, 'receiving-mx-hostname': `mx${1 + (i % 3)}.year.test`, 'failed-session-count': 20 },
        { 'result-type': 'starttls-not-supported', 'sending-mta-ip': `192.0.2.${i % 5}`, 'receiving-mx-hostname': 'mx1.year.test', 'failed-session-count': 10 },
      ],
    }],
  });
}

test('a year of reports on one page', async (t) => {
  const server = await startServer(3204, { PORTCULLIS_REPORT_RATE_PER_MINUTE: '0' });
  const browser = await launch();
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await signUpAdmin(page, server.base);
    server.cli(['domain', 'add', '--org', 'acme', 'year.test']);
    server.prove('year.test');
    for (let i = 0; i < 300; i++) {
      const res = await fetch(`${server.base}/tlsrpt`, {
        method: 'POST', headers: { 'Content-Type': 'application/tlsrpt+json' }, body: report(i),
      });
      assert.equal(res.status, 201, await res.text());
    }

    await t.test('the 365-day page renders cleanly, short and readable', async () => {
      await page.goto(`${server.base}/domains/year.test/reports?from=${day(365 * DAY)}&to=${day(DAY)}`);
      await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 });
      assert.deepEqual(errors, []);
      // 300 reports of 5,000 + i successful sessions: 1,544,850 in all.
      assert.equal((await page.getByTestId('total-successful').textContent()).trim(), '1,544,850');
      assert.equal((await page.getByTestId('total-failed').textContent()).trim(), '9,000');
      const attention = await page.getByTestId('attention').textContent();
      assert.match(attention, /Most failures: certificate-expired \(6,000 sessions, 67 % of the failures\)/);
      assert.match(attention, /Receiving MX with most failures: mx1\.year\.test \(5,000 sessions\)/);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(height < 6000, `page height ${height} px`);
      t.diagnostic(`365-day page: ${height} px tall`);
      // The per-day table is folded and one click away.
      const row = page.getByTestId('by-day').locator('tbody tr').first();
      assert.equal(await row.isVisible(), false);
      const summary = page.getByTestId('by-day').locator('summary');
      assert.equal((await summary.textContent()).trim(), 'Show the table (365 rows)', 'every day of the period');
      await summary.click();
      assert.equal(await row.isVisible(), true);
      // Charts fill the card.
      const [chart, card] = await page.getByTestId('daily-chart').evaluate((el) => [el.querySelector('svg').getBoundingClientRect().width, el.getBoundingClientRect().width]);
      assert.ok(chart > card * 0.85, `chart ${chart} px in a ${card} px card`);
    });
  } finally {
    await browser.close();
    await server.stop();
  }
});
