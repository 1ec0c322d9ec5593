//! `make bench-hostile`'s clients: hostile ones against every public listener at once, and a
//! well-behaved sender of 1,000 reports (half by HTTPS, half by SMTP) among them.
//!
//! `bench_hostile run SECONDS` attacks for at least SECONDS and until the well-behaved sender is
//! done, then prints what each kind of client met. `bench_hostile verify DATABASE_URL` checks
//! that the 1,000 reports are stored, each exactly once, with their session counts.
//!
//! Addresses come from the environment: BENCH_HTTP (the public HTTP listener), BENCH_HTTPS,
//! BENCH_SMTP, BENCH_CA (PEM of the CA that signed the `localhost` certificate), BENCH_DOMAINS
//! (hosted domains d0.bench … named in the good reports), BENCH_RCPT (the report address).
//! Hostile clients connect from 127.0.1.0/24 to 127.0.4.0/24, the good sender from 127.0.5.0/24:
//! each group is counted by the server's per-client caps like the internet would be (only
//! 127.0.0.1, where wrk runs, is exempt by default).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

const GOOD_REPORTS: usize = 1000;
const GOOD_SESSIONS: i64 = 100;
/// Hostile uploads are paced at this many bytes per second per connection: 100 of them make
/// about 100 MB/s, a gigabit link's worth, into the server.
const HOSTILE_RATE: usize = 1024 * 1024;

#[derive(Clone)]
struct Target {
    http: SocketAddr,
    https: SocketAddr,
    smtp: SocketAddr,
    tls: tokio_rustls::TlsConnector,
    rcpt: String,
    domains: usize,
}

