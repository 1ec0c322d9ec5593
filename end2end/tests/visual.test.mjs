// The main pages as a user sees them (hydrated, 1280 px wide), compared with committed reference
// screenshots (screenshots.mjs): the domain list, the domain page, the policy editor, the report
// page for 7 and for 365 days, and the readiness page. The data is fixed (reports dated in 2026,
// the periods given explicitly), so only what depends on the moment of the run differs: times
// and policy ids, which are masked (painted over, keeping their size).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, signUpAdmin } from './harness.mjs';
import { matchesReference } from './screenshots.mjs';

const DAY = 86_400_000;
const FIRST = Date.UTC(2025, 10, 1);

// 240 reports over the year to 2026-10-31 from three senders, one or two failure types each:
// all before the readiness window of any run (the last days before today), so that page shows the
// same empty window whenever the test runs.
function report(i) {
  const date = new Date(FIRST + Math.floor(i * 365 / 240) * DAY).toISOString().slice(0, 10);
  const org = ['google.com', 'microsoft.com', 'yahoo.com'][i % 3];
  const details = [
    { 'result-type': 'certificate-expired', 'sending-mta-ip': `192.0.2.${i % 7}`, 'receiving-mx-hostname': `mx${1 + (i % 2)}.visual.test`, 'failed-session-count': 10 + (i % 13) },
  ];
  if (i % 4 === 0) {
    details.push({ 'result-type': 'starttls-not-supported', 'sending-mta-ip': '198.51.100.9', 'receiving-mx-hostname': 'mx2.visual.test', 'failed-session-count': 25 });
  }
  return JSON.stringify({
    'organization-name': org,
    'date-range': { 'start-datetime': `${date}T00:00:00Z`, 'end-datetime': `${date}T23:59:59Z` },
    'contact-info': `tlsrpt@${org}`,
    'report-id': `visual-${i}`,
    policies: [{
      policy: { 'policy-type': 'sts', 'policy-domain': 'visual.test', 'mx-host': ['mx1.visual.test', 'mx2.visual.test'] },
      summary: {
        'total-successful-session-count': 20_000 + ((i * 7919) % 15_000),
        'total-failure-session-count': details.reduce((n, d) => n + d['failed-session-count'], 0),
      },
      'failure-details': details,
    }],
  });
}

test('the main pages look as they did', async (t) => {
  const server = await startServer(3206, { PORTCULLIS_MONITOR_INTERVAL_SECS: '0', PORTCULLIS_REPORT_RATE_PER_MINUTE: '0' });
  const browser = await launch();
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const open = async (path) => {
    await page.goto(server.base + path);
    await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 });
  };
  // What depends on the moment of the run: dates and times (the readiness window, when things
  // were added or saved) and policy ids made from them (20261208T024150).
  // Only what is shown: folded tables hold hundreds of dates.
  const moments = () => [/\b20\d\d-\d\d-\d\d/, /\b20\d{6}T\d{6}/].map((re) => page.getByText(re).filter({ visible: true }));
  const shots = [];
  const check = async (name) => {
    const share = await matchesReference(page, name, moments());
    shots.push(`${name} ${(share * 100).toFixed(3)} %`);
  };
  try {
    await signUpAdmin(page, server.base);
    server.cli(['domain', 'add', '--org', 'acme', 'visual.test']);
    server.cli(['domain', 'add', '--org', 'acme', 'second.test']);
    server.prove('visual.test');
    await open('/domains/visual.test/policy');
    await page.getByLabel('MX patterns, one per line').fill('mx1.visual.test\nmx2.visual.test');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.waitForURL(/\/domains\/visual\.test$/);
    for (let i = 0; i < 240; i++) {
      const res = await fetch(`${server.base}/tlsrpt`, {
        method: 'POST', headers: { 'Content-Type': 'application/tlsrpt+json' }, body: report(i),
      });
      assert.equal(res.status, 201, await res.text());
    }

    await t.test('domain list', async () => {
      await open('/?org=acme');
      await check('domain-list');
    });
    await t.test('domain page', async () => {
      await open('/domains/visual.test');
      await check('domain-page');
    });
    await t.test('policy editor', async () => {
      await open('/domains/visual.test/policy');
      await check('policy-editor');
    });
    await t.test('report page, 7 days', async () => {
      await open('/domains/visual.test/reports?from=2026-10-25&to=2026-10-31');
      await check('reports-7-days');
    });
    await t.test('report page, 365 days', async () => {
      await open('/domains/visual.test/reports?from=2025-11-01&to=2026-10-31');
      await check('reports-365-days');
    });
    await t.test('readiness page', async () => {
      await open('/domains/visual.test/lifecycle');
      await check('readiness');
    });
    t.diagnostic(`pixels differing from the references: ${shots.join(', ')}`);
  } finally {
    await browser.close();
    await server.stop();
  }
});
