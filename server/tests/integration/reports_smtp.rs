//! The built-in report receiver over real SMTP on loopback: `lettre` delivers real
//! `multipart/report` mail over STARTTLS (certificate from a test CA); wrong recipients are
//! refused at RCPT, oversized mail after DATA, mail without a report with a permanent error, a
//! storage outage with a temporary one; the shared corpus of real report mail is accepted.

use crate::common;

use common::{fixture, gzip};

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use common::TestApp;
use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use portcullis_dnscheck::testing::TestCa;
use portcullis_domain::DomainName;
use portcullis_server::ingest::smtp::{serve, tls_config, SmtpSettings};
use portcullis_store::testing::Kind;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const RECIPIENT: &str = "tlsrpt@reports.portcullis.test";
const MX: &str = "mx.portcullis.test";
const GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// A report mail as RFC 8460 §5.3 describes it (and Google sends it).
fn report_mail(attachment: &[u8], filename: &str, content_type: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(attachment);
    let wrapped: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "From: noreply-smtp-tls-reporting@sender.example\r\n\
         To: {RECIPIENT}\r\n\
         Subject: Report Domain: alpha.example Submitter: sender.example Report-ID: <1@sender.example>\r\n\
         TLS-Report-Domain: alpha.example\r\n\
         TLS-Report-Submitter: sender.example\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; boundary=\"b1\"; report-type=tlsrpt\r\n\
         \r\n\
         --b1\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         This is an aggregate TLS report from sender.example\r\n\
         --b1\r\n\
         Content-Type: {content_type}\r\n\
         Content-Disposition: attachment; filename=\"{filename}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {}\r\n\
         --b1--\r\n",
        wrapped.join("\r\n")
    )
    .into_bytes()
}

fn envelope(to: &str) -> Envelope {
    Envelope::new(
        Some("reporter@sender.example".parse().unwrap()),
        vec![to.parse().unwrap()],
    )
    .unwrap()
}

struct Receiver {
    app: TestApp,
    addr: std::net::SocketAddr,
    ca: TestCa,
    access: portcullis_store::OrgAccess,
    /// Stops the receiver (as SIGTERM does); `serving` ends once it has drained.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    serving: tokio::task::JoinHandle<()>,
}

async fn receiver(max_message_bytes: usize) -> Receiver {
    receiver_with(max_message_bytes, Default::default()).await
}