/// What each kind of client met, by outcome.
#[derive(Default)]
struct Tally(Mutex<BTreeMap<(&'static str, String), u64>>);

impl Tally {
    fn add(&self, kind: &'static str, outcome: impl Into<String>) {
        *self.0.lock().unwrap().entry((kind, outcome.into())).or_default() += 1;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("run") => run(args.get(2).map_or(Ok(60), |s| s.parse())?).await,
        Some("verify") => verify(args.get(2).expect("DATABASE_URL")).await,
        _ => anyhow::bail!("usage: bench_hostile run SECONDS | verify DATABASE_URL"),
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

async fn run(seconds: u64) -> anyhow::Result<()> {
    let ca = std::fs::read(env("BENCH_CA"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile_certs(&ca) {
        roots.add(cert)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let target = Target {
        http: env("BENCH_HTTP").parse()?,
        https: env("BENCH_HTTPS").parse()?,
        smtp: env("BENCH_SMTP").parse()?,
        tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
        rcpt: env("BENCH_RCPT"),
        domains: env("BENCH_DOMAINS").parse()?,
    };
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    eprintln!("== building hostile payloads");
    let payloads = Arc::new(Payloads::build());
    eprintln!(
        "   zip {} MB with 100,000 entries; reports with 100,000 domains: {} KB (huge names) and {} KB; \
         10 MiB bodies: a gzip bomb and random bytes",
        payloads.zip.len() / 1_000_000,
        payloads.huge_names.len() / 1000,
        payloads.many_domains.len() / 1000
    );
    let mut attackers = tokio::task::JoinSet::new();
    // Slow headers on HTTP and HTTPS, and stalled TLS handshakes: 8 addresses × 36 connections
    // each (4 over the per-client cap); each client reconnects as soon as it is closed.
    for (n, kind) in [
        (1u8, "slow-headers-http"),
        (2, "slow-headers-https"),
        (3, "stalled-handshake"),
    ] {
        for a in 0..8u8 {
            for _ in 0..36 {
                let (t, tally, stop) = (target.clone(), tally.clone(), stop.clone());
                attackers.spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let outcome = slow_client(&t, kind, Ipv4Addr::new(127, 0, n, a + 1), &stop).await;
                        tally.add(kind, outcome);
                        pause_after_refusal().await;
                    }
                });
            }
        }
    }
    // SMTP: DATA without a newline (4 addresses × 16) and NOOP idlers (4 addresses × 36, 4 over
    // the per-client cap).
    for a in 0..4u8 {
        for (kind, n, base) in [("smtp-data-no-newline", 16, 101u8), ("smtp-noop-idler", 36, 111)] {
            for _ in 0..n {
                let (t, tally, stop) = (target.clone(), tally.clone(), stop.clone());
                attackers.spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let outcome = smtp_hostile(&t, kind, Ipv4Addr::new(127, 0, 2, base + a), &stop).await;
                        tally.add(kind, outcome);
                        pause_after_refusal().await;
                    }
                });
            }
        }
    }
    // Payloads: 100k-entry zips (HTTPS and mail), 100k-domain reports, and 100 concurrent
    // 10 MiB POSTs, each from its own address.
    for i in 0..100u8 {
        let (t, tally, stop, p) = (target.clone(), tally.clone(), stop.clone(), payloads.clone());
        attackers.spawn(async move {
            let source = Ipv4Addr::new(127, 0, 4, i + 1);
            let (kind, body) = match i % 2 {
                0 => ("10MiB-gzip-bomb", &p.bomb),
                _ => ("10MiB-random", &p.random),
            };
            // Every fourth sends without Content-Length (chunked): the server cannot reserve
            // ahead and must stop it as it grows.
            let chunked = i % 4 == 3;
            while !stop.load(Ordering::Relaxed) {
                let outcome = post(&t, source, body, chunked, Some(HOSTILE_RATE)).await;
                tally.add(kind, outcome.label());
                pause_after_refusal().await;
            }
        });
    }
    for i in 0..6u8 {
        let (t, tally, stop, p) = (target.clone(), tally.clone(), stop.clone(), payloads.clone());
        attackers.spawn(async move {
            // 127.0.3.1-8 are the stalled handshakes' addresses: these clients have their own.
            let source = Ipv4Addr::new(127, 0, 3, 101 + i);
            while !stop.load(Ordering::Relaxed) {
                let (kind, outcome) = match i {
                    0 | 1 => (
                        "zip-100k-entries-https",
                        post(&t, source, &p.zip, false, None).await.label(),
                    ),
                    2 => ("zip-100k-entries-smtp", send_mail(&t, source, &p.zip_mail).await),
                    3 => (
                        "report-huge-names",
                        post(&t, source, &p.huge_names, false, None).await.label(),
                    ),
                    _ => (
                        "report-100k-domains",
                        post(&t, source, &p.many_domains, false, None).await.label(),
                    ),
                };
                tally.add(kind, outcome);
                pause_after_refusal().await;
            }
        });
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    eprintln!("== hostile clients running; the well-behaved sender starts");
    let started = Instant::now();
    let good = good_sender(&target).await;
    let good_secs = started.elapsed().as_secs_f64();
    let rest = Duration::from_secs(seconds).saturating_sub(started.elapsed());
    tokio::time::sleep(rest).await;
    stop.store(true, Ordering::Relaxed);
    // Clients in the middle of something get a moment to tally it ("still open at the end").
    let wind_down = async { while attackers.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(3), wind_down).await;
    attackers.abort_all();

    println!("hostile clients (kind, outcome: count):");
    for ((kind, outcome), n) in tally.0.lock().unwrap().iter() {
        println!("  {kind:<26} {outcome:<40} {n}");
    }
    println!(
        "well-behaved sender: {} of {GOOD_REPORTS} reports accepted in {good_secs:.0} s \
         ({} by HTTPS, {} by SMTP), {} retries after a temporary refusal, {} refused for good",
        good.accepted, good.https, good.smtp, good.retries, good.refused
    );
    for line in good.problems.iter().take(10) {
        println!("  {line}");
    }
    if good.accepted != GOOD_REPORTS as u64 {
        anyhow::bail!("the well-behaved sender could not deliver every report");
    }
    Ok(())
}

async fn pause_after_refusal() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls_pki_types::CertificateDer<'static>> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .expect("BENCH_CA holds PEM certificates")
}

async fn connect(source: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    socket.connect(to).await
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn https(t: &Target, source: Ipv4Addr) -> std::io::Result<Box<dyn Io>> {
    let tcp = connect(source, t.https).await?;
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    Ok(Box::new(t.tls.connect(name, tcp).await?))
}

/// Reads until the peer closes, at most `cap` bytes; how long that took.
async fn until_closed(stream: &mut (impl AsyncRead + Unpin), stop: &AtomicBool) -> &'static str {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        let read = tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buf)).await;
        match read {
            Ok(Ok(0)) => return "closed by the server",
            Ok(Ok(n)) => {
                total += n;
                if total > 1 << 20 {
                    return "server sent over 1 MiB";
                }
            }
            Ok(Err(_)) => return "reset by the server",
            Err(_) if stop.load(Ordering::Relaxed) => return "still open at the end",
            Err(_) => {}
        }
    }
}

