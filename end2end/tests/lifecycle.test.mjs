// The Mode page in a real browser, hydrated and with JavaScript off: a fresh testing policy
// fails the readiness gate (the refusal names the failing items), the editor will not switch
// the mode behind the gate's back, an owner's override with the typed domain name moves it to
// enforce, and the rollback to testing is one confirmed click. Every step is in the history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, signUpAdmin } from './harness.mjs';

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`testing to enforce and back (${mode})`, async (t) => {
    const server = await startServer(js ? 3196 : 3197, { PORTCULLIS_MONITOR_INTERVAL_SECS: '0' });
    const browser = await launch();
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    const ready = async () => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const modeIs = async (m) => assert.match(await page.getByTestId('lifecycle-mode').textContent(), new RegExp(m));
    try {
      await t.test('a new policy starts in testing', async () => {
        await signUpAdmin(page, server.base);
        await ready();
        await page.getByLabel('Domain name').fill('alpha.example');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('Added alpha.example to Acme.').waitFor();
        server.prove('alpha.example');
        await page.goto(server.base + '/domains/alpha.example/policy');
        await ready();
        await page.getByLabel('MX patterns, one per line').fill('mx1.alpha.example');
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.waitForURL(/\/domains\/alpha\.example$/);
        await page.getByTestId('lifecycle-link').click();
        await page.waitForURL(/\/domains\/alpha\.example\/lifecycle$/);
        await modeIs('testing');
      });

      await t.test('the gate lists what is missing and refuses enforce', async () => {
        const gate = page.getByTestId('readiness');
        assert.equal(await gate.locator('[data-gate="dns-checked"]').getAttribute('data-ok'), 'false');
        assert.match(await gate.locator('[data-gate="testing-period"]').textContent(), /0 of 14 days in testing: 14 to go\./);
        assert.match(await gate.locator('[data-gate="reports"]').textContent(), /0 report\(s\) from 0 organisation\(s\)/);
        assert.equal(await gate.locator('[data-gate="replay"]').getAttribute('data-ok'), 'true');
        await ready();
        await page.getByLabel('I have checked the items above').check();
        await page.getByRole('button', { name: 'Move to enforce' }).click();
        const error = page.getByText(/Not moved to enforce: the readiness gate failed \(DNS checked recently;/);
        await error.waitFor();
        await modeIs('testing');
      });

      await t.test('the editor keeps the mode', async () => {
        await page.goto(server.base + '/domains/alpha.example/policy');
        await ready();
        await page.getByLabel('Mode').selectOption('enforce');
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.getByText(/change the mode on the domain's Mode page/).waitFor();
      });

      await t.test("an owner's override moves it to enforce, recorded", async () => {
        await page.goto(server.base + '/domains/alpha.example/lifecycle');
        await ready();
        await page.getByLabel('Type alpha.example to override').fill('alpha.example');
        await page.getByLabel('Why (recorded; required to override)').fill('pilot domain, no mail yet');
        await page.getByLabel('I have checked the items above').check();
        await page.getByRole('button', { name: 'Move to enforce' }).click();
        await page.getByText(/alpha\.example moved from testing to enforce \(policy id \d{8}T\d{6}/).waitFor();
        await modeIs('enforce');
        assert.match(await page.getByTestId('dns-change').textContent(), /_mta-sts\.alpha\.example\. TXT "v=STSv1; id=\d{8}T\d{6}/);
        const first = page.getByTestId('transitions').locator('tbody tr').first();
        assert.match(await first.textContent(), /testing.*enforce.*\(gate overridden\).*admin@example\.com.*pilot domain, no mail yet/);
      });

      await t.test('rollback to testing is one confirmed click', async () => {
        await page.getByLabel('I want senders to stop enforcing for this domain').check();
        await page.getByRole('button', { name: 'Move to testing' }).click();
        await page.getByText(/alpha\.example moved from enforce to testing/).waitFor();
        await modeIs('testing');
        const rows = page.getByTestId('transitions').locator('tbody tr');
        assert.equal(await rows.count(), 3);
        assert.match(await rows.last().textContent(), /unconfigured.*testing.*first policy/);
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