async fn receiver_with(max_message_bytes: usize, limits: portcullis_server::ingest::smtp::SmtpLimits) -> Receiver {
    let app = TestApp::new(Kind::Sqlite).await;
    let owner = app.user("owner@alpha.example", false).await;
    let access = app.org("Alpha", &owner).await;
    for domain in ["alpha.example", "beta.example"] {
        app.proven_domain(&access, domain).await;
    }
    let ca = TestCa::new();
    let key = (*ca.issue(&[MX], (-1, 30))).clone();
    let settings = SmtpSettings {
        hostname: MX.into(),
        recipients: vec![RECIPIENT.into()],
        max_message_bytes,
        tls: Some(tls_config(Some(key), Arc::default(), MX)),
        limits,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let stopped = async {
        let _ = stopped.await;
    };
    let serving = tokio::spawn(serve(listener, settings, app.services.clone(), stopped, GRACE));
    Receiver {
        app,
        addr,
        ca,
        access,
        stop: Some(stop),
        serving,
    }
}

fn mailer(r: &Receiver) -> AsyncSmtpTransport<Tokio1Executor> {
    let tls = TlsParameters::builder(MX.into())
        .add_root_certificate(Certificate::from_pem(r.ca.root_pem().as_bytes()).unwrap())
        .build_rustls()
        .unwrap();
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(r.addr.port())
        .tls(Tls::Required(tls))
        .build()
}

#[tokio::test]
async fn report_mail_over_starttls_is_stored_once() {
    let r = receiver(1024 * 1024).await;
    let mailer = mailer(&r);
    let mail = report_mail(
        &gzip(&fixture("good/rfc-shape.json")),
        "sender.example!alpha.example!1795132800!1795219199!001.json.gz",
        "application/tlsrpt+gzip",
    );
    let response = mailer.send_raw(&envelope(RECIPIENT), &mail).await.unwrap();
    assert_eq!(response.code().to_string(), "250");
    assert!(response.message().any(|l| l.contains("1 report(s) accepted")));
    // The same mail again (a sender's retry) is accepted and counted once.
    mailer.send_raw(&envelope(RECIPIENT), &mail).await.unwrap();
    let alpha = DomainName::parse("alpha.example").unwrap();
    let store = &r.app.db.store;
    let totals = store.tlsrpt_totals(&r.access, &alpha).await.unwrap();
    assert_eq!((totals.reports, totals.successful, totals.failed), (1, 5326, 303));
    let row = &store.tlsrpt_reports(&r.access, &alpha, 1, 0).await.unwrap()[0];
    assert_eq!(
        (row.channel.as_str(), row.submitter.as_deref()),
        ("smtp", Some("sender.example"))
    );
    // The session's peer and TLS version are kept; this receiver checks no DKIM.
    assert_eq!(
        row.arrival.as_deref(),
        Some("mail via SMTP from 127.0.0.1 over TLSv1_3, no valid DKIM (DKIM is not checked on this server)")
    );

    // A report whose policies name no domain goes to the attachment name's domain; plain JSON
    // under a gzip label is read by its bytes.
    let unnamed = String::from_utf8(fixture("good/no-contact-empty-policies.json")).unwrap();
    let mail = report_mail(
        unnamed.as_bytes(),
        "sender.example!beta.example!1!2.json.gz",
        "application/tlsrpt+gzip",
    );
    mailer.send_raw(&envelope(RECIPIENT), &mail).await.unwrap();
    let beta = DomainName::parse("beta.example").unwrap();
    assert_eq!(store.tlsrpt_totals(&r.access, &beta).await.unwrap().reports, 1);
}

#[tokio::test]
async fn wrong_recipients_bad_mail_and_big_mail_are_refused() {
    let r = receiver(64 * 1024).await;
    let mailer = mailer(&r);
    let good = report_mail(
        &gzip(&fixture("good/rfc-shape.json")),
        "r.json.gz",
        "application/tlsrpt+gzip",
    );

    let err = mailer
        .send_raw(&envelope("postmaster@reports.portcullis.test"), &good)
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("5.1.1"), "{err}");

    let no_report =
        b"From: a@sender.example\r\nTo: tlsrpt@reports.portcullis.test\r\nSubject: hello\r\n\r\nJust text.\r\n";
    let err = mailer.send_raw(&envelope(RECIPIENT), no_report).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("no TLS-RPT report attachment"), "{err}");

    let gz = gzip(&fixture("good/rfc-shape.json"));
    let broken = report_mail(&gz[..gz.len() / 2], "r.json.gz", "application/tlsrpt+gzip");
    let err = mailer.send_raw(&envelope(RECIPIENT), &broken).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("truncated or corrupt"), "{err}");

    let unknown = String::from_utf8(fixture("good/rfc-shape.json"))
        .unwrap()
        .replace("alpha.example", "gamma.example");
    let err = mailer
        .send_raw(
            &envelope(RECIPIENT),
            &report_mail(unknown.as_bytes(), "r.json", "application/tlsrpt+json"),
        )
        .await
        .unwrap_err();
    assert!(err.is_permanent() && err.to_string().contains("gamma.example"), "{err}");

    let big = report_mail(&vec![b'x'; 80 * 1024], "big.json.gz", "application/tlsrpt+gzip");
    let err = mailer.send_raw(&envelope(RECIPIENT), &big).await.unwrap_err();
    assert!(err.is_permanent() && err.to_string().contains("5.3.4"), "{err}");

    // Nothing refused was stored; the session still works after each refusal.
    mailer.send_raw(&envelope(RECIPIENT), &good).await.unwrap();
    let alpha = DomainName::parse("alpha.example").unwrap();
    assert_eq!(
        r.app.db.store.tlsrpt_totals(&r.access, &alpha).await.unwrap().reports,
        1
    );
}

