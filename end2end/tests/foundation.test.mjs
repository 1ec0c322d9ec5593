// The foundation journey in a real browser, twice: hydrated (islands validate live, dialogs
// confirm) and with JavaScript off (plain form posts, errors carried back in the URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch } from './harness.mjs';

const PASSWORD = 'correct horse battery staple';

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`foundation journey (${mode})`, async (t) => {
    const server = await startServer(js ? 3180 : 3181);
    const browser = await launch();
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    // With JavaScript, wait until the islands are live before typing into them.
    const ready = async () => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    try {
      await t.test('first start shows the one-time setup page', async () => {
        await page.goto(server.base + '/');
        assert.match(page.url(), /\/setup$/);
        await page.getByLabel('E-mail').fill('admin@example.com');
        await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
        await page.getByLabel('Repeat the password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Create administrator' }).click();
        await page.waitForURL(/\/orgs\?welcome=1$/);
      });

      await t.test('create an organisation', async () => {
        await page.getByLabel('Name').fill('Acme Corp');
        await page.getByRole('button', { name: 'Create organisation' }).click();
        await page.waitForURL(/\/\?org=acme-corp$/);
        await page.getByText('Created Acme Corp.').waitFor();
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Domains of Acme Corp');
      });

      if (js) {
        await t.test('islands hydrate: the add form validates as you type', async () => {
          await ready();
          await page.getByLabel('Domain name').fill('a..b');
          await page.getByText('empty label').waitFor({ timeout: 10_000 });
          await page.getByLabel('Domain name').fill('Bücher.example');
          await page.getByText('Will be added as').waitFor();
          assert.equal(await page.locator('#add-name-canonical code').textContent(), 'xn--bcher-kva.example');
        });
      }

      await t.test('add a domain', async () => {
        await ready();
        await page.getByLabel('Domain name').fill('example.com');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('Added example.com to Acme Corp.').waitFor();
        await page.getByRole('link', { name: 'example.com', exact: true }).waitFor();
      });

      await t.test('an invalid name is refused with the reason next to the field', async () => {
        await ready();
        const before = page.url();
        await page.getByLabel('Domain name').fill('192.0.2.1');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.locator('#add-name-error').getByText('is an IP address').waitFor();
        if (js) assert.equal(page.url(), before, 'the browser refused it without a round trip');
        else assert.match(page.url(), /__err=/);
        assert.equal(await page.getByLabel('Domain name').getAttribute('aria-invalid'), 'true');
      });

      await t.test('a duplicate is refused with a clear message', async () => {
        await page.goto(server.base + '/?org=acme-corp');
        await ready();
        await page.getByLabel('Domain name').fill('EXAMPLE.com.');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('example.com is already registered in Portcullis').waitFor();
      });

      await t.test('add an IDN and search', async () => {
        await page.goto(server.base + '/?org=acme-corp');
        await ready();
        await page.getByLabel('Domain name').fill('bücher.example');
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText('Added xn--bcher-kva.example').waitFor();
        await page.getByLabel('Search domains').fill('bcher');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.waitForURL(/q=bcher/);
        assert.equal(await page.getByTestId('domain-count').textContent(), '1 domain');
        await page.getByRole('link', { name: 'xn--bcher-kva.example' }).waitFor();
        assert.equal(await page.getByRole('link', { name: 'example.com', exact: true }).count(), 0);
      });

      await t.test('delete asks for confirmation first', async () => {
        await page.goto(server.base + '/domains/example.com');
        await ready();
        await page.getByRole('link', { name: 'Delete domain…' }).click();
        if (js) {
          const dialog = page.getByRole('dialog');
          await dialog.waitFor();
          await dialog.getByRole('button', { name: 'Cancel' }).click();
          await dialog.waitFor({ state: 'hidden' });
          assert.match(page.url(), /\/domains\/example\.com$/, 'cancel kept us on the page');
          await page.getByRole('link', { name: 'Delete domain…' }).click();
          await dialog.getByRole('button', { name: 'Delete example.com' }).click();
        } else {
          await page.waitForURL(/\/domains\/example\.com\/delete$/);
          await page.getByRole('heading', { name: 'Delete example.com?' }).waitFor();
          await page.getByRole('button', { name: 'Delete example.com' }).click();
        }
        await page.getByText('Deleted example.com.').waitFor();
        assert.equal(await page.getByRole('link', { name: 'example.com', exact: true }).count(), 0);
      });

      await t.test('sign out, and back in', async () => {
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByText('You are signed out.').waitFor();
        await page.goto(server.base + '/');
        assert.match(page.url(), /\/login\?next=/);
        await page.getByLabel('E-mail').fill('admin@example.com');
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('link', { name: 'xn--bcher-kva.example' }).waitFor();
      });

      assert.deepEqual(errors, [], 'no errors in the browser console');
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
