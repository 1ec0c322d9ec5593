// The policy journey in a real browser, hydrated and with JavaScript off: generate a policy from
// live MX (a real DNS server on loopback), see it checked and previewed, save it, and fetch it
// as a sender would from mta-sts.<domain>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, startDns, launch } from './harness.mjs';

const PASSWORD = 'correct horse battery staple';

// Node's fetch will not send a custom Host header; senders do, so use http.request.
function fetchPolicy(base, host) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: '/.well-known/mta-sts.txt', headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`policy journey (${mode})`, async (t) => {
    const dns = await startDns(['--mx', 'example.test=10:mx1.example.test', '--mx', 'example.test=20:mx2.example.test',
      '--mx', 'null.test=0:.']);
    const server = await startServer(js ? 3190 : 3191, { PORTCULLIS_DNS_UPSTREAM: dns.addr });
    const browser = await launch();
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    const ready = async () => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await t.test('set up an organisation with two domains', async () => {
        await page.goto(server.base + '/setup');
        await page.getByLabel('E-mail').fill('admin@example.com');
        await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
        await page.getByLabel('Repeat the password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Create administrator' }).click();
        await page.waitForURL(/\/orgs\?welcome=1$/);
        await page.getByLabel('Name').fill('Acme');
        await page.getByRole('button', { name: 'Create organisation' }).click();
        await page.waitForURL(/\/\?org=acme$/);
        for (const d of ['example.test', 'null.test']) {
          await ready();
          await page.getByLabel('Domain name').fill(d);
          await page.getByRole('button', { name: 'Add domain' }).click();
          await page.getByText(`Added ${d} to Acme.`).waitFor();
          server.prove(d);
        }
      });

      await t.test('a null MX gets an explanation instead of a proposal', async () => {
        await page.goto(server.base + '/domains/null.test');
        await page.getByRole('link', { name: 'Generate from MX' }).click();
        await page.getByTestId('mx-explanation').getByText('null MX').waitFor();
      });

      await t.test('generate from MX proposes a pattern covering both hosts', async () => {
        await page.goto(server.base + '/domains/example.test');
        assert.match(await page.getByTestId('policy-section').textContent(), /No policy yet/);
        await page.getByRole('link', { name: 'Generate from MX' }).click();
        await page.getByTestId('mx-proposal').waitFor();
        assert.equal(await page.getByLabel('MX patterns, one per line').inputValue(), '*.example.test');
        assert.match(await page.getByTestId('policy-preview').textContent(), /mx: \*\.example\.test/);
      });

      if (js) {
        await t.test('the editor checks and previews as you type', async () => {
          await ready();
          await page.getByLabel('MX patterns, one per line').fill('mx1.example.test\n192.0.2.1');
          await page.getByTestId('mx-error').getByText('line 2 (192.0.2.1)').waitFor();
          await page.getByLabel('MX patterns, one per line').fill('mx1.example.test\nmx2.example.test');
          await page.getByLabel('Mode').selectOption('enforce');
          await page.getByLabel(/^max_age/).fill('3600');
          await page.getByTestId('policy-warnings').getByText('at least a week').waitFor();
          assert.match(await page.getByTestId('policy-preview').textContent(), /mode: enforce\s+mx: mx1\.example\.test\s+mx: mx2\.example\.test\s+max_age: 3600/);
          await page.getByLabel('Mode').selectOption('testing');
          await page.getByLabel(/^max_age/).fill('86400');
        });
      } else {
        await t.test('Preview shows the draft and a refused save keeps it', async () => {
          await page.getByLabel('MX patterns, one per line').fill('mx1.example.test\n192.0.2.1');
          await page.getByRole('button', { name: 'Save policy' }).click();
          await page.getByTestId('mx-error').getByText('line 2 (192.0.2.1)').waitFor();
          assert.equal(await page.getByLabel('MX patterns, one per line').inputValue(), 'mx1.example.test\n192.0.2.1');
          await page.getByLabel('MX patterns, one per line').fill('mx1.example.test\nmx2.example.test');
          await page.getByLabel('Mode').selectOption('enforce');
          await page.getByLabel(/^max_age/).fill('3600');
          await page.getByRole('button', { name: 'Preview' }).click();
          await page.getByTestId('policy-warnings').getByText('at least a week').waitFor();
          assert.match(await page.getByTestId('policy-preview').textContent(), /mode: enforce/);
          await page.getByLabel('Mode').selectOption('testing');
          await page.getByLabel(/^max_age/).fill('86400');
        });
      }

      let id;
      await t.test('saving serves the policy at once and says which DNS id to publish', async () => {
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.waitForURL(/\/domains\/example\.test$/);
        await page.getByText('Senders fetch the new policy only after you publish its id').waitFor();
        id = (await page.getByTestId('policy-id').textContent()).trim();
        assert.match(id, /^\d{8}T\d{6}$/);
        const served = await fetchPolicy(server.base, 'MTA-STS.example.test');
        assert.equal(served.status, 200);
        assert.equal(served.type, 'text/plain; charset=utf-8');
        assert.equal(served.body, 'version: STSv1\r\nmode: testing\r\nmx: mx1.example.test\r\nmx: mx2.example.test\r\nmax_age: 86400\r\n');
        assert.equal((await fetchPolicy(server.base, 'mta-sts.null.test')).status, 404);
      });

      await t.test('a second change gets a new id and a diff in the history', async () => {
        await page.getByRole('link', { name: 'Edit policy' }).click();
        await ready();
        await page.getByLabel('MX patterns, one per line').fill('mx1.example.test');
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.waitForURL(/\/domains\/example\.test$/);
        const newId = (await page.getByTestId('policy-id').textContent()).trim();
        assert.notEqual(newId, id);
        await page.getByRole('link', { name: newId }).click();
        await page.getByText('- mx: mx2.example.test').waitFor();
        assert.equal((await fetchPolicy(server.base, 'mta-sts.example.test')).body.includes('mx2'), false);
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.stop();
      await dns.stop();
    }
  });
}
