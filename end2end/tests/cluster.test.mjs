// Three real instances on one PostgreSQL database behind a real HAProxy, as an operator runs
// them: a policy saved on one is served by the others within a second; pebble's certificate (its
// http-01 validation through the balancer, so to any instance) and its renewal are served by all
// three; the monitor checks each domain once; every alert channel gets each alert once; one instance is killed (SIGKILL) while
// 1,000 reports stream in over HTTP and SMTP through the balancer, and every acknowledged report
// is stored once; another gets SIGTERM with a request body and a mail half sent, finishes both
// and exits 0 within the grace period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer as createHttpServer, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { startDns } from './harness.mjs';
import { connect as tlsConnect } from 'node:tls';
import { accepts, cli, createDatabase, instancePorts, sendMail, sleep, startBalancer, startInstance, startPebble } from './cluster.mjs';

const FIXTURE = JSON.parse(readFileSync(new URL('../../fixtures/tlsrpt/good/rfc-shape.json', import.meta.url)));
const RECIPIENT = 'tlsrpt@portcullis.test';
const REPORTS = 1_000;
const GRACE_SECS = 10;
const DOMAINS = ['alpha.example', ...Array.from({ length: 40 }, (_, i) => `d${i}.example`)];

const haveHaproxy = spawnSync('haproxy', ['-v']).status === 0;

function report(id) {
  return Buffer.from(JSON.stringify({ ...FIXTURE, 'report-id': id }));
}

function reportMail(id) {
  const b64 = gzipSync(report(id)).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    'From: noreply-smtp-tls-reporting@sender.example', `To: ${RECIPIENT}`,
    `Subject: Report Domain: alpha.example Report-ID: <${id}>`, 'TLS-Report-Domain: alpha.example',
    'TLS-Report-Submitter: sender.example', 'MIME-Version: 1.0',
    'Content-Type: multipart/report; boundary="b"; report-type=tlsrpt', '',
    '--b', 'Content-Type: text/plain', '', 'report attached', '--b',
    'Content-Type: application/tlsrpt+gzip',
    `Content-Disposition: attachment; filename="sender.example!alpha.example!1!2!${id}.json.gz"`,
    'Content-Transfer-Encoding: base64', '', b64, '--b--', '',
  ].join('\r\n'));
}

async function postReport(port, id) {
  const res = await fetch(`http://127.0.0.1:${port}/tlsrpt`, {
    method: 'POST',
    headers: { 'content-type': 'application/tlsrpt+gzip' },
    body: gzipSync(report(id)),
  });
  await res.arrayBuffer();
  return res.status;
}

// One report, retried as a sender would until it is acknowledged (201 or 250).
async function deliver(lb, i) {
  const id = `cluster-${i}`;
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      if (i % 2 === 0) {
        // 200: already stored (the instance that stored it died before answering).
        const status = await postReport(lb.http, id);
        if (status === 201 || status === 200) return;
      } else {
        const { code } = await sendMail(lb.smtp, { from: 'reporter@sender.example', to: RECIPIENT, data: reportMail(id) });
        if (code === 250) return;
      }
    } catch { /* connection dropped: retry */ }
    await sleep(100 + attempt * 50);
  }
  throw new Error(`report ${id} was never acknowledged`);
}

// A policy fetch as senders make it, straight at one instance.
function fetchPolicy(port, domain) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/.well-known/mta-sts.txt', headers: { host: `mta-sts.${domain}` } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// Receives alert webhooks on /a and /b.
async function startSink() {
  const received = { '/a': [], '/b': [] };
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (received[req.url]) received[req.url].push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, received, stop: () => server.close() };
}

