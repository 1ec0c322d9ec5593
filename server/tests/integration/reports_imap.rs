//! IMAP polling against a real Dovecot (Debian's `dovecot-imapd`) on loopback, with a
//! certificate from a test CA: report mail appended to the mailbox is stored once and moved to
//! the processed folder; mail without a storable report (none attached, an unregistered domain,
//! over the size limit) goes to the failed folder; a storage outage leaves mail in place; bad
//! credentials, an untrusted certificate and STARTTLS are handled; and `portcullis imap poll`,
//! the real binary configured by environment, does the same.

use crate::common;

use common::{fixture, gzip, TestApp};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use async_imap::Client;
use futures_util::TryStreamExt;
use portcullis_dnscheck::testing::TestCa;
use portcullis_server::ingest::imap::{poll_once, ImapError, ImapSettings, MailboxUrl, MessageResult};
use portcullis_store::testing::Kind;
use rustls_pki_types::ServerName;
use std::sync::Arc;

const USER: &str = "tlsrpt@reports.test";
const PASSWORD: &str = "imap pass with spaces";

/// A private Dovecot: its own config, TLS certificate, user and Maildir under a temp dir.
struct Dovecot {
    dir: tempfile::TempDir,
    ca: TestCa,
    imaps_port: u16,
    imap_port: u16,
}

impl Dovecot {
    fn start() -> Self {
        Self::start_with("")
    }