#[tokio::test]
async fn a_storage_outage_is_a_temporary_failure() {
    let r = receiver(1024 * 1024).await;
    r.app.db.store.close().await;
    let mail = report_mail(
        &gzip(&fixture("good/rfc-shape.json")),
        "r.json.gz",
        "application/tlsrpt+gzip",
    );
    let err = mailer(&r).send_raw(&envelope(RECIPIENT), &mail).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("4.3.0"), "{err}");
}

/// Mail in DATA draws on the server's one pool for arriving reports: with the pool held
/// elsewhere the message is refused for now (452, the sender retries), and once there is room
/// the same mail is stored.
#[tokio::test]
async fn mail_past_the_shared_pool_is_refused_for_now() {
    let r = receiver(1024 * 1024).await;
    let piece = 64 * 1024;
    let held: Vec<_> = std::iter::from_fn(|| r.app.services.reserve_intake(piece)).collect();
    assert!(!held.is_empty());
    let mail = report_mail(
        &gzip(&fixture("good/rfc-shape.json")),
        "r.json.gz",
        "application/tlsrpt+gzip",
    );
    let err = mailer(&r).send_raw(&envelope(RECIPIENT), &mail).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("4.3.1"), "{err}");
    drop(held);
    let response = mailer(&r).send_raw(&envelope(RECIPIENT), &mail).await.unwrap();
    assert_eq!(response.code().to_string(), "250");
}

#[tokio::test]
async fn the_protocol_is_strict_about_command_order_and_sizes() {
    let r = receiver(1024 * 1024).await;
    let stream = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut expect = async |send: &str, want: &str| {
        if !send.is_empty() {
            write.write_all(send.as_bytes()).await.unwrap();
        }
        let mut last;
        loop {
            last = lines.next_line().await.unwrap().unwrap();
            if last.as_bytes().get(3) != Some(&b'-') {
                break;
            }
            if want == "STARTTLS" && last.contains("STARTTLS") {
                // Drain the rest of the EHLO answer.
                while lines.next_line().await.unwrap().unwrap().as_bytes().get(3) == Some(&b'-') {}
                return;
            }
        }
        assert!(last.starts_with(want), "{send:?}: got {last:?}");
    };
    expect("", "220").await;
    expect("RCPT TO:<tlsrpt@reports.portcullis.test>\r\n", "503").await;
    expect("MAIL FROM:<a@b.example>\r\n", "503").await;
    expect("EHLO client.example\r\n", "STARTTLS").await;
    expect("MAIL FROM:<a@b.example> SIZE=99999999\r\n", "552").await;
    expect("MAIL FROM:<a@b.example> SIZE=100\r\n", "250").await;
    expect("DATA\r\n", "503").await;
    expect("RCPT TO:<other@reports.portcullis.test>\r\n", "550").await;
    expect("RSET\r\n", "250").await;
    expect("BOGUS\r\n", "500").await;
    expect("QUIT\r\n", "221").await;
}

/// Real senders' report mail (../shared/fixtures/tlsrpt), delivered as is.
#[tokio::test]
async fn the_shared_corpus_of_report_mail_is_accepted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/tlsrpt");
    if !dir.is_dir() {
        eprintln!("{} not present: corpus test skipped", dir.display());
        return;
    }
    let r = receiver(1024 * 1024).await;
    let mailer = mailer(&r);
    let mut sent = 0;
    for folder in std::fs::read_dir(&dir).unwrap() {
        let folder = folder.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&folder).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_none_or(|e| e != "eml") {
                continue;
            }
            let raw = std::fs::read(&file).unwrap();
            // Register whichever domain the report is for, in this organisation.
            let parsed = portcullis_service::report_mail(&raw).unwrap();
            for part in &parsed.parts {
                let decoded = portcullis_domain::tlsrpt::read_payload(&part.payload, Default::default())
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                for domain in decoded.report.policy_domains().into_iter().chain(parsed.domain.clone()) {
                    // Registered already (by an earlier message) is fine; proven either way.
                    let _ = r.app.services.add_domain(&r.access, &domain).await;
                    let operator = portcullis_service::Operator::new(r.app.db.store.clone());
                    r.app.services.prove_as_operator(&operator, &domain).await.unwrap();
                }
            }
            let response = mailer
                .send_raw(&envelope(RECIPIENT), &raw)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(response.code().to_string(), "250", "{}", file.display());
            sent += 1;
        }
    }
    assert!(sent >= 8, "only {sent} messages in {}", dir.display());
}

