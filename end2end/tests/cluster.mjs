// Helpers for the cluster test: several real Portcullis instances on one PostgreSQL database
// behind a real HAProxy, all on loopback ports picked at random.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.PORTCULLIS_BIN ?? '../target/release/portcullis';
const ADMIN_URL = process.env.PORTCULLIS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function psql(url, sql) {
  const out = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`psql: ${out.stderr}`);
  return out.stdout.trim();
}

// A fresh database, dropped by drop(); query(sql) returns psql's unaligned output.
export function createDatabase(prefix) {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  psql(ADMIN_URL, `CREATE DATABASE ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    query: (sql) => psql(url, sql),
    drop: () => psql(ADMIN_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

// Runs the CLI against the database; resolves to its stdout (throws on a non-zero exit).
export function cli(url, args) {
  const out = spawnSync(BIN, args, {
    env: { ...process.env, PORTCULLIS_DATABASE_URL: url, PORTCULLIS_LOG: 'warn' },
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`portcullis ${args.join(' ')}: ${out.stderr}`);
  return out.stdout.trim();
}

export function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

// One instance: `portcullis serve` on its own dashboard and SMTP ports (plus `extraEnv`).
export async function startInstance(name, url, extraEnv = {}) {
  const http = await freePort();
  const smtp = await freePort();
  const child = spawn(BIN, ['serve'], {
    env: {
      ...process.env,
      PORTCULLIS_DATABASE_URL: url,
      PORTCULLIS_HTTP_ADDR: `127.0.0.1:${http}`,
      PORTCULLIS_SMTP_ADDR: `127.0.0.1:${smtp}`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      PORTCULLIS_LOG: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${http}/healthz`)).ok) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null) throw new Error(`instance ${name} exited with ${child.exitCode}`);
    await sleep(100);
  }
  return { name, http, smtp, child, exited };
}

// HAProxy in front of the instances: HTTP (health-checked on /healthz) and SMTP (TCP).
export async function startBalancer(instances) {
  const http = await freePort();
  const smtp = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-lb-'));
  const servers = (port, check) => instances
    .map((i) => `    server ${i.name} 127.0.0.1:${i[port]} check inter 200ms fall 1 rise 2${check}`)
    .join('\n');
  const config = `global
    maxconn 2000
defaults
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
frontend web
    mode http
    bind 127.0.0.1:${http}
    default_backend web
backend web
    mode http
    option httpchk GET /healthz
${servers('http', '')}
frontend mail
    mode tcp
    bind 127.0.0.1:${smtp}
    default_backend mail
backend mail
    mode tcp
${servers('smtp', '')}
`;
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100 && !(await accepts(http)); i++) await sleep(50);
  // Until the health checks have passed, HAProxy has no server to send to.
  await sleep(1_000);
  return {
    http,
    smtp,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Sends one message over SMTP and resolves to the final reply's code (or throws on a dropped
// connection). `beforeEnd` runs after half the message has been sent.
export function sendMail(port, { from, to, data, beforeEnd }) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = '';
    let step = 0;
    const half = Math.floor(data.length / 2);
    const fail = (e) => { socket.destroy(); reject(e); };
    socket.setTimeout(30_000, () => fail(new Error('SMTP timed out')));
    socket.on('error', fail);
    socket.on('close', () => reject(new Error(`SMTP connection closed at step ${step}: ${buffer.trim()}`)));
    socket.on('data', (chunk) => {
      buffer += chunk;
      // A reply is complete when its last line has a space after the code.
      const lines = buffer.split('\r\n');
      const last = lines.length > 1 ? lines[lines.length - 2] : '';
      if (!/^\d{3} /.test(last)) return;
      buffer = '';
      const code = Number(last.slice(0, 3));
      const expect = [220, 250, 250, 250, 354, 250][step];
      if (code !== expect) {
        socket.end('QUIT\r\n');
        socket.removeAllListeners('close');
        return resolve({ code, line: last });
      }
      switch (step++) {
        case 0: socket.write('EHLO sender.example\r\n'); break;
        case 1: socket.write(`MAIL FROM:<${from}>\r\n`); break;
        case 2: socket.write(`RCPT TO:<${to}>\r\n`); break;
        case 3: socket.write('DATA\r\n'); break;
        case 4:
          socket.write(data.subarray(0, half));
          Promise.resolve(beforeEnd?.()).then(() => {
            socket.write(data.subarray(half));
            socket.write('\r\n.\r\n');
          }, fail);
          break;
        case 5:
          socket.removeAllListeners('close');
          socket.end('QUIT\r\n');
          resolve({ code, line: last });
          break;
      }
    });
  });
}
