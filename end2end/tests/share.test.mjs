// Read-only share links in a real browser, hydrated and with JavaScript off: an owner creates a
// link for one domain and one for the whole organisation on the organisation page; a client
// (another browser, never signed in) reads the domain's status and reports, cannot reach another
// organisation's domain (the same "not found" as a random link), and loses access when the link
// is revoked or expires.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, signUpAdmin } from './harness.mjs';

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`share links for clients (${mode})`, async (t) => {
    const server = await startServer(js ? 3198 : 3199);
    const browser = await launch();
    const owner = await (await browser.newContext({ javaScriptEnabled: js })).newPage();
    const client = await (await browser.newContext({ javaScriptEnabled: js })).newPage();
    const errors = [];
    for (const p of [owner, client]) p.on('pageerror', (e) => errors.push(e.message));
    const ready = async (page) => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const notFound = async (url) => {
      const res = await client.goto(url);
      assert.equal(res.status(), 404, url);
      await client.getByTestId('share-not-found').waitFor();
      return client.locator('main').innerHTML();
    };
    try {
      let domainLink, orgLink;
      await t.test('an owner creates links on the organisation page, each shown once', async () => {
        await signUpAdmin(owner, server.base);
        server.cli(['domain', 'add', '--org', 'acme', 'a1.test', 'a2.test']);
        server.prove('a1.test');
        server.cli(['org', 'create', 'Beta']);
        server.cli(['domain', 'add', '--org', 'beta', 'b1.test']);
        await owner.goto(`${server.base}/orgs/acme`);
        await ready(owner);
        await owner.getByLabel('Domain to share').fill('a1.test');
        await owner.getByLabel('Valid for (days)').fill('7');
        await owner.getByLabel('Note for yourself').fill('for the client');
        await owner.getByRole('button', { name: 'Create share link' }).click();
        domainLink = (await owner.getByTestId('share-link').textContent()).trim();
        assert.match(domainLink, /^http:\/\/127\.0\.0\.1:\d+\/share\/sh_[A-Za-z0-9_-]{40,}$/);
        await ready(owner);
        await owner.getByRole('button', { name: 'Create share link' }).click();
        orgLink = (await owner.getByTestId('share-link').textContent()).trim();
        assert.notEqual(orgLink, domainLink);
        const rows = owner.getByTestId('share-links').locator('tbody tr');
        assert.equal(await rows.count(), 2);
        assert.match(await owner.getByTestId('share-links').textContent(), /every domain[\s\S]*a1\.test[\s\S]*for the client/);
        // Shown once: the page no longer holds the links.
        await owner.reload();
        assert.equal(await owner.getByTestId('share-link').count(), 0);
        assert.doesNotMatch(await owner.content(), /sh_[A-Za-z0-9_-]{40}/);
      });

      await t.test('the client reads one domain without signing in, and nothing else', async () => {
        await client.goto(domainLink);
        await ready(client);
        assert.equal(await client.getByRole('heading', { level: 1 }).textContent(), 'a1.test');
        assert.match(await client.getByTestId('share-scope').textContent(), /Shared read-only by Acme/);
        assert.match(await client.getByTestId('shared-mode').textContent(), /no policy yet/);
        assert.match(await client.getByTestId('shared-reports').textContent(), /0 reports/);
        assert.equal(await client.locator('meta[name="robots"]').getAttribute('content'), 'noindex, nofollow');
        assert.equal(await client.locator('main form').count(), 0, 'nothing to edit');
        assert.doesNotMatch(await client.locator('main').textContent(), /a2\.test|b1\.test/);
      });

      await t.test('an organisation link lists its domains and opens them, but not another organisation\'s', async () => {
        await client.goto(orgLink);
        await ready(client);
        const names = await client.getByTestId('shared-domains').locator('tbody tr td:first-child').allTextContents();
        assert.deepEqual(names.map((n) => n.trim()), ['a1.test', 'a2.test']);
        await client.getByRole('link', { name: 'a2.test' }).click();
        await client.getByRole('heading', { name: 'a2.test' }).waitFor();
        const random = await notFound(`${server.base}/share/sh_${'A'.repeat(43)}`);
        assert.equal(await notFound(`${orgLink}/b1.test`), random, 'another organisation\'s domain');
        assert.equal(await notFound(`${domainLink}/a2.test`), random, 'outside a one-domain link');
      });

      await t.test('a revoked link opens nothing', async () => {
        await owner.goto(`${server.base}/orgs/acme`);
        await ready(owner);
        await owner.getByRole('button', { name: 'Revoke the share link for a1.test' }).click();
        await owner.getByText('Share link revoked').waitFor();
        await notFound(domainLink);
        assert.match(await owner.getByTestId('share-links').textContent(), /revoked/);
      });

      await t.test('an expired link opens nothing', async () => {
        // An owner token creates a link that expires in three seconds.
        await owner.goto(`${server.base}/orgs/acme`);
        await ready(owner);
        await owner.locator('#token-name').fill('share test');
        await owner.locator('#token-role').selectOption('owner');
        await owner.getByRole('button', { name: 'Create token' }).click();
        const token = (await owner.getByTestId('token-secret').textContent()).trim();
        const expires = new Date(Date.now() + 3_000).toISOString();
        const res = await fetch(`${server.base}/api/v1/share-links`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ domain: 'a1.test', expires_at: expires }),
        });
        assert.equal(res.status, 201);
        const { path } = await res.json();
        await client.goto(server.base + path);
        await client.getByRole('heading', { name: 'a1.test' }).waitFor();
        await new Promise((r) => setTimeout(r, 3_500));
        await notFound(server.base + path);
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
