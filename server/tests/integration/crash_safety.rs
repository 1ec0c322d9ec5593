//! Crash safety of ingestion with the real binary: senders POST reports while the server is
//! killed (SIGKILL) mid-stream; after a restart every acknowledged report is stored exactly once,
//! and re-sending everything (as senders retry what was not acknowledged) completes the set
//! without a single duplicate row.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use portcullis_domain::{DomainName, OrgSlug};
use portcullis_store::Store;

const REPORTS: usize = 600;

fn report(i: usize) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tlsrpt/good/rfc-shape.json");
    let mut report: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    report["report-id"] = format!("crash-{i}").into();
    serde_json::to_vec(&report).unwrap()
}

fn cli(db: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env("PORTCULLIS_DATABASE_URL", db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start(db: &str, addr: std::net::SocketAddr) -> Child {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("serve")
        .env("PORTCULLIS_DATABASE_URL", db)
        .env("PORTCULLIS_HTTP_ADDR", addr.to_string())
        .env("PORTCULLIS_MONITOR_INTERVAL_SECS", "0")
        .env("PORTCULLIS_REPORT_RATE_PER_MINUTE", "0")
        .env("PORTCULLIS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// One POST; `None` when the connection failed (the server is gone).
async fn post(addr: std::net::SocketAddr, body: Vec<u8>) -> Option<StatusCode> {
    let attempt = tokio::spawn(common::http_post(
        addr,
        "/tlsrpt",
        Some("application/tlsrpt+json"),
        body,
    ));
    attempt.await.ok().map(|(status, _, _)| status)
}

async fn stored_ids(db: &str) -> HashMap<String, usize> {
    let store = Store::connect(db).await.unwrap();
    let access = store
        .operator_access(&OrgSlug::parse("alpha").unwrap())
        .await
        .unwrap()
        .unwrap();
    let domain = DomainName::parse("alpha.example").unwrap();
    let mut counts = HashMap::new();
    let mut offset = 0;
    loop {
        let page = store.tlsrpt_reports(&access, &domain, 1000, offset).await.unwrap();
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        for row in page {
            *counts.entry(row.report_id).or_insert(0) += 1;
        }
    }
    store.close().await;
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_report_survives_a_kill_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", tmp.path().join("p.db").display());
    cli(&db, &["org", "create", "Alpha"]);
    cli(&db, &["domain", "add", "--org", "alpha", "alpha.example"]);
    cli(&db, &["domain", "prove", "alpha.example"]);
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut server = start(&db, addr);
    assert!(
        common::accepts_connections(addr).await,
        "server did not start on {addr}"
    );

    // Four senders deliver concurrently; the server is killed once 150 reports were acknowledged.
    let acked: Arc<Mutex<HashSet<usize>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut senders = Vec::new();
    for _ in 0..4 {
        let (acked, next) = (acked.clone(), next.clone());
        senders.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= REPORTS {
                    return;
                }
                match post(addr, report(i)).await {
                    Some(StatusCode::CREATED) => {
                        acked.lock().unwrap().insert(i);
                    }
                    Some(other) => panic!("report {i}: unexpected {other}"),
                    None => return,
                }
            }
        }));
    }
    while acked.lock().unwrap().len() < 150 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 150 && acked.len() < REPORTS,
        "the kill came mid-stream: {} acknowledged",
        acked.len()
    );

    // Restarted: every acknowledged report is there, once.
    let mut server = start(&db, addr);
    assert!(
        common::accepts_connections(addr).await,
        "server did not start on {addr}"
    );
    let stored = stored_ids(&db).await;
    for i in &acked {
        assert_eq!(stored.get(&format!("crash-{i}")), Some(&1), "acknowledged report {i}");
    }
    assert!(stored.values().all(|&n| n == 1));

    // Senders retry what was not acknowledged (and a few acknowledged ones, as real senders do).
    for i in 0..REPORTS {
        let status = post(addr, report(i)).await.expect("the restarted server answers");
        let already = stored.contains_key(&format!("crash-{i}"));
        let want = if already { StatusCode::OK } else { StatusCode::CREATED };
        assert_eq!(status, want, "report {i}");
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let stored = stored_ids(&db).await;
    assert_eq!(stored.len(), REPORTS);
    assert!(stored.values().all(|&n| n == 1));
}