    /// `extra`: more lines for its configuration.
    fn start_with(extra: &str) -> Self {
        let binary = Path::new("/usr/sbin/dovecot");
        assert!(
            binary.exists(),
            "Dovecot is needed for the IMAP tests: apt-get install dovecot-imapd (make setup does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // The mail processes run as nobody: they must reach the home folders.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(root.join("home")).unwrap();
        std::fs::set_permissions(root.join("home"), std::fs::Permissions::from_mode(0o777)).unwrap();
        let ca = TestCa::new();
        let (cert, key) = ca.issue_pem(&["127.0.0.1"], (-1, 30));
        std::fs::write(root.join("cert.pem"), cert).unwrap();
        std::fs::write(root.join("key.pem"), key).unwrap();
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let (imaps_port, imap_port) = (common::free_port(), common::free_port());
        let r = root.display();
        let config = format!(
            "protocols = imap\n\
             listen = 127.0.0.1\n\
             base_dir = {r}/run\n\
             state_dir = {r}/state\n\
             instance_name = portcullis-test-{imaps_port}\n\
             log_path = {r}/dovecot.log\n\
             ssl = yes\n\
             ssl_cert = <{r}/cert.pem\n\
             ssl_key = <{r}/key.pem\n\
             auth_mechanisms = plain login\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {r}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={r}/home/%u\n}}\n\
             mail_location = maildir:~/Maildir\n\
             default_login_user = dovenull\n\
             default_internal_user = dovecot\n\
             service anvil {{\n  chroot =\n}}\n\
             service imap-login {{\n  chroot =\n\
               inet_listener imap {{\n    port = {imap_port}\n  }}\n\
               inet_listener imaps {{\n    port = {imaps_port}\n    ssl = yes\n  }}\n}}\n\
             service stats {{\n  unix_listener stats-reader {{\n    mode = 0666\n  }}\n\
               unix_listener stats-writer {{\n    mode = 0666\n  }}\n}}\n{extra}"
        );
        std::fs::write(root.join("dovecot.conf"), config).unwrap();
        let status = Command::new(binary)
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .status()
            .unwrap();
        assert!(status.success(), "dovecot did not start: {}", Self::log_of(root));
        let dovecot = Self {
            dir,
            ca,
            imaps_port,
            imap_port,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", imaps_port)).is_ok() {
                return dovecot;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dovecot is not listening: {}", Self::log_of(dovecot.dir.path()));
    }

    fn log_of(root: &Path) -> String {
        std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default()
    }

    fn ca_file(&self) -> PathBuf {
        let path = self.dir.path().join("ca.pem");
        std::fs::write(&path, self.ca.root_pem()).unwrap();
        path
    }

    fn settings(&self, url: &str, password: &str, trusted: bool, max_message_bytes: usize) -> ImapSettings {
        let roots = if trusted { vec![self.ca.root()] } else { vec![] };
        ImapSettings::new(
            MailboxUrl::parse(url).unwrap(),
            password.into(),
            "Processed".into(),
            "Failed".into(),
            max_message_bytes,
            &roots,
        )
        .unwrap()
    }

    fn url(&self) -> String {
        format!("imaps://tlsrpt%40reports.test@127.0.0.1:{}/INBOX", self.imaps_port)
    }

    /// A session of the test's own, to put mail in and look at the folders.
    async fn session(&self) -> async_imap::Session<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.root()).unwrap();
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.imaps_port))
            .await
            .unwrap();
        let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
            .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
            .await
            .unwrap();
        let mut client = Client::new(stream);
        client.read_response().await.unwrap().unwrap();
        client.login(USER, PASSWORD).await.map_err(|(e, _)| e).unwrap()
    }

    async fn append(&self, messages: &[Vec<u8>]) {
        let mut s = self.session().await;
        for m in messages {
            s.append("INBOX", None, None, m).await.unwrap();
        }
        s.logout().await.unwrap();
    }

    /// Messages in `folder` (0 when it does not exist).
    async fn count(&self, folder: &str) -> u32 {
        let mut s = self.session().await;
        let n = match s.select(folder).await {
            Ok(mailbox) => mailbox.exists,
            Err(_) => 0,
        };
        s.logout().await.unwrap();
        n
    }

    /// The subjects in `folder`.
    async fn subjects(&self, folder: &str) -> Vec<String> {
        let mut s = self.session().await;
        s.select(folder).await.unwrap();
        let fetched: Vec<_> = s
            .fetch("1:*", "BODY.PEEK[HEADER]")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut subjects: Vec<String> = fetched
            .iter()
            .map(|f| portcullis_service::mail_subject(f.header().unwrap()).unwrap())
            .collect();
        subjects.sort();
        s.logout().await.unwrap();
        subjects
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("run/master.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
            // The master removes its pid file as it exits; wait for that, briefly.
            for _ in 0..50 {
                if !self.dir.path().join("run/master.pid").exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// `file` (a fixture) as `domain`'s report `id`, in a report mail as senders send it
/// (RFC 8460 §5.3).
fn report_mail(subject: &str, file: &str, id: &str, domain: &str) -> Vec<u8> {
    let mut report: serde_json::Value = serde_json::from_slice(&fixture(file)).unwrap();
    report["report-id"] = id.into();
    report["policies"][0]["policy"]["policy-domain"] = domain.into();
    let report = serde_json::to_vec(&report).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(gzip(&report));
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "From: reports@sender.example\r\nTo: {USER}\r\nSubject: {subject}\r\n\
         TLS-Report-Domain: {domain}\r\nTLS-Report-Submitter: sender.example\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; boundary=\"x\"; report-type=tlsrpt\r\n\r\n--x\r\n\
         Content-Type: text/plain\r\n\r\nreport\r\n--x\r\nContent-Type: application/tlsrpt+gzip\r\n\
         Content-Disposition: attachment; filename=\"sender.example!{domain}!1!2!r.json.gz\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--x--\r\n",
        lines.join("\r\n")
    )
    .into_bytes()
}

fn plain_mail(subject: &str, body: &str) -> Vec<u8> {
    format!("From: someone@sender.example\r\nTo: {USER}\r\nSubject: {subject}\r\n\r\n{body}\r\n").into_bytes()
}

/// An app with organisation Alpha owning alpha.example.
async fn alpha_app(kind: Kind) -> TestApp {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let access = app.org("Alpha", &owner).await;
    app.proven_domain(&access, "alpha.example").await;
    app
}

async fn stored_reports(app: &TestApp) -> Vec<(String, String)> {
    let access = app
        .db
        .store
        .operator_access(&portcullis_domain::OrgSlug::parse("alpha").unwrap())
        .await
        .unwrap()
        .unwrap();
    let domain = portcullis_domain::DomainName::parse("alpha.example").unwrap();
    let mut rows: Vec<(String, String)> = app
        .db
        .store
        .tlsrpt_reports(&access, &domain, 100, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.report_id, r.channel))
        .collect();
    rows.sort();
    rows
}

async fn mailbox_is_polled(kind: Kind) {
    let dovecot = Dovecot::start();
    let app = alpha_app(kind).await;

    let big_report = serde_json::json!({"padding": "x".repeat(80_000)});
    dovecot
        .append(&[
            report_mail("report one", "good/rfc-shape.json", "imap-1", "alpha.example"),
            plain_mail("hello", "no report here"),
            report_mail("report again", "good/rfc-shape.json", "imap-1", "alpha.example"),
            report_mail("unknown domain", "good/rfc-shape.json", "imap-2", "nobody.example"),
            plain_mail("too big", &big_report.to_string()),
            report_mail("report two", "good/no-timezone.json", "imap-3", "alpha.example"),
        ])
        .await;

    let settings = dovecot.settings(&dovecot.url(), PASSWORD, true, 64 * 1024);
    let pass = poll_once(&app.services, &settings).await.unwrap();
    let results: Vec<(&str, &MessageResult)> = pass.messages.iter().map(|(_, s, r)| (s.as_str(), r)).collect();
    assert_eq!(results.len(), 6, "{results:?}");
    let stored = |new, duplicates| MessageResult::Stored {
        new,
        duplicates,
        refused: 0,
    };
    assert_eq!(results[0], ("report one", &stored(1, 0)));
    assert!(
        matches!(results[1], ("hello", MessageResult::Failed(why)) if why.contains("no TLS-RPT report")),
        "{results:?}"
    );
    assert_eq!(results[2], ("report again", &stored(0, 1)));
    assert!(
        matches!(results[3], ("unknown domain", MessageResult::Failed(why)) if why.contains("no registered domain")),
        "{results:?}"
    );
    assert!(
        matches!(results[4], ("too big", MessageResult::Failed(why)) if why.contains("more than the limit of 65536")),
        "{results:?}"
    );
    assert_eq!(results[5], ("report two", &stored(1, 0)));

    // Each report once, marked as coming from IMAP; the mail sorted into the two folders.
    assert_eq!(
        stored_reports(&app).await,
        [
            ("imap-1".to_string(), "imap".to_string()),
            ("imap-3".to_string(), "imap".to_string())
        ]
    );
    assert_eq!(dovecot.count("INBOX").await, 0);
    assert_eq!(
        dovecot.subjects("Processed").await,
        ["report again", "report one", "report two"]
    );
    assert_eq!(dovecot.subjects("Failed").await, ["hello", "too big", "unknown domain"]);

    // Nothing left: the next pass finds nothing and changes nothing.
    assert!(poll_once(&app.services, &settings).await.unwrap().messages.is_empty());

    // A storage outage: the mail stays for later, nothing moves.
    dovecot
        .append(&[report_mail(
            "during outage",
            "good/rfc-shape.json",
            "imap-4",
            "alpha.example",
        )])
        .await;
    app.db.store.close().await;
    let pass = poll_once(&app.services, &settings).await.unwrap();
    assert_eq!(pass.messages.len(), 1);
    assert_eq!(pass.messages[0].2, MessageResult::Deferred);
    assert_eq!(dovecot.count("INBOX").await, 1);
    assert_eq!(dovecot.count("Processed").await, 3);
    drop(dovecot);
    app.cleanup().await;
}

#[tokio::test]
async fn mailbox_is_polled_sqlite() {
    mailbox_is_polled(Kind::Sqlite).await;
}

#[tokio::test]
async fn mailbox_is_polled_postgres() {
    mailbox_is_polled(Kind::Postgres).await;
}

#[tokio::test]
async fn bad_password_untrusted_certificate_and_starttls() {
    let dovecot = Dovecot::start();
    let app = alpha_app(Kind::Sqlite).await;

    let wrong = dovecot.settings(&dovecot.url(), "not the password", true, 1 << 20);
    let err = poll_once(&app.services, &wrong).await.unwrap_err();
    assert!(matches!(err, ImapError::Login(..)), "{err}");
    assert!(
        err.to_string()
            .contains("refused the login for tlsrpt@reports.test ([AUTHENTICATIONFAILED] Authentication failed.)"),
        "{err}"
    );
    assert!(!err.to_string().contains("not the password"), "{err}");

    let untrusted = dovecot.settings(&dovecot.url(), PASSWORD, false, 1 << 20);
    let err = poll_once(&app.services, &untrusted).await.unwrap_err();
    assert!(matches!(err, ImapError::Tls(..)), "{err}");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");

    // imap:// upgrades with STARTTLS before logging in, and then works as imaps:// does.
    dovecot
        .append(&[report_mail(
            "over starttls",
            "good/rfc-shape.json",
            "tls-1",
            "alpha.example",
        )])
        .await;
    let starttls = dovecot.settings(
        &format!("imap://tlsrpt%40reports.test@127.0.0.1:{}", dovecot.imap_port),
        PASSWORD,
        true,
        1 << 20,
    );
    let pass = poll_once(&app.services, &starttls).await.unwrap();
    assert_eq!(
        pass.count(|r| matches!(r, MessageResult::Stored { new: 1, .. })),
        1,
        "{pass:?}"
    );
    assert_eq!(stored_reports(&app).await, [("tls-1".to_string(), "imap".to_string())]);
    drop(dovecot);
    app.cleanup().await;
}

#[tokio::test]
async fn the_cli_polls_the_configured_mailbox_once() {
    let dovecot = Dovecot::start();
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", tmp.path().join("p.db").display());
    let run = |args: &[&str], envs: &[(&str, String)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(args)
            .env("PORTCULLIS_DATABASE_URL", &db)
            .env("PORTCULLIS_LOG", "warn")
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(run(&["org", "create", "Alpha"], &[]).0, Some(0));
    assert_eq!(
        run(&["domain", "add", "--org", "alpha", "alpha.example"], &[]).0,
        Some(0)
    );
    assert_eq!(run(&["domain", "prove", "alpha.example"], &[]).0, Some(0));
    dovecot
        .append(&[
            report_mail("cli report", "good/rfc-shape.json", "cli-1", "alpha.example"),
            plain_mail("cli junk", "nothing"),
        ])
        .await;
    let password_file = tmp.path().join("imap-password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let envs = [
        ("PORTCULLIS_IMAP_URL", dovecot.url()),
        ("PORTCULLIS_IMAP_PASSWORD_FILE", password_file.display().to_string()),
        ("PORTCULLIS_IMAP_CA_FILE", dovecot.ca_file().display().to_string()),
        ("PORTCULLIS_IMAP_PROCESSED_FOLDER", "TLS-Reports-Done".to_string()),
    ];
    let (code, stdout, stderr) = run(&["imap", "poll"], &envs);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].contains("\tstored\tcli report\t1 new"), "{stdout}");
    assert!(lines[0].ends_with("moved to TLS-Reports-Done"), "{stdout}");
    assert!(lines[1].contains("\tfailed\tcli junk\t"), "{stdout}");
    assert!(
        stderr.contains("2 message(s): 1 stored, 1 failed, 0 deferred"),
        "{stderr}"
    );
    assert_eq!(dovecot.count("TLS-Reports-Done").await, 1);
    assert_eq!(dovecot.count("Failed").await, 1);

    // Misconfiguration is named, and the password never printed.
    let (code, _, stderr) = run(
        &["imap", "poll"],
        &[("PORTCULLIS_IMAP_URL", format!("imaps://u:{PASSWORD}@127.0.0.1/"))],
    );
    assert_eq!(code, Some(1));
    assert!(stderr.contains("must not hold the password"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    let (code, _, stderr) = run(&["imap", "poll"], &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("set PORTCULLIS_IMAP_URL"), "{stderr}");
}

#[tokio::test]
async fn without_move_mail_is_copied_flagged_and_expunged_by_uid() {
    // A server that offers neither MOVE nor anything but UIDPLUS after login.
    let dovecot = Dovecot::start_with("imap_capability = IMAP4rev1 UIDPLUS\n");
    let app = alpha_app(Kind::Sqlite).await;
    dovecot
        .append(&[
            report_mail("deleted by someone", "good/rfc-shape.json", "gone-1", "alpha.example"),
            report_mail("kept report", "good/rfc-shape.json", "copy-1", "alpha.example"),
            plain_mail("junk", "nothing"),
        ])
        .await;
    // Another client flags the first message deleted and does not expunge it.
    let mut other = dovecot.session().await;
    assert!(!other.capabilities().await.unwrap().has_str("MOVE"));
    other.select("INBOX").await.unwrap();
    let flagged: Vec<_> = other
        .store("1", "+FLAGS.SILENT (\\Deleted)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    drop(flagged);
    other.logout().await.unwrap();

    let settings = dovecot.settings(&dovecot.url(), PASSWORD, true, 1 << 20);
    let pass = poll_once(&app.services, &settings).await.unwrap();
    let subjects: Vec<&str> = pass.messages.iter().map(|(_, s, _)| s.as_str()).collect();
    assert_eq!(subjects, ["kept report", "junk"], "deleted mail is not taken in");
    assert_eq!(stored_reports(&app).await, [("copy-1".to_string(), "imap".to_string())]);
    assert_eq!(dovecot.subjects("Processed").await, ["kept report"]);
    assert_eq!(dovecot.subjects("Failed").await, ["junk"]);
    // UID EXPUNGE removed only the poller's own copies: the other client's flagged mail is left.
    assert_eq!(dovecot.subjects("INBOX").await, ["deleted by someone"]);
    drop(dovecot);
    app.cleanup().await;
}
