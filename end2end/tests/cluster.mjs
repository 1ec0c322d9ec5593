// Helpers for the cluster test: several real Portcullis instances on one PostgreSQL database
// behind a real HAProxy, all on loopback ports picked at random.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
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

// Ports for one instance's listeners: dashboard, SMTP, public HTTP (ACME answers) and HTTPS.
export async function instancePorts(name) {
  return { name, http: await freePort(), smtp: await freePort(), public: await freePort(), https: await freePort() };
}

// One instance: `portcullis serve` on its own ports (plus `extraEnv`); resolves once healthy.
export async function startInstance(ports, url, extraEnv = {}) {
  const child = spawn(BIN, ['serve'], {
    env: {
      ...process.env,
      PORTCULLIS_DATABASE_URL: url,
      PORTCULLIS_HTTP_ADDR: `127.0.0.1:${ports.http}`,
      PORTCULLIS_SMTP_ADDR: `127.0.0.1:${ports.smtp}`,
      PORTCULLIS_PUBLIC_HTTP_ADDR: `127.0.0.1:${ports.public}`,
      PORTCULLIS_HTTPS_ADDR: `127.0.0.1:${ports.https}`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      PORTCULLIS_LOG: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${ports.http}/healthz`)).ok) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null) throw new Error(`instance ${ports.name} exited with ${child.exitCode}`);
    await sleep(100);
  }
  return { ...ports, child, exited };
}

// HAProxy in front of the instances, started before them (their servers count as down until
// their health checks pass): the dashboard and the public HTTP edge in HTTP mode, SMTP and
// HTTPS in TCP mode (TLS passes through).
export async function startBalancer(instances) {
  const lb = { http: await freePort(), smtp: await freePort(), public: await freePort(), https: await freePort() };
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-lb-'));
  const section = (name, mode, port) => `frontend ${name}
    mode ${mode}
    bind 127.0.0.1:${lb[port]}
    default_backend ${name}
backend ${name}
    mode ${mode}
${mode === 'http' ? '    option httpchk GET /healthz\n' : ''}${instances
    // The public edge has no /healthz: its servers are checked on their dashboard port.
    .map((i) => `    server ${i.name} 127.0.0.1:${i[port]} check inter 200ms fall 1 rise 2${port === 'public' ? ` port ${i.http}` : ''}`)
    .join('\n')}
`;
  const config = `global
    maxconn 2000
defaults
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
${section('web', 'http', 'http')}${section('edge', 'http', 'public')}${section('mail', 'tcp', 'smtp')}${section('tls', 'tcp', 'https')}`;
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100 && !(await accepts(lb.http)); i++) await sleep(50);
  return {
    ...lb,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Debian's pebble (a real ACME server) with its own test CA for its API, validating http-01 on
// `httpPort` of whatever `dns` says the name is. Resolves to { directory, caFile, roots(), stop }.
export async function startPebble(httpPort, dns) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pebble-'));
  const ssl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key',
    '-out', 'ca.pem', '-days', '2', '-subj', '/CN=pebble API test CA']);
  ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem',
    '-out', 'leaf.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem',
    '-days', '2', '-extfile', 'san.ext']);
  const acme = await freePort();
  const management = await freePort();
  writeFileSync(join(dir, 'pebble.json'), JSON.stringify({ pebble: {
    listenAddress: `127.0.0.1:${acme}`,
    managementListenAddress: `127.0.0.1:${management}`,
    certificate: join(dir, 'cert.pem'),
    privateKey: join(dir, 'key.pem'),
    httpPort,
    tlsPort: await freePort(),
    ocspResponderURL: '',
    externalAccountBindingRequired: false,
  } }));
  const child = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', dns], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && !(await accepts(acme)); i++) await sleep(100);
  const caFile = join(dir, 'ca.pem');
  return {
    directory: `https://127.0.0.1:${acme}/dir`,
    caFile,
    // The root that signs the certificates pebble issues (it makes a new one at each start).
    roots: () => new Promise((resolve, reject) => {
      const req = httpsGet({ host: '127.0.0.1', port: management, path: '/roots/0', ca: readFileSync(caFile) }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
    }),
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
    // Several replies may arrive in one read (a final answer and a 421 right after it): each
    // is handled in turn, a reply being complete at a line with a space after the code.
    const onReply = (code, last) => {
      const expect = [220, 250, 250, 250, 354, 250][step];
      if (code !== expect) {
        step = 99;
        socket.removeAllListeners('close');
        socket.end('QUIT\r\n');
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
    };
    socket.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (/^\d{3} /.test(line) && step <= 5) onReply(Number(line.slice(0, 3)), line);
      }
    });
  });
}
