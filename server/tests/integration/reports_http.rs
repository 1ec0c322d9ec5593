//! `POST /tlsrpt` over a real loopback HTTP connection: gzip and JSON bodies under every accepted
//! label, duplicates, each bad-input case with its status and reason, the per-client rate limit,
//! and a storage outage answered with 503 so the sender retries.

use crate::common;

use common::{fixture, gzip};

use std::io::Write;

use axum::http::{header, StatusCode};
use common::{http_post, TestApp};
use portcullis_domain::tlsrpt::PayloadLimits;
use portcullis_domain::DomainName;
use portcullis_service::IngestConfig;
use portcullis_store::testing::Kind;

/// A zip whose central directory lists `entries` names for the one local entry holding `bytes`
/// deflated: the overlapping-entry bomb.
fn overlapping_zip(bytes: &[u8], entries: usize) -> Vec<u8> {
    let one = zip_of("0.json", bytes);
    let reader = zip::ZipArchive::new(std::io::Cursor::new(&one)).unwrap();
    let directory_start = reader.central_directory_start() as usize;
    let (local, directory) = one.split_at(directory_start);
    let record_len = 46 + "0.json".len() + u16::from_le_bytes([directory[30], directory[31]]) as usize;
    let record = &directory[..record_len];
    let mut out = local.to_vec();
    for i in 0..entries {
        let mut copy = record.to_vec();
        // Same name length, another name: "0.json" → "a.json", "b.json", …
        copy[46] = b'A' + (i % 26) as u8;
        copy[47] = b'A' + (i / 26) as u8;
        out.extend_from_slice(&copy);
    }
    let directory_len = out.len() - directory_start;
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(directory_len as u32).to_le_bytes());
    out.extend_from_slice(&(directory_start as u32).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(bytes).unwrap();
    w.finish().unwrap().into_inner()
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

const GZIP: Option<&str> = Some("application/tlsrpt+gzip");
const JSON: Option<&str> = Some("application/tlsrpt+json");
/// Small enough to test the limits quickly; the defaults are tested in the domain crate.
const LIMITS: PayloadLimits = PayloadLimits {
    max_compressed: 256 * 1024,
    max_decompressed: 4 * 1024 * 1024,
};

async fn app(kind: Kind, per_minute: u32) -> (TestApp, portcullis_store::OrgAccess) {
    let app = TestApp::configured(kind, |s| {
        s.with_ingest_config(IngestConfig {
            limits: LIMITS,
            per_client_per_minute: per_minute,
            ..IngestConfig::default()
        })
    })
    .await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, "alpha.example").await;
    let other = app.user("owner@beta.example", false).await;
    let beta = app.org("Beta", &other).await;
    app.proven_domain(&beta, "beta.example").await;
    (app, alpha)
}

/// What, label, payload, expected status, error code, and a part of the message.
type BadCase = (
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    StatusCode,
    &'static str,
    &'static str,
);