/// One slow client: a request head (or TLS handshake) a few bytes every two seconds.
async fn slow_client(t: &Target, kind: &'static str, source: Ipv4Addr, stop: &AtomicBool) -> String {
    let mut stream: Box<dyn Io> = match kind {
        "slow-headers-http" => match connect(source, t.http).await {
            Ok(s) => Box::new(s),
            Err(e) => return format!("connect: {}", e.kind()),
        },
        "slow-headers-https" => match https(t, source).await {
            Ok(s) => s,
            Err(e) => return format!("handshake: {}", e.kind()),
        },
        _ => match connect(source, t.https).await {
            Ok(s) => Box::new(s),
            Err(e) => return format!("connect: {}", e.kind()),
        },
    };
    let dribble: &[&[u8]] = match kind {
        "stalled-handshake" => &[b"\x16", b"\x03", b"\x01", b"\x02"],
        _ => &[
            b"GET /.well-known/mta-sts.txt HTTP/1.1\r\n",
            b"Host: mta-sts.d0.bench\r\n",
            b"X-A: b\r\n",
        ],
    };
    let started = Instant::now();
    let mut step = 0;
    loop {
        let piece = dribble[step.min(dribble.len() - 1)];
        step += 1;
        if stream.write_all(piece).await.is_err() {
            return format!("closed after {} s", started.elapsed().as_secs());
        }
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut byte)).await {
            Err(_) if stop.load(Ordering::Relaxed) => return "still open at the end".into(),
            Err(_) => continue,
            Ok(_) => {
                // The server answered (408/400) or closed: the slot is free again.
                let _ = until_closed(&mut stream, stop).await;
                let secs = started.elapsed().as_secs();
                return format!("closed by the server after {}", bucket(secs));
            }
        }
    }
}

fn bucket(secs: u64) -> &'static str {
    match secs {
        0..=1 => "< 2 s",
        2..=11 => "2-11 s",
        12..=30 => "12-30 s",
        _ => "> 30 s",
    }
}