/// A stopping receiver takes no new connections, closes sessions between transactions with a
/// temporary 421 (senders retry), lets the message being sent finish and be stored, then ends.
#[tokio::test]
async fn a_stopping_receiver_finishes_the_message_under_way_and_closes_idle_sessions() {
    let mut r = receiver(1024 * 1024).await;
    let connect = || async {
        let (read, write) = tokio::net::TcpStream::connect(r.addr).await.unwrap().into_split();
        (BufReader::new(read).lines(), write)
    };
    let (mut idle, mut idle_w) = connect().await;
    assert!(reply_line(&mut idle).await.starts_with("220"));
    idle_w.write_all(b"EHLO idle.example\r\n").await.unwrap();
    assert!(reply_line(&mut idle).await.starts_with("250"));

    let (mut busy, mut busy_w) = connect().await;
    assert!(reply_line(&mut busy).await.starts_with("220"));
    for (command, want) in [
        ("EHLO busy.example\r\n", "250"),
        ("MAIL FROM:<reporter@sender.example>\r\n", "250"),
        (&*format!("RCPT TO:<{RECIPIENT}>\r\n"), "250"),
        ("DATA\r\n", "354"),
    ] {
        busy_w.write_all(command.as_bytes()).await.unwrap();
        let answer = reply_line(&mut busy).await;
        assert!(answer.starts_with(want), "{command:?}: {answer}");
    }
    let mail = report_mail(
        &gzip(&fixture("good/rfc-shape.json")),
        "sender.example!alpha.example!1795132800!1795219199!001.json.gz",
        "application/tlsrpt+gzip",
    );
    let (first, rest) = mail.split_at(mail.len() / 2);
    busy_w.write_all(first).await.unwrap();

    r.stop.take().unwrap().send(()).unwrap();
    let closing = reply_line(&mut idle).await;
    assert!(closing.starts_with("421 4.3.2"), "an idle session is closed: {closing}");
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(r.addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "a stopping receiver takes no new connections");
    assert!(!r.serving.is_finished(), "the message under way holds the stop");

    busy_w.write_all(rest).await.unwrap();
    busy_w.write_all(b".\r\n").await.unwrap();
    let stored = reply_line(&mut busy).await;
    assert!(stored.starts_with("250"), "the message under way is taken: {stored}");
    let after = reply_line(&mut busy).await;
    assert!(after.starts_with("421 4.3.2"), "then the session is closed: {after}");
    tokio::time::timeout(GRACE, &mut r.serving)
        .await
        .expect("the receiver ends once drained, before its grace period")
        .unwrap();
    let alpha = DomainName::parse("alpha.example").unwrap();
    let totals = r.app.db.store.tlsrpt_totals(&r.access, &alpha).await.unwrap();
    assert_eq!((totals.reports, totals.successful), (1, 5326));
}

/// Reads one (possibly multi-line) reply and returns its last line.
async fn reply_line(lines: &mut tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>) -> String {
    loop {
        let line = lines.next_line().await.unwrap().unwrap_or_default();
        if line.as_bytes().get(3) != Some(&b'-') {
            return line;
        }
    }
}

