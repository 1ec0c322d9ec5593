// Delegated DNS in a real browser, hydrated and with JavaScript off: a domain added with
// delegation (the recommended choice), its three CNAMEs published in the owners' DNS (the test
// DNS), the check finding them (which proves control), a policy saved and the domain moved to
// enforce, while a real recursive resolver (unbound, stub zones for the owners' zone and the
// built-in server's) sees each new id at once, and no page ever asks for a manual TXT change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startDns, launch, signUpAdmin } from './harness.mjs';

const ZONE = 'sts.test';
const DOMAIN = 'deleg.test';
// What a page must not say once the records follow by themselves.
const MANUAL = /now publish _mta-sts|publish the new id|Then update the _mta-sts|Update the record, then|only after you publish its id/i;

async function startUnbound(port, zoneServer, owners) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-unbound-'));
  const [zh, zp] = zoneServer.split(':');
  const [oh, op] = owners.split(':');
  writeFileSync(join(dir, 'unbound.conf'), [
    'server:', '  interface: 127.0.0.1', `  port: ${port}`, '  do-not-query-localhost: no',
    '  access-control: 127.0.0.0/8 allow', '  username: ""', '  chroot: ""', `  directory: "${dir}"`,
    '  pidfile: ""', '  use-syslog: no', '  logfile: ""', '  module-config: "iterator"',
    '  cache-max-ttl: 1', '  cache-max-negative-ttl: 1', '  qname-minimisation: no', '  do-ip6: no',
    '  local-zone: "test." nodefault',
    'stub-zone:', `  name: "${ZONE}"`, `  stub-addr: ${zh}@${zp}`,
    'stub-zone:', '  name: "test"', `  stub-addr: ${oh}@${op}`, '',
  ].join('\n'));
  const child = spawn('/usr/sbin/unbound', ['-d', '-c', join(dir, 'unbound.conf')], { stdio: 'ignore' });
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  for (let i = 0; i < 100; i++) {
    try { await resolver.resolveMx(DOMAIN); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return {
    addr: `127.0.0.1:${port}`,
    async sts() {
      try { return (await resolver.resolveTxt(`_mta-sts.${DOMAIN}`)).map((r) => r.join('')); } catch { return []; }
    },
    // What the resolver answers once its cache (at most a second, counted in whole seconds)
    // lets the new record through: asked again until it is `want` or 5 s have passed.
    async stsBecomes(want) {
      let got = [];
      for (let i = 0; i < 50; i++) {
        got = await this.sts();
        if (got.length === 1 && got[0] === want) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return got;
    },
    stop() { child.kill(); rmSync(dir, { recursive: true, force: true }); },
  };
}

for (const js of [true, false]) {
  const mode = js ? 'hydrated' : 'JavaScript off';
  test(`delegated DNS: three CNAMEs once, then nothing to publish (${mode})`, async (t) => {
    const base = js ? 3196 : 3197;
    const dns = await startDns([
      '--mx', `${DOMAIN}=10:mx.${DOMAIN}`,
      '--a', `mx.${DOMAIN}=127.0.0.1`,
      '--a', 'portcullis.test=127.0.0.1',
    ]);
    const zoneAddr = `127.0.0.1:${base + 12200}`;
    const unbound = await startUnbound(base + 12300, zoneAddr, dns.addr);
    const server = await startServer(base, {
      PORTCULLIS_DNS_UPSTREAM: unbound.addr,
      PORTCULLIS_DNS_ADDR: zoneAddr,
      PORTCULLIS_DNS_ZONE: ZONE,
      PORTCULLIS_DNS_RATE_LIMIT: '0',
      PORTCULLIS_PUBLIC_HOST: 'portcullis.test',
      PORTCULLIS_CHECK_ALLOW_PRIVATE: 'true',
      PORTCULLIS_CHECK_HTTPS_PORT: '9',
      PORTCULLIS_CHECK_SMTP_PORT: '9',
      PORTCULLIS_MONITOR_INTERVAL_SECS: '0',
      PORTCULLIS_ALERT_INTERVAL_SECS: '0',
    });
    const browser = await launch();
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    const ready = async () => { if (js) await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 }); };
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const noManualStep = async () => assert.doesNotMatch(await page.locator('body').textContent(), MANUAL, page.url());
    const checkNow = async () => {
      await page.goto(`${server.base}/domains/${DOMAIN}`);
      await ready();
      await page.getByRole('button', { name: 'Check now' }).click();
      await page.getByText(`Checked ${DOMAIN}: DNS`).waitFor({ timeout: 30_000 });
    };
    try {
      await t.test('onboarding recommends delegation and lists the three CNAMEs', async () => {
        await signUpAdmin(page, server.base);
        await ready();
        assert.equal(await page.locator('#add-setup-delegated').isChecked(), true, 'delegation is the default');
        await page.getByLabel('Domain name').fill(DOMAIN);
        await page.getByRole('button', { name: 'Add domain' }).click();
        await page.getByText(`Added ${DOMAIN} to Acme. Next: publish its three delegation CNAMEs`).waitFor();
        await page.goto(`${server.base}/domains/${DOMAIN}`);
        await ready();
        assert.equal(await page.getByTestId('dns-setup').getAttribute('data-setup'), 'delegated');
        assert.equal(await page.getByTestId('delegation-status').getAttribute('data-in-place'), 'false');
        await page.getByTestId('proof-banner').waitFor();
        const rows = page.getByTestId('dns-records').locator('tbody tr');
        assert.equal(await rows.count(), 3);
        const records = [];
        for (const row of await rows.all()) {
          const [name, type, value] = (await row.locator('td').allTextContents()).map((s) => s.trim());
          assert.equal(type, 'CNAME');
          assert.match(value, new RegExp(`^[_a-z.-]+\\.[0-9a-f]{32}\\.sts\\.test\\.$`));
          records.push([name, value]);
        }
        assert.deepEqual(records.map(([n]) => n), [`_mta-sts.${DOMAIN}`, `_smtp._tls.${DOMAIN}`, `mta-sts.${DOMAIN}`]);
        assert.match(await page.getByTestId('dns-zone').textContent(), /_mta-sts\.deleg\.test\.\s+3600\s+IN\s+CNAME\s+_mta-sts\.[0-9a-f]{32}\.sts\.test\./);
        await noManualStep();
        // The owner publishes them once.
        for (const [name, value] of records) await dns.command(`cname ${name}=${value.replace(/\.$/, '')}`);
      });

      await t.test('the check sees the delegation, which also proves control', async () => {
        await checkNow();
        await page.locator('[data-code="delegation-ok"]').waitFor({ state: 'attached' });
        await page.locator('[data-code="proof-delegation"]').waitFor({ state: 'attached' });
        await page.goto(`${server.base}/domains/${DOMAIN}`);
        await ready();
        assert.equal(await page.getByTestId('delegation-status').getAttribute('data-in-place'), 'true');
        assert.equal(await page.getByTestId('proof-banner').count(), 0);
        await noManualStep();
      });

      let id;
      await t.test('a saved policy needs nothing published: the resolver sees the id at once', async () => {
        await page.goto(`${server.base}/domains/${DOMAIN}/policy?mode=testing&max_age=86400&mx=mx.${DOMAIN}`);
        await ready();
        await page.getByText('its _mta-sts record follows by itself').waitFor();
        await noManualStep();
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.waitForURL(new RegExp(`/domains/${DOMAIN.replace('.', '\\.')}$`));
        await page.getByText('Nothing to publish: this server already answers the new id').waitFor();
        id = (await page.getByTestId('policy-id').textContent()).trim();
        await page.getByTestId('id-automatic').waitFor();
        await noManualStep();
        assert.deepEqual(await unbound.stsBecomes(`v=STSv1; id=${id}`), [`v=STSv1; id=${id}`]);
        await checkNow();
        await page.locator('[data-code="sts-record-ok"]').waitFor({ state: 'attached' });
        await page.locator('[data-code="tlsrpt-record-ok"]').waitFor({ state: 'attached' });
      });

      await t.test('moving to enforce needs nothing published either', async () => {
        await page.goto(`${server.base}/domains/${DOMAIN}/lifecycle`);
        await ready();
        assert.equal(await page.getByTestId('dns-change').getAttribute('data-automatic'), 'true');
        await noManualStep();
        await page.getByLabel(`Type ${DOMAIN} to override`).fill(DOMAIN);
        await page.getByLabel('Why (recorded; required to override)').fill('delegated pilot');
        await page.getByLabel('I have checked the items above').check();
        await page.getByRole('button', { name: 'Move to enforce' }).click();
        await page.getByText(/deleg\.test moved from testing to enforce \(policy id \d{8}T\d{6}[^)]*\)\. Nothing to publish/).waitFor();
        await noManualStep();
        await page.goto(`${server.base}/domains/${DOMAIN}`);
        const enforced = (await page.getByTestId('policy-id').textContent()).trim();
        assert.notEqual(enforced, id);
        assert.deepEqual(await unbound.stsBecomes(`v=STSv1; id=${enforced}`), [`v=STSv1; id=${enforced}`]);
        await checkNow();
        await page.locator('[data-code="sts-record-ok"]').waitFor({ state: 'attached' });
        await noManualStep();
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.stop();
      unbound.stop();
      await dns.stop();
    }
  });
}
