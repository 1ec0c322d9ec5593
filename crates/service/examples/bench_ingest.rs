//! `make bench-ingest`: parse and store a folder of report files (scripts/gen-reports.py) the way
//! `portcullis import` does, on a fresh SQLite database, and print the throughput.
//!
//! Usage: bench_ingest DIR

use std::time::Instant;

use portcullis_domain::tlsrpt::{
    decode, parse_report, parse_report_filename, read_payload, PayloadKind, PayloadLimits,
};
use portcullis_domain::{DomainName, OrgName};
use portcullis_service::{Channel, ReportInput, Services};
use portcullis_store::Store;

const BATCH: usize = 500;

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).expect("usage: bench_ingest DIR");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("read DIR")
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "reports: {} files, {:.1} MiB gzip, {threads} cores",
        files.len(),
        bytes as f64 / 1048576.0
    );

    // Parsing alone: decompress, detect, parse, validate. One core, then all cores.
    let limits = PayloadLimits::default();
    let started = Instant::now();
    let mut details = 0usize;
    for (_, payload) in &files {
        let decoded = read_payload(payload, limits).expect("generated reports parse");
        details += decoded
            .report
            .policies
            .iter()
            .map(|p| p.failure_details.len())
            .sum::<usize>();
    }
    let one_core = started.elapsed();

    // Where a report's parse time goes, one core: decompressing, then the JSON alone.
    let started = Instant::now();
    let jsons: Vec<Vec<u8>> = files
        .iter()
        .map(|(_, payload)| decode(PayloadKind::Gzip, payload, limits).expect("generated reports are gzip"))
        .collect();
    let inflate = started.elapsed();
    let started = Instant::now();
    for json in &jsons {
        parse_report(json).expect("generated reports parse");
    }
    let json_only = started.elapsed();
    let json_bytes: usize = jsons.iter().map(Vec::len).sum();
    let started = Instant::now();
    std::thread::scope(|s| {
        for chunk in files.chunks(files.len().div_ceil(threads)) {
            s.spawn(move || {
                for (_, payload) in chunk {
                    read_payload(payload, limits).expect("generated reports parse");
                }
            });
        }
    });
    let all_cores = started.elapsed();
    let rate = |d: std::time::Duration| files.len() as f64 / d.as_secs_f64();
    let per_report = |d: std::time::Duration| d.as_secs_f64() * 1e6 / files.len() as f64;
    println!("failure details: {details}");
    println!(
        "parse, 1 core:      {:>10.0} reports/s ({:.3} s)",
        rate(one_core),
        one_core.as_secs_f64()
    );
    println!(
        "  of which gunzip:  {:>10.1} µs/report ({:.0} MiB/s of JSON out; {:.1} KiB per report)",
        per_report(inflate),
        json_bytes as f64 / 1048576.0 / inflate.as_secs_f64(),
        json_bytes as f64 / 1024.0 / files.len() as f64
    );
    println!(
        "  of which JSON:    {:>10.1} µs/report ({:.0} MiB/s)",
        per_report(json_only),
        json_bytes as f64 / 1048576.0 / json_only.as_secs_f64()
    );
    println!(
        "parse, {threads} cores:     {:>10.0} reports/s ({:.3} s)",
        rate(all_cores),
        all_cores.as_secs_f64()
    );

    // Parse and store, as `portcullis import` does: batches of 500 per transaction.
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", tmp.path().join("bench.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let name = OrgName::parse("Bench").unwrap();
    store.create_org(&name, &name.slug().unwrap(), None).await.unwrap();
    let access = store.operator_access(&name.slug().unwrap()).await.unwrap().unwrap();
    let mut domains: Vec<String> = files
        .iter()
        .filter_map(|(n, _)| parse_report_filename(n))
        .map(|h| h.policy_domain)
        .collect();
    domains.sort();
    domains.dedup();
    for d in &domains {
        store.add_domain(&access, &DomainName::parse(d).unwrap()).await.unwrap();
    }
    let services = Services::new(store.clone()).await.unwrap();
    let started = Instant::now();
    let mut stored = 0usize;
    for chunk in files.chunks(BATCH) {
        let inputs = chunk
            .iter()
            .map(|(name, payload)| ReportInput {
                payload: payload.clone(),
                channel: Channel::Import,
                submitter: Some(name.clone()),
                hint_domain: parse_report_filename(name).map(|h| h.policy_domain),
                provenance: portcullis_domain::tlsrpt::Provenance::by_hand("import", name),
            })
            .collect();
        for result in services.ingest_batch(None, inputs).await {
            assert!(result.expect("stored").outcome.is_new());
            stored += 1;
        }
    }
    let store_time = started.elapsed();
    println!(
        "parse + store (SQLite, {BATCH}/transaction): {:>6.0} reports/s ({:.3} s, {stored} stored, {} domains)",
        rate(store_time),
        store_time.as_secs_f64(),
        domains.len()
    );
    let db_size = std::fs::metadata(tmp.path().join("bench.db"))
        .map(|m| m.len())
        .unwrap_or(0)
        + std::fs::metadata(tmp.path().join("bench.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!("database size: {:.1} MiB", db_size as f64 / 1048576.0);
    println!(
        "RESULT parse_1core={:.1} parse_all={:.1} stored={:.1}",
        rate(one_core),
        rate(all_cores),
        rate(store_time)
    );
}