/// A client cannot hold a slot by idling with NOOP, nor hold more than its share of slots
/// (counted per address; loopback's 127.0.0.1 is exempt as a local proxy would be, so the
/// test connects from 127.0.0.2).
#[tokio::test]
async fn idle_clients_and_greedy_clients_are_turned_away() {
    let limits = portcullis_server::ingest::smtp::SmtpLimits {
        listener: portcullis_server::listener::ListenerLimits {
            max_per_client: 2,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = receiver_with(1024 * 1024, limits).await;
    let connect = |from: &'static str| async move {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        let (read, write) = socket.connect(r.addr).await.unwrap().into_split();
        (BufReader::new(read).lines(), write)
    };
    let (mut lines, mut write) = connect("127.0.0.3").await;
    assert!(reply_line(&mut lines).await.starts_with("220"));
    write.write_all(b"EHLO client.example\r\n").await.unwrap();
    assert!(reply_line(&mut lines).await.starts_with("250"));
    for _ in 0..20 {
        write.write_all(b"NOOP\r\n").await.unwrap();
        assert!(reply_line(&mut lines).await.starts_with("250"));
    }
    write.write_all(b"NOOP\r\n").await.unwrap();
    let last = reply_line(&mut lines).await;
    assert!(last.starts_with("421"), "{last}");

    let (mut one, _w1) = connect("127.0.0.2").await;
    let (mut two, _w2) = connect("127.0.0.2").await;
    assert!(reply_line(&mut one).await.starts_with("220"));
    assert!(reply_line(&mut two).await.starts_with("220"));
    let (mut three, _w3) = connect("127.0.0.2").await;
    let refused = reply_line(&mut three).await;
    assert!(refused.starts_with("421"), "{refused}");
}

/// A message of more report attachments than one report mail carries is refused whole.
#[tokio::test]
async fn a_message_of_too_many_attachments_is_refused_whole() {
    let r = receiver(4 * 1024 * 1024).await;
    let gz = gzip(&fixture("good/rfc-shape.json"));
    let b64 = base64::engine::general_purpose::STANDARD.encode(&gz);
    let mut mail = format!(
        "From: a@sender.example\r\nTo: {RECIPIENT}\r\nSubject: many\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; boundary=\"b1\"; report-type=tlsrpt\r\n\r\n"
    );
    for i in 0..17 {
        mail.push_str(&format!(
            "--b1\r\nContent-Type: application/tlsrpt+gzip\r\n\
             Content-Disposition: attachment; filename=\"r{i}.json.gz\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
        ));
    }
    mail.push_str("--b1--\r\n");
    let err = mailer(&r)
        .send_raw(&envelope(RECIPIENT), mail.as_bytes())
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("at most 16"), "{err}");
    let alpha = DomainName::parse("alpha.example").unwrap();
    let totals = r.app.db.store.tlsrpt_totals(&r.access, &alpha).await.unwrap();
    assert_eq!(totals.reports, 0, "nothing stored from it");
}

/// STARTTLS is offered only while a certificate is at hand: here none is configured and the
/// policy host holds none for the greeting name, so EHLO does not advertise it and the command
/// is refused, rather than advertised and then failed.
#[tokio::test]
async fn starttls_is_not_offered_without_a_certificate() {
    let app = TestApp::new(Kind::Sqlite).await;
    let settings = SmtpSettings {
        hostname: MX.into(),
        recipients: vec![RECIPIENT.into()],
        max_message_bytes: 1024 * 1024,
        tls: Some(tls_config(None, Arc::default(), MX)),
        limits: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        settings,
        app.services.clone(),
        std::future::pending(),
        GRACE,
    ));
    let (read, mut write) = tokio::net::TcpStream::connect(addr).await.unwrap().into_split();
    let mut lines = BufReader::new(read).lines();
    assert!(reply_line(&mut lines).await.starts_with("220"));
    write.write_all(b"EHLO client.example\r\n").await.unwrap();
    let mut ehlo = Vec::new();
    loop {
        let line = lines.next_line().await.unwrap().unwrap();
        let last = line.as_bytes().get(3) != Some(&b'-');
        ehlo.push(line);
        if last {
            break;
        }
    }
    assert!(!ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
    write.write_all(b"STARTTLS\r\n").await.unwrap();
    assert!(reply_line(&mut lines).await.starts_with("502"));
}
