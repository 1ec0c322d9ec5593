//! `portcullis import` as a user runs it: the real binary on a folder holding report files, a
//! report e-mail, a Maildir and an mbox, plus files that are not reports. Every report gets a
//! result line, a second run finds only duplicates, and the database holds each report once.

use crate::common;

use common::{fixture, gzip};

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

use portcullis_domain::{DomainName, OrgSlug};
use portcullis_store::Store;

fn mail(report: &[u8], id: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(gzip(report));
    format!(
        "From: reports@sender.example\r\nTo: tlsrpt@portcullis.test\r\nSubject: TLS report {id}\r\n\
         TLS-Report-Domain: alpha.example\r\nTLS-Report-Submitter: sender.example\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; boundary=\"x\"; report-type=tlsrpt\r\n\r\n--x\r\n\
         Content-Type: text/plain\r\n\r\nreport\r\n--x\r\nContent-Type: application/tlsrpt+gzip\r\n\
         Content-Disposition: attachment; filename=\"sender.example!alpha.example!1!2!{id}.json.gz\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--x--\r\n"
    )
    .into_bytes()
}

fn with_id(file: &str, id: &str) -> Vec<u8> {
    let mut report: serde_json::Value = serde_json::from_slice(&fixture(file)).unwrap();
    report["report-id"] = id.into();
    serde_json::to_vec(&report).unwrap()
}

fn portcullis(db: &str, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env("PORTCULLIS_DATABASE_URL", db)
        .env("PORTCULLIS_LOG", "warn")
        .output()
        .unwrap();
    out
}

fn write(path: PathBuf, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test]
async fn a_folder_of_reports_mail_and_junk_is_imported_with_a_line_per_report() {
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", tmp.path().join("p.db").display());
    assert!(portcullis(&db, &["org", "create", "Alpha"]).status.success());
    let added = portcullis(
        &db,
        &["domain", "add", "--org", "alpha", "alpha.example", "beta.example"],
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    for name in ["alpha.example", "beta.example"] {
        let proven = portcullis(&db, &["domain", "prove", name]);
        assert!(proven.status.success(), "{}", String::from_utf8_lossy(&proven.stderr));
        assert!(String::from_utf8_lossy(&proven.stderr).contains("control proven"));
    }

    let dir = tmp.path().join("reports");
    write(dir.join("plain.json"), &fixture("good/no-timezone.json"));
    write(
        dir.join("google.com!alpha.example!1!2!001.json.gz"),
        &gzip(&fixture("good/rfc-shape.json")),
    );
    let mut zipped = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zipped
        .start_file("report.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    zipped.write_all(&fixture("good/two-domains.json")).unwrap();
    write(dir.join("nested/report.zip"), &zipped.finish().unwrap().into_inner());
    write(
        dir.join("one.eml"),
        &mail(&with_id("good/mx-host-string.json", "eml-1"), "eml-1"),
    );
    write(
        dir.join("Maildir/cur/1.host:2,S"),
        &mail(&with_id("good/mx-host-string.json", "maildir-1"), "maildir-1"),
    );
    write(
        dir.join("Maildir/new/2.host"),
        &mail(&with_id("good/mx-host-string.json", "maildir-2"), "maildir-2"),
    );
    write(
        dir.join("Maildir/tmp/3.host"),
        &mail(&with_id("good/mx-host-string.json", "still-arriving"), "x"),
    );
    let mut mbox = Vec::new();
    for id in ["mbox-1", "mbox-2"] {
        mbox.extend_from_slice(b"From reports@sender.example Sat Nov 28 00:00:00 2026\n");
        mbox.extend_from_slice(&mail(&with_id("good/mx-host-string.json", id), id));
    }
    write(dir.join("archive.mbox"), &mbox);
    let gz = gzip(&fixture("good/rfc-shape.json"));
    write(dir.join("broken.json.gz"), &gz[..gz.len() / 2]);
    write(dir.join("logo.png"), b"\x89PNG\r\n\x1a\n");
    write(dir.join(".hidden.json"), &fixture("good/contact-null-no-ips.json"));
    let unknown = String::from_utf8(fixture("good/contact-null-no-ips.json"))
        .unwrap()
        .replace("alpha.example", "gamma.example");
    write(dir.join("unknown.json"), unknown.as_bytes());

    let out = portcullis(&db, &["import", dir.to_str().unwrap()]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "failures make the exit code 1\n{stdout}\n{stderr}"
    );
    let lines: Vec<(&str, &str)> = stdout
        .lines()
        .map(|l| {
            let mut cols = l.split('\t');
            (cols.next().unwrap(), cols.next().unwrap())
        })
        .collect();
    let stored: Vec<&str> = lines.iter().filter(|(s, _)| *s == "stored").map(|(_, f)| *f).collect();
    let failed: Vec<&str> = lines.iter().filter(|(s, _)| *s == "failed").map(|(_, f)| *f).collect();
    // plain, gz, zip, eml, two Maildir messages, two mbox messages.
    assert_eq!(stored.len(), 8, "{stdout}");
    assert!(
        stored
            .iter()
            .any(|f| f.ends_with("archive.mbox#2: sender.example!alpha.example!1!2!mbox-2.json.gz")),
        "{stdout}"
    );
    assert!(
        !stdout.contains("still-arriving") && !stdout.contains(".hidden"),
        "{stdout}"
    );
    assert_eq!(failed.len(), 3, "{stdout}");
    assert!(
        stdout.contains("broken.json.gz\tthe gzip data is truncated or corrupt"),
        "{stdout}"
    );
    assert!(stdout.contains("logo.png\tnot a report"), "{stdout}");
    assert!(
        stdout.contains("unknown.json\tno registered domain: the report covers gamma.example"),
        "{stdout}"
    );
    assert!(
        stderr.contains("11 report(s): 8 stored, 0 duplicate, 3 failed"),
        "{stderr}"
    );

    // Again: every report is already there.
    let out = portcullis(&db, &["import", "--quiet", dir.to_str().unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("11 report(s): 0 stored, 8 duplicate, 3 failed"),
        "{stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3, "--quiet prints failures only: {stdout}");

    let store = Store::connect(&db).await.unwrap();
    let access = store
        .operator_access(&OrgSlug::parse("alpha").unwrap())
        .await
        .unwrap()
        .unwrap();
    let alpha = store
        .tlsrpt_totals(&access, &DomainName::parse("alpha.example").unwrap())
        .await
        .unwrap();
    let beta = store
        .tlsrpt_totals(&access, &DomainName::parse("beta.example").unwrap())
        .await
        .unwrap();
    assert_eq!((alpha.reports, beta.reports), (8, 1));
    assert_eq!(alpha.successful, 40 + 5326 + 10 + 5 * 7);
    let missing = portcullis(&db, &["import", tmp.path().join("nope").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("failed"));
}