test('three instances on one PostgreSQL behind HAProxy', { skip: !haveHaproxy && 'haproxy is not installed (make setup installs it)', timeout: 600_000 }, async (t) => {
  const db = createDatabase('portcullis_cluster');
  const dns = await startDns(['--latency-ms', '20', '--a', 'portcullis.test=127.0.0.1', '--a', 'mta-sts.alpha.example=127.0.0.1']);
  const sink = await startSink();
  const ports = [await instancePorts('a'), await instancePorts('b'), await instancePorts('c')];
  const lb = await startBalancer(ports);
  const pebble = await startPebble(lb.public, dns.addr);
  const instances = [];
  try {
    cli(db.url, ['org', 'create', 'Alpha']);
    const token = cli(db.url, ['token', 'create', '--org', 'alpha', '--role', 'owner']);
    for (const path of ['/a', '/b']) {
      db.query(`INSERT INTO alert_channels (org_id, kind, target, created_by, created_at, sent_through) \
        SELECT id, 'webhook', 'http://127.0.0.1:${sink.port}${path}', 'test', 0, 0 FROM orgs`);
    }
    const env = {
      PORTCULLIS_PUBLIC_HOST: 'portcullis.test',
      PORTCULLIS_DNS_UPSTREAM: dns.addr,
      PORTCULLIS_ACME_DIRECTORY: pebble.directory,
      PORTCULLIS_ACME_CA_FILE: pebble.caFile,
      PORTCULLIS_MONITOR_INTERVAL_SECS: '3600',
      PORTCULLIS_ALERT_INTERVAL_SECS: '10',
      PORTCULLIS_CHECK_ALLOW_PRIVATE: 'true',
      PORTCULLIS_REPORT_RATE_PER_MINUTE: '0',
      PORTCULLIS_SHUTDOWN_GRACE_SECS: String(GRACE_SECS),
    };
    // The domains exist before b and c start: their first monitor passes race for them.
    const first = await startInstance(ports[0], db.url, env);
    instances.push(first);
    for (const name of DOMAINS) {
      const res = await fetch(`http://127.0.0.1:${first.http}/api/v1/domains`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      assert.equal(res.status, 201, name);
      cli(db.url, ['domain', 'prove', name]);
    }
    instances.push(...(await Promise.all([startInstance(ports[1], db.url, env), startInstance(ports[2], db.url, env)])));
    const [a, b, c] = instances;
    // Until the health checks pass, HAProxy has no server to send to.
    await sleep(1_000);

    await t.test('a policy saved on one instance is served by the others within a second', async () => {
      const res = await fetch(`http://127.0.0.1:${a.http}/api/v1/domains/alpha.example/policy`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'testing', max_age: 604800, mx: ['mx1.alpha.example'] }),
      });
      assert.equal(res.status, 200);
      const saved = Date.now();
      const { id } = await res.json();
      for (const other of [b, c]) {
        let served;
        while (Date.now() - saved < 1_000) {
          served = await fetchPolicy(other.http, 'alpha.example');
          if (served.status === 200 && served.body.includes('mx1.alpha.example')) break;
          await sleep(20);
        }
        assert.equal(served.status, 200, `instance ${other.name} serves the policy`);
        assert.match(served.body, /mx: mx1\.alpha\.example/);
        assert.ok(Date.now() - saved < 1_000, `instance ${other.name} within a second`);
        const policy = await (await fetch(`http://127.0.0.1:${other.http}/api/v1/domains/alpha.example/policy`, {
          headers: { authorization: `Bearer ${token}` },
        })).json();
        assert.equal(policy.id, id);
      }
    });

    await t.test('a certificate and its renewal are served by all three instances', async () => {
      const root = await pebble.roots();
      const served = (port) => new Promise((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'mta-sts.alpha.example', ca: root }, () => {
          const { fingerprint256 } = socket.getPeerCertificate();
          socket.end();
          resolve(fingerprint256);
        });
        socket.on('error', reject);
      });
      const notAfter = () => Number(db.query(
        "SELECT COALESCE(max(not_after), 0) FROM certificates WHERE name = 'mta-sts.alpha.example' AND cert_pem IS NOT NULL") || 0);
      const everywhere = async (previous) => {
        const stored = Date.now();
        let seen = [];
        while (Date.now() - stored < 3_000) {
          seen = await Promise.all(instances.map((i) => served(i.https).catch(() => null)));
          if (seen[0] && seen[0] !== previous && seen.every((f) => f === seen[0])) return seen[0];
          await sleep(50);
        }
        assert.fail(`not served by every instance: ${seen.join(', ')}`);
      };
      const month = 30 * 86_400;
      // The ACME job runs once a minute, in the instance holding its lease.
      for (let i = 0; i < 900 && notAfter() < Date.now() / 1000 + month; i++) await sleep(100);
      assert.ok(notAfter() > Date.now() / 1000 + month, 'pebble issued the certificate');
      const issued = await everywhere(null);
      // Due for renewal: the next ACME pass renews it, and every instance follows.
      db.query(`UPDATE certificates SET not_after = ${Math.floor(Date.now() / 1000) + 86_400} WHERE name = 'mta-sts.alpha.example'`);
      for (let i = 0; i < 900 && notAfter() < Date.now() / 1000 + month; i++) await sleep(100);
      assert.ok(notAfter() > Date.now() / 1000 + month, 'renewed');
      const renewed = await everywhere(issued);
      assert.notEqual(renewed, issued);
    });

    await t.test('the monitor checks each domain once', async () => {
      const count = () => Number(db.query("SELECT count(*) FROM dns_checks WHERE origin = 'monitor'"));
      for (let i = 0; i < 300 && count() < DOMAINS.length; i++) await sleep(100);
      await sleep(2_000);
      assert.equal(count(), DOMAINS.length, 'one check per domain, none twice');
      assert.equal(Number(db.query('SELECT count(DISTINCT domain_id) FROM dns_checks')), DOMAINS.length);
      const holders = db.query('SELECT count(DISTINCT holder) FROM monitor_claims');
      t.diagnostic(`instances that checked domains: ${holders}`);
    });

    let alertCount;
    const items = (path) => sink.received[path].flatMap((m) => m.alerts.map((x) => `${x.domain} ${x.kind}`));
    await t.test('every alert channel gets each alert once', async () => {
      alertCount = Number(db.query('SELECT count(*) FROM alerts'));
      assert.ok(alertCount >= DOMAINS.length, `a DNS error alert per domain (${alertCount})`);
      for (let i = 0; i < 400 && (items('/a').length < alertCount || items('/b').length < alertCount); i++) await sleep(100);
      for (const path of ['/a', '/b']) {
        const got = items(path);
        assert.equal(got.length, alertCount, `${path}: each alert once`);
        assert.equal(new Set(got).size, alertCount, `${path}: no alert twice`);
      }
    });

    await t.test('1,000 reports through the balancer while one instance is killed', async () => {
      let done = 0;
      let killed = false;
      const queue = Array.from({ length: REPORTS }, (_, i) => i);
      const worker = async () => {
        while (queue.length) {
          const i = queue.shift();
          await deliver(lb, i);
          done++;
          if (!killed && done >= REPORTS * 0.3) {
            killed = true;
            c.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      assert.ok(killed);
      assert.equal((await c.exited).signal, 'SIGKILL');
      const [reports, distinct, ok, failed] = db
        .query("SELECT count(*), count(DISTINCT report_id), sum(successful), sum(failed) FROM tlsrpt_reports WHERE report_id LIKE 'cluster-%'")
        .split('|').map(Number);
      assert.equal(reports, REPORTS, 'every report stored');
      assert.equal(distinct, REPORTS, 'none twice');
      assert.equal(ok, REPORTS * 5326);
      assert.equal(failed, REPORTS * 303);
      const channels = db.query("SELECT channel, count(*) FROM tlsrpt_reports GROUP BY channel ORDER BY channel");
      assert.equal(channels, `https|${REPORTS / 2}\nsmtp|${REPORTS / 2}`);
    });

    await t.test('SIGTERM: the request and the mail under way finish, then exit 0', async () => {
      // A report POST with half its body sent, straight to instance b.
      const body = gzipSync(report('sigterm-http'));
      const socket = connect(b.http, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      let answer = '';
      socket.on('data', (d) => { answer += d; });
      const answered = new Promise((r) => socket.once('end', r));
      socket.write(`POST /tlsrpt HTTP/1.1\r\nHost: portcullis.test\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      socket.write(body.subarray(0, 100));
      const stopped = Date.now();
      const mail = sendMail(b.smtp, {
        from: 'reporter@sender.example',
        to: RECIPIENT,
        data: reportMail('sigterm-smtp'),
        beforeEnd: async () => {
          b.child.kill('SIGTERM');
          await sleep(300);
          assert.equal(await accepts(b.http), false, 'no new connections once stopping');
          socket.write(body.subarray(100));
        },
      });
      assert.equal((await mail).code, 250, 'the mail under way is taken');
      await answered;
      assert.match(answer, /^HTTP\/1\.1 201/, 'the request under way is answered');
      const { code } = await b.exited;
      assert.equal(code, 0);
      assert.ok(Date.now() - stopped < GRACE_SECS * 1_000, 'within the grace period');
      assert.equal(db.query("SELECT count(*) FROM tlsrpt_reports WHERE report_id LIKE 'sigterm-%'"), '2');
      // The balancer still answers through the instance left.
      assert.equal(await postReport(lb.http, 'after-stop'), 201);
    });

    await t.test('later alert passes sent nothing twice', () => {
      // By now more alert passes have run, perhaps by a new lease holder after the kill (the
      // reports may have raised new alerts, each to be sent once too).
      for (const path of ['/a', '/b']) {
        const got = items(path);
        assert.ok(got.length >= alertCount, path);
        assert.equal(new Set(got).size, got.length, `${path}: no alert twice`);
      }
    });
  } finally {
    lb.stop();
    pebble.stop();
    for (const i of instances) if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.exited));
    sink.stop();
    await dns.stop();
    db.drop();
  }
});