async fn reports_over_http(kind: Kind) {
    let (app, access) = app(kind, 1000).await;
    let addr = app.listen().await;

    // Gzip under the RFC label: stored (201), then a duplicate (200).
    let rfc = gzip(&fixture("good/rfc-shape.json"));
    let (status, _, body) = http_post(addr, "/tlsrpt", GZIP, rfc.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let body = json(&body);
    assert_eq!(body["status"], "stored");
    assert_eq!(body["organization"], "Example Sender Inc.");
    assert_eq!(body["domains"], serde_json::json!(["alpha.example"]));
    let (status, _, body) = http_post(addr, "/tlsrpt", GZIP, rfc).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["status"], "duplicate");

    // Plain JSON, JSON mislabelled as gzip, and the tolerated generic labels.
    for (file, label) in [
        ("good/no-timezone.json", JSON),
        ("good/mx-host-string.json", GZIP),
        ("good/contact-null-no-ips.json", Some("application/json; charset=utf-8")),
    ] {
        let (status, _, body) = http_post(addr, "/tlsrpt", label, fixture(file)).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{file}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let (status, _, _) = http_post(
        addr,
        "/tlsrpt",
        Some("application/gzip"),
        gzip(&fixture("good/unknown-types-and-extras.json")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // One report over two organisations' domains is stored for both.
    let (status, _, body) = http_post(addr, "/tlsrpt", GZIP, gzip(&fixture("good/two-domains.json"))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        json(&body)["domains"],
        serde_json::json!(["alpha.example", "beta.example"])
    );

    // Bad input: status, stable code, and a message saying why.
    let gz = gzip(&fixture("good/rfc-shape.json"));
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(b"{").unwrap();
    bomb.write_all(&vec![b' '; 8 * 1024 * 1024]).unwrap();
    let bomb = bomb.finish().unwrap();
    let many = format!(
        r#"{{"organization-name":"A","report-id":"x","date-range":{{"start-datetime":"2026-11-20T00:00:00Z","end-datetime":"2026-11-21T00:00:00Z"}},"policies":[{}]}}"#,
        vec!["{}"; 100_001].join(",")
    );
    let unknown = String::from_utf8(fixture("good/rfc-shape.json"))
        .unwrap()
        .replace("alpha.example", "gamma.example");
    let long_name = String::from_utf8(fixture("good/rfc-shape.json"))
        .unwrap()
        .replace("Example Sender Inc.", &"N".repeat(2000));
    // 60 directory entries, each pointing at the same 100 KiB deflate stream (inflating 1 MiB):
    // each entry under the limit, together far over it, and overlapping.
    let overlapping = overlapping_zip(&vec![b' '; 1 << 20], 60);
    assert!(overlapping.len() < LIMITS.max_compressed);
    let cases: Vec<BadCase> = vec![
        (
            "wrong type",
            Some("text/html"),
            fixture("good/rfc-shape.json"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "text/html",
        ),
        (
            "no type",
            None,
            fixture("good/rfc-shape.json"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "(none)",
        ),
        (
            "truncated gzip",
            GZIP,
            gz[..gz.len() / 2].to_vec(),
            StatusCode::BAD_REQUEST,
            "corrupt-gzip",
            "truncated",
        ),
        (
            "gzip bomb",
            GZIP,
            bomb,
            StatusCode::PAYLOAD_TOO_LARGE,
            "decompressed-too-large",
            "decompresses to more than",
        ),
        (
            "over the size limit",
            GZIP,
            vec![b'{'; LIMITS.max_compressed + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "larger than",
        ),
        (
            "zip without JSON",
            GZIP,
            zip_of("notes.txt", b"hello"),
            StatusCode::BAD_REQUEST,
            "zip-without-json",
            "no JSON",
        ),
        (
            "invalid UTF-8",
            JSON,
            b"{\"organization-name\": \"\xc3\x28\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid-utf8",
            "UTF-8",
        ),
        (
            "malformed JSON",
            JSON,
            b"{\"organization-name\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid-json",
            "not valid JSON",
        ),
        (
            "wrong field types",
            JSON,
            fixture("bad/wrong-types.json"),
            StatusCode::BAD_REQUEST,
            "invalid-report",
            "policies",
        ),
        (
            "negative count",
            JSON,
            fixture("bad/negative-count.json"),
            StatusCode::BAD_REQUEST,
            "invalid-report",
            "-5",
        ),
        (
            "huge array",
            GZIP,
            gzip(many.as_bytes()),
            StatusCode::BAD_REQUEST,
            "too-many-items",
            "more than",
        ),
        (
            "zip entries sharing one deflate stream",
            GZIP,
            overlapping,
            StatusCode::BAD_REQUEST,
            "corrupt-zip",
            "overlap",
        ),
        (
            "organisation name over its cap",
            JSON,
            long_name.into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid-report",
            "organization-name",
        ),
        (
            "not a report at all",
            GZIP,
            b"<feedback/>".to_vec(),
            StatusCode::BAD_REQUEST,
            "unrecognised-format",
            "neither",
        ),
        (
            "unknown domain",
            JSON,
            unknown.into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-domain",
            "gamma.example",
        ),
    ];
    for (what, label, payload, want_status, want_code, want_text) in cases {
        let (status, _, body) = http_post(addr, "/tlsrpt", label, payload).await;
        assert_eq!(status, want_status, "{what}: {}", String::from_utf8_lossy(&body));
        let body = json(&body);
        assert_eq!(body["error"]["code"], want_code, "{what}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(want_text), "{what}: {message}");
    }

    // What was acknowledged is stored exactly once; nothing refused left a trace.
    let alpha = DomainName::parse("alpha.example").unwrap();
    let totals = app.db.store.tlsrpt_totals(&access, &alpha).await.unwrap();
    assert_eq!(totals.reports, 6);
    // rfc-shape, no-timezone, mx-host-string, contact-null (0), extras (9 + 1), two-domains.
    assert_eq!(totals.successful, 5326 + 40 + 7 + 9 + 1 + 10);
    assert_eq!(totals.failed, 303 + 1 + 2 + 4 + 1);
    let listed = app.db.store.tlsrpt_reports(&access, &alpha, 10, 0).await.unwrap();
    assert!(listed
        .iter()
        .all(|r| r.channel == "https" && r.submitter.as_deref() == Some("127.0.0.1")));
    // How they arrived is kept with them (this listener is plain HTTP).
    assert!(listed
        .iter()
        .all(|r| r.arrival.as_deref() == Some("HTTP from 127.0.0.1 (TLS ended before Portcullis, or none)")));
    app.cleanup().await;
}

#[tokio::test]
async fn reports_over_http_sqlite() {
    reports_over_http(Kind::Sqlite).await;
}

#[tokio::test]
async fn reports_over_http_postgres() {
    reports_over_http(Kind::Postgres).await;
}

#[tokio::test]
async fn each_client_is_rate_limited() {
    let (app, _) = app(Kind::Sqlite, 2).await;
    let addr = app.listen().await;
    for file in ["good/rfc-shape.json", "good/no-timezone.json"] {
        let (status, _, _) = http_post(addr, "/tlsrpt", JSON, fixture(file)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, headers, body) = http_post(addr, "/tlsrpt", JSON, fixture("good/mx-host-string.json")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(json(&body)["error"]["code"], "rate-limited");
    let wait: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    app.cleanup().await;
}

/// A report the database refuses for its data (here a day's failure sum past bigint, which
/// PostgreSQL refuses and SQLite turns into a float) fails the same way on every retry: 422,
/// not 503, so the sender stops.
#[tokio::test]
async fn a_report_the_store_refuses_for_good_is_not_retried() {
    let (app, _) = app(Kind::Postgres, 1000).await;
    let addr = app.listen().await;
    let (status, _, _) = http_post(addr, "/tlsrpt", JSON, fixture("good/rfc-shape.json")).await;
    assert_eq!(status, StatusCode::CREATED);
    app.run_sql("UPDATE tlsrpt_failure_days SET failed = 9223372036854775807")
        .await;
    let again = String::from_utf8(fixture("good/rfc-shape.json"))
        .unwrap()
        .replace("2026-11-20T00:00:00Z_alpha.example", "another-id");
    let (status, headers, body) = http_post(addr, "/tlsrpt", JSON, again.into_bytes()).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(json(&body)["error"]["code"], "unstorable");
    assert!(!headers.contains_key(header::RETRY_AFTER));
    app.cleanup().await;
}

#[tokio::test]
async fn a_storage_outage_asks_the_sender_to_retry() {
    let (app, _) = app(Kind::Sqlite, 1000).await;
    let addr = app.listen().await;
    app.db.store.close().await;
    let (status, headers, body) = http_post(addr, "/tlsrpt", JSON, fixture("good/rfc-shape.json")).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(json(&body)["error"]["code"], "unavailable");
    assert!(headers.contains_key(header::RETRY_AFTER));
}

/// Bodies arriving at once draw on one pool for the whole server: past it the sender is asked
/// to retry (503 `busy`), whether the body declared its length (refused before it is read) or
/// came chunked (refused as it grew). Every refused hold is given back.
#[tokio::test]
async fn bodies_past_the_shared_pool_are_refused_for_now() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (app, _) = app(Kind::Sqlite, 1000).await;
    let addr = app.listen().await;
    let pool = IngestConfig::default().max_buffered;
    let piece = 64 * 1024;
    let mut held: Vec<_> = (0..pool / piece)
        .map(|_| app.services.reserve_intake(piece).expect("the pool is free"))
        .collect();
    assert!(app.services.reserve_intake(1).is_none(), "the pool is full");

    let (status, headers, body) = http_post(addr, "/tlsrpt", JSON, fixture("good/rfc-shape.json")).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(json(&body)["error"]["code"], "busy");
    assert_eq!(headers[header::RETRY_AFTER], "10");

    // 64 KiB free, a chunked body of 128 KiB (under the 256 KiB cap): refused when it outgrows
    // the pool, not for its size.
    held.pop();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /tlsrpt HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/tlsrpt+json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..4 {
        let chunk = [b' '; 32 * 1024];
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk[..], b"\r\n"].concat();
        if stream.write_all(&framed).await.is_err() {
            break; // answered and closed early
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = (&mut stream).take(64 * 1024).read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"busy\""), "{answer}");
    assert!(
        app.services.reserve_intake(piece).is_some(),
        "the refused body's hold is given back"
    );

    drop(held);
    let (status, _, body) = http_post(addr, "/tlsrpt", JSON, fixture("good/rfc-shape.json")).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let again: Vec<_> = (0..pool / piece).map(|_| app.services.reserve_intake(piece)).collect();
    assert!(
        again.iter().all(Option::is_some),
        "the stored body's hold is given back"
    );
    app.cleanup().await;
}