/// SMTP clients that hold a session without sending mail.
async fn smtp_hostile(t: &Target, kind: &'static str, source: Ipv4Addr, stop: &AtomicBool) -> String {
    let mut conn = match smtp_connect(t, source).await {
        Ok(conn) => conn,
        Err(e) => return e,
    };
    let started = Instant::now();
    if kind == "smtp-noop-idler" {
        loop {
            if stop.load(Ordering::Relaxed) {
                return "still open at the end".into();
            }
            let answer = command(&mut conn, "NOOP").await;
            if !answer.starts_with("250") {
                return format!("{} after {}", code(&answer), bucket(started.elapsed().as_secs()));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    if let Err(e) = smtp_envelope(&mut conn, t, "hostile.example").await {
        return e;
    }
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0usize;
    while !stop.load(Ordering::Relaxed) {
        if conn.get_mut().write_all(&chunk).await.is_err() {
            return format!("closed after {} MiB", sent >> 20);
        }
        sent += chunk.len();
        tokio::time::sleep(pace(chunk.len(), HOSTILE_RATE)).await;
        if sent > 64 << 20 {
            // Past any limit: end the line and the message and see what the server says.
            let _ = conn.get_mut().write_all(b"\r\n.\r\n").await;
            return format!("DATA of 64 MiB: {}", code(&reply(&mut conn).await));
        }
    }
    "still open at the end".into()
}

fn pace(bytes: usize, per_second: usize) -> Duration {
    Duration::from_secs_f64(bytes as f64 / per_second as f64)
}

fn code(answer: &str) -> String {
    if answer.is_empty() {
        "closed".into()
    } else {
        answer.chars().take(3).collect()
    }
}

/// One SMTP reply (all its lines), at most 64 KiB; empty when the connection ended.
async fn reply(conn: &mut BufReader<TcpStream>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        let mut limited = (&mut *conn).take(65_536);
        match tokio::time::timeout(Duration::from_secs(120), limited.read_line(&mut line)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return all,
        }
        all.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return all;
        }
    }
}

async fn command(conn: &mut BufReader<TcpStream>, line: &str) -> String {
    if conn
        .get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .is_err()
    {
        return String::new();
    }
    reply(conn).await
}

/// What a POST met.
enum Posted {
    Status(u16, Option<u64>),
    Failed(String),
}

impl Posted {
    fn label(&self) -> String {
        match self {
            Self::Status(code, _) => format!("HTTP {code}"),
            Self::Failed(e) => e.clone(),
        }
    }
}

/// POSTs `body` to the report path over HTTPS from `source`, paced when `rate` is set. The
/// answer is read while the body is still being sent: the server may refuse early.
async fn post(t: &Target, source: Ipv4Addr, body: &[u8], chunked: bool, rate: Option<usize>) -> Posted {
    let stream = match https(t, source).await {
        Ok(s) => s,
        Err(e) => return Posted::Failed(format!("connect: {}", e.kind())),
    };
    let (mut reader, mut writer) = tokio::io::split(stream);
    let length = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "POST /tlsrpt HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/tlsrpt+gzip\r\n{length}\r\nConnection: close\r\n\r\n"
    );
    let send = async {
        writer.write_all(head.as_bytes()).await?;
        for piece in body.chunks(64 * 1024) {
            if chunked {
                writer.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await?;
            }
            writer.write_all(piece).await?;
            if chunked {
                writer.write_all(b"\r\n").await?;
            }
            if let Some(rate) = rate {
                tokio::time::sleep(pace(piece.len(), rate)).await;
            }
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        writer.flush().await?;
        std::io::Result::Ok(())
    };
    let answer = read_status(&mut reader);
    tokio::pin!(answer);
    tokio::select! {
        answer = &mut answer => answer,
        sent = send => match sent {
            Ok(()) => answer.await,
            Err(e) => match tokio::time::timeout(Duration::from_secs(2), answer).await {
                Ok(Posted::Status(code, retry)) => Posted::Status(code, retry),
                _ => Posted::Failed(format!("send: {}", e.kind())),
            },
        },
    }
}

/// The status code and Retry-After of an HTTP response, reading at most its first 16 KiB.
async fn read_status(reader: &mut (impl AsyncRead + Unpin)) -> Posted {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Posted::Failed("response head over 16 KiB".into());
        }
        match tokio::time::timeout(Duration::from_secs(120), reader.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            Ok(Ok(_)) => return Posted::Failed("closed without an answer".into()),
            Ok(Err(e)) => return Posted::Failed(format!("read: {}", e.kind())),
            Err(_) => return Posted::Failed("no answer in 120 s".into()),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let retry = text
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok());
    Posted::Status(status, retry)
}

/// A session from `source`, greeted.
async fn smtp_connect(t: &Target, source: Ipv4Addr) -> Result<BufReader<TcpStream>, String> {
    let Ok(stream) = connect(source, t.smtp).await else {
        return Err("connect failed".into());
    };
    let mut conn = BufReader::new(stream);
    let greeting = reply(&mut conn).await;
    if !greeting.starts_with("220") {
        return Err(format!("greeting {}", code(&greeting)));
    }
    Ok(conn)
}

/// EHLO, MAIL, RCPT and DATA, up to the go-ahead; the refused step otherwise.
async fn smtp_envelope(conn: &mut BufReader<TcpStream>, t: &Target, from: &str) -> Result<(), String> {
    for line in [
        format!("EHLO {from}"),
        format!("MAIL FROM:<reports@{from}>"),
        format!("RCPT TO:<{}>", t.rcpt),
        "DATA".into(),
    ] {
        let answer = command(conn, &line).await;
        if !(answer.starts_with('2') || answer.starts_with('3')) {
            return Err(format!("{line:.4}: {}", code(&answer)));
        }
    }
    Ok(())
}

/// Sends one mail over SMTP; the final answer's code, or what went wrong.
async fn send_mail(t: &Target, source: Ipv4Addr, mail: &[u8]) -> String {
    let mut conn = match smtp_connect(t, source).await {
        Ok(conn) => conn,
        Err(e) => return e,
    };
    if let Err(e) = smtp_envelope(&mut conn, t, "sender.example").await {
        return e;
    }
    if conn.get_mut().write_all(mail).await.is_err() || conn.get_mut().write_all(b".\r\n").await.is_err() {
        return "closed during DATA".into();
    }
    let answer = reply(&mut conn).await;
    let _ = command(&mut conn, "QUIT").await;
    format!("SMTP {}", code(&answer))
}

