// Starts a real Portcullis server on a fresh SQLite database and a headless Debian chromium.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

export async function startServer(port, extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
  const bin = process.env.PORTCULLIS_BIN ?? '../target/release/portcullis';
  const databaseUrl = `sqlite://${dir}/e2e.db`;
  const child = spawn(bin, ['serve'], {
    env: {
      ...process.env,
      PORTCULLIS_DATABASE_URL: databaseUrl,
      PORTCULLIS_HTTP_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      PORTCULLIS_LOG: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    // The operator proves control of a domain added in the browser (`portcullis domain prove`,
    // on the same database): from then on its policy is served and its reports attributed.
    prove(name) {
      this.cli(['domain', 'prove', name]);
    },
    // Any command line on the same database, as an operator would run it; its stdout, trimmed.
    cli(args) {
      const done = spawnSync(bin, args, {
        env: { ...process.env, PORTCULLIS_DATABASE_URL: databaseUrl, PORTCULLIS_LOG: 'warn' },
        encoding: 'utf8',
      });
      if (done.status !== 0) throw new Error(`${args.join(' ')}: ${done.stderr}`);
      return done.stdout.trim();
    },
    async stop() {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Debian's chromium, headless. Every page opened through it is watched: an uncaught script
// error or a console error (a failed asset, an invalid SVG attribute, a hydration panic) fails
// the test when the browser is closed. A document the test asked for on purpose may answer 4xx
// (a 404 page, a refused form): the browser logs that status against the page's own URL, which
// is not a fault. Anything else a test expects is named with browser.allowConsoleError(/re/).
export async function launch() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const problems = [];
  const allowed = [];
  const watch = (context) => {
    context.on('weberror', (e) => problems.push(`uncaught error on ${e.page()?.url()}: ${e.error().message}`));
    context.on('console', (m) => {
      if (m.type() !== 'error') return;
      const text = m.text();
      const page = m.page();
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text) && page && m.location().url === page.url()) return;
      problems.push(`console error on ${page?.url()} (${m.location().url}): ${text}`);
    });
  };
  const newContext = browser.newContext.bind(browser);
  // browser.newPage() opens its own context through newContext, so both are watched.
  browser.newContext = async (options) => {
    const context = await newContext(options);
    watch(context);
    return context;
  };
  browser.allowConsoleError = (pattern) => allowed.push(pattern);
  browser.consoleProblems = () => problems.filter((p) => !allowed.some((re) => re.test(p)));
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    const left = browser.consoleProblems();
    if (left.length) throw new Error(`the browser reported ${left.length} error(s):\n${left.slice(0, 20).join('\n')}`);
  };
  return browser;
}

// A real DNS server on loopback (hickory-server) serving the given records, e.g.
// startDns(['--mx', 'example.test=10:mx1.example.test']), optionally with an HTTPS policy host
// and an SMTP server certified by a test CA (--ca-out, --policy-host, --smtp). Resolves to
// { addr, https, smtp, command(line), stop }; command() changes records while it runs
// ('mx example.test=10:mx2.example.test', 'txt NAME=TEXT').
export async function startDns(args) {
  const bin = process.env.PORTCULLIS_TEST_DNS_BIN;
  if (!bin) throw new Error('PORTCULLIS_TEST_DNS_BIN is not set (make test-e2e builds and sets it)');
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiting = [];
  let buffer = '';
  child.stdout.on('data', (d) => {
    buffer += d;
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i).trim();
      buffer = buffer.slice(i + 1);
      if (waiting.length) waiting.shift().resolve(line); else lines.push(line);
    }
  });
  child.once('exit', (code) => { for (const w of waiting.splice(0)) w.reject(new Error(`test DNS exited with ${code}`)); });
  const nextLine = () => new Promise((resolve, reject) => {
    if (lines.length) return resolve(lines.shift());
    if (child.exitCode !== null) return reject(new Error(`test DNS exited with ${child.exitCode}`));
    waiting.push({ resolve, reject });
  });
  const [addr, ...peers] = (await nextLine()).split(' ');
  const port = (name) => Number(peers.find((p) => p.startsWith(`${name}=`))?.slice(name.length + 1)) || undefined;
  return {
    addr,
    https: port('https'),
    smtp: port('smtp'),
    async command(line) {
      child.stdin.write(line + '\n');
      const answer = await nextLine();
      if (answer !== 'ok') throw new Error(`test DNS: ${answer}`);
    },
    async stop() {
      child.stdin.end();
      child.kill('SIGINT');
      // A server that ignores the interrupt must not hang the suite: it is killed after 5 s
      // (and the test fails, so the cause is looked at).
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
      clearTimeout(timer);
      if (child.signalCode === 'SIGKILL') throw new Error('test DNS did not stop on SIGINT');
      return code;
    },
  };
}

// The first run of a fresh server: the administrator's setup, then an organisation; leaves the
// page on that organisation's domain list.
export async function signUpAdmin(page, base, { email = 'admin@example.com', password = 'correct horse battery staple', org = 'Acme' } = {}) {
  await page.goto(base + '/setup');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await page.waitForURL(/\/orgs\?welcome=1$/);
  await page.getByLabel('Name').fill(org);
  await page.getByRole('button', { name: 'Create organisation' }).click();
  await page.waitForURL(/\/\?org=/);
}
