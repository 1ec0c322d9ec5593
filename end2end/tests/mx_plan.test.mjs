// The MX migration planner in a real browser, hydrated and with JavaScript off: an editor plans
// adding an MX host on the plan page, sees the steps in their safe order with the first one to
// do now, follows the progress when the policy lists the host (set from the command line, which
// also reads the plan as JSON), and cancels the plan after confirming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, signUpAdmin } from './harness.mjs';

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`MX migration plan (${mode})`, async (t) => {
    const server = await startServer(js ? 3202 : 3203);
    const browser = await launch();
    const page = await (await browser.newContext({ javaScriptEnabled: js })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const ready = async () => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const state = async (step) => page.locator(`li[data-step="${step}"]`).getAttribute('data-state');
    try {
      await t.test('a plan is opened from the form and laid out in order', async () => {
        await signUpAdmin(page, server.base);
        server.cli(['domain', 'add', '--org', 'acme', 'a1.test']);
        server.cli(['policy', 'set', 'a1.test', '--mode', 'testing', '--max-age', '86400', '--mx', 'mx1.a1.test']);
        await page.goto(`${server.base}/domains/a1.test`);
        await ready();
        await page.getByRole('link', { name: 'Plan an MX change' }).click();
        await page.getByRole('heading', { name: 'Plan an MX change' }).waitFor();
        await ready();
        await page.getByLabel('MX hosts to add').fill('MX2.a1.test');
        await page.getByRole('button', { name: 'Plan the change' }).click();
        await page.getByTestId('mx-plan').waitFor();
        assert.match(await page.locator('main').textContent(), /MX plan opened for a1\.test\. First step: List mx2\.a1\.test in the policy\./);
        const titles = await page.locator('ol.plan-steps > li > strong').allTextContents();
        assert.deepEqual(titles, ['1. List mx2.a1.test in the policy', '2. Publish the new policy id', '3. Add MX records for mx2.a1.test']);
        assert.equal(await state('list_new'), 'ready');
        assert.equal(await state('publish_listed'), 'blocked');
        assert.equal(await state('change_mx'), 'blocked');
        assert.match(await page.getByTestId('mx-plan-policy').textContent(), /mx: mx1\.a1\.test\s+mx: mx2\.a1\.test/);
      });

      await t.test('progress follows the policy; the command line reads the same plan', async () => {
        server.cli(['policy', 'set', 'a1.test', '--mode', 'testing', '--max-age', '86400', '--mx', 'mx1.a1.test', '--mx', 'mx2.a1.test']);
        await page.reload();
        await ready();
        assert.equal(await state('list_new'), 'done');
        assert.equal(await state('publish_listed'), 'ready');
        const plan = JSON.parse(server.cli(['domain', 'mx-plan', 'a1.test', '--json']));
        assert.equal(plan.kind, 'add');
        assert.deepEqual(plan.steps.map((s) => [s.code, s.state]), [['list_new', 'done'], ['publish_listed', 'ready'], ['change_mx', 'blocked']]);
      });

      await t.test('cancelling asks for confirmation', async () => {
        await page.getByRole('button', { name: 'Cancel the plan' }).click();
        // The confirmation box is required: nothing was sent.
        assert.equal(await page.getByTestId('mx-plan').count(), 1);
        await page.getByLabel(/Cancel it: steps already done stay done/).check();
        await page.getByRole('button', { name: 'Cancel the plan' }).click();
        await page.getByTestId('mx-plan-new').waitFor();
        assert.match(await page.locator('main').textContent(), /The MX plan for a1\.test is closed \(cancelled\)\./);
        assert.deepEqual(errors, []);
      });
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