/// A mail carrying `attachment` as a report, with CRLF line ends, ready for DATA (no line
/// starts with a dot).
fn report_mail(domain: &str, report_id: &str, attachment: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(attachment);
    let mut mail = format!(
        "From: reports@sender.example\r\nTo: tlsrpt@localhost\r\nSubject: Report Domain: {domain} Submitter: sender.example Report-ID: <{report_id}>\r\n\
         TLS-Report-Domain: {domain}\r\nTLS-Report-Submitter: sender.example\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b0\"\r\n\r\n\
         --b0\r\nContent-Type: text/plain\r\n\r\nA TLS report.\r\n\
         --b0\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"sender.example!{domain}!1!2!{report_id}.json.gz\"\r\n\r\n"
    )
    .into_bytes();
    for line in encoded.as_bytes().chunks(76) {
        mail.extend_from_slice(line);
        mail.extend_from_slice(b"\r\n");
    }
    mail.extend_from_slice(b"--b0--\r\n");
    mail
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

struct Payloads {
    zip: Vec<u8>,
    zip_mail: Vec<u8>,
    huge_names: Vec<u8>,
    many_domains: Vec<u8>,
    bomb: Vec<u8>,
    random: Vec<u8>,
}

/// 10 MiB less room for the request head: just under the default payload cap.
const BIG: usize = 10 * 1024 * 1024 - 4096;

impl Payloads {
    fn build() -> Self {
        // 100,000 stored entries: a ZIP64 archive, refused before its directory is read.
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for i in 0..100_000 {
            w.start_file(format!("r{i}.json"), stored).unwrap();
            w.write_all(b"{}").unwrap();
        }
        let zip = w.finish().unwrap().into_inner();
        let zip_mail = report_mail("d0.bench", "hostile-zip", &zip);
        let policies = |name: &dyn Fn(usize) -> String| -> String {
            (0..100_000)
                .map(|i| {
                    format!(
                        r#"{{"policy":{{"policy-type":"sts","policy-domain":"{}"}},"summary":{{"total-successful-session-count":1,"total-failure-session-count":0}}}}"#,
                        name(i)
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let long_label = "l".repeat(60);
        let huge_names = gzip(
            format!(
                r#"{{"organization-name":"{}","date-range":{{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"}},"contact-info":"x","report-id":"{}","policies":[{}]}}"#,
                "O".repeat(4 << 20),
                "r".repeat(1 << 20),
                policies(&|i| format!("{long_label}.{long_label}.{long_label}.h{i}.example"))
            )
            .as_bytes(),
        );
        let many_domains = gzip(
            format!(
                r#"{{"organization-name":"Hostile","date-range":{{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"}},"contact-info":"x","report-id":"many","policies":[{}]}}"#,
                policies(&|i| format!("x{i}.example"))
            )
            .as_bytes(),
        );
        // A gzip bomb: members of 1 GiB of zeros (about 1 MiB each) one after another.
        let member = {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..1024 {
                gz.write_all(&zeros).unwrap();
            }
            gz.finish().unwrap()
        };
        let bomb: Vec<u8> = member.iter().copied().cycle().take(BIG).collect();
        let mut random = vec![0u8; BIG];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for b in random.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        Self {
            zip,
            zip_mail,
            huge_names,
            many_domains,
            bomb,
            random,
        }
    }
}

fn good_report(i: usize, domains: usize) -> (String, Vec<u8>) {
    let domain = format!("d{}.bench", i % domains);
    let json = format!(
        r#"{{"organization-name":"Good Sender {org}","date-range":{{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"}},"contact-info":"tls@good{org}.example","report-id":"bench-good-{i}","policies":[{{"policy":{{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mx1.{domain}","max_age: 604800"],"policy-domain":"{domain}","mx-host":["mx1.{domain}"]}},"summary":{{"total-successful-session-count":{GOOD_SESSIONS},"total-failure-session-count":{failed}}},"failure-details":[{{"result-type":"certificate-expired","sending-mta-ip":"192.0.2.{host}","receiving-mx-hostname":"mx1.{domain}","failed-session-count":{failed}}}]}}]}}"#,
        org = i % 20,
        failed = good_failures(i),
        host = i % 250 + 1,
    );
    (domain, gzip(json.as_bytes()))
}

fn good_failures(i: usize) -> i64 {
    (i % 3 + 1) as i64
}

#[derive(Default)]
struct GoodResult {
    accepted: u64,
    https: u64,
    smtp: u64,
    retries: u64,
    refused: u64,
    problems: Vec<String>,
}

/// 1,000 reports from 50 addresses, 10 at a time, alternately by HTTPS and SMTP, each retried
/// as a real sender would after a temporary refusal (HTTP 429/503 honouring Retry-After, SMTP
/// 4xx, a refused or dropped connection), up to 40 times.
async fn good_sender(t: &Target) -> GoodResult {
    let next = Arc::new(AtomicU64::new(0));
    let result = Arc::new(Mutex::new(GoodResult::default()));
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..10u8 {
        let (t, next, result) = (t.clone(), next.clone(), result.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= GOOD_REPORTS {
                    return;
                }
                let source = Ipv4Addr::new(127, 0, 5, (i % 50) as u8 + 1);
                let (domain, gz) = good_report(i, t.domains);
                let mail = (i % 2 == 1).then(|| report_mail(&domain, &format!("bench-good-{i}"), &gz));
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let (done, wait, what) = match &mail {
                        None => match post(&t, source, &gz, false, None).await {
                            Posted::Status(200 | 201, _) => (Some(true), 0, String::new()),
                            Posted::Status(code @ (429 | 503), retry) => {
                                (None, retry.unwrap_or(10), format!("HTTP {code}"))
                            }
                            Posted::Status(code, _) => (Some(false), 0, format!("HTTP {code}")),
                            Posted::Failed(e) => (None, 5, e),
                        },
                        Some(mail) => {
                            let answer = send_mail(&t, source, mail).await;
                            match answer.as_str() {
                                "SMTP 250" => (Some(true), 0, String::new()),
                                a if a.starts_with("SMTP 5") => (Some(false), 0, answer),
                                _ => (None, 5, answer),
                            }
                        }
                    };
                    let finished = {
                        let mut r = result.lock().unwrap();
                        match done {
                            Some(true) => {
                                r.accepted += 1;
                                *(if mail.is_some() { &mut r.smtp } else { &mut r.https }) += 1;
                                true
                            }
                            Some(false) => {
                                r.refused += 1;
                                r.problems.push(format!("report {i} (worker {w}) refused: {what}"));
                                true
                            }
                            None if attempt >= 40 => {
                                r.problems
                                    .push(format!("report {i} given up after {attempt} attempts: {what}"));
                                true
                            }
                            None => {
                                r.retries += 1;
                                if r.problems.len() < 5 {
                                    r.problems
                                        .push(format!("report {i}: temporary refusal ({what}), retried"));
                                }
                                false
                            }
                        }
                    };
                    if finished {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(wait.min(60))).await;
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    Arc::try_unwrap(result).ok().unwrap().into_inner().unwrap()
}

async fn verify(url: &str) -> anyhow::Result<()> {
    use sqlx::Row;
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&format!("{url}?mode=ro"))
        .await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT report_id) AS distinct_ids, \
         COALESCE(SUM(successful), 0) AS ok, COALESCE(SUM(failed), 0) AS failed \
         FROM tlsrpt_reports WHERE report_id LIKE 'bench-good-%'",
    )
    .fetch_one(&pool)
    .await?;
    let (n, distinct, ok, failed): (i64, i64, i64, i64) =
        (row.get("n"), row.get("distinct_ids"), row.get("ok"), row.get("failed"));
    let want_failed: i64 = (0..GOOD_REPORTS).map(good_failures).sum();
    let want_ok = GOOD_SESSIONS * GOOD_REPORTS as i64;
    println!(
        "stored: {n} rows, {distinct} distinct report ids, {ok} successful and {failed} failed sessions \
         (expected {GOOD_REPORTS}, {GOOD_REPORTS}, {want_ok}, {want_failed})"
    );
    let hostile: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM tlsrpt_reports WHERE report_id NOT LIKE 'bench-good-%'")
            .fetch_one(&pool)
            .await?;
    println!("hostile reports stored: {hostile}");
    anyhow::ensure!(
        n == GOOD_REPORTS as i64 && distinct == n && ok == want_ok && failed == want_failed,
        "the well-behaved reports are not all stored exactly once"
    );
    Ok(())
}
