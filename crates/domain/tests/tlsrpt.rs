//! The TLS-RPT parser against the project's own quirk fixtures, the shared corpus of real
//! senders' reports (when `../shared/fixtures/tlsrpt` exists), and hostile payloads.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use portcullis_domain::tlsrpt::{
    parse_report, read_payload, read_payload_within, split_by_domain, Budget, PayloadKind, PayloadLimits, PolicyType,
    ReportErrorCode, ResultType, MAX_DETAIL_TEXT, MAX_DOMAINS, MAX_FAILURE_DETAILS, MAX_HOST, MAX_NAME, MAX_POLICIES,
    MAX_ZIP_ENTRIES,
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("fixtures/tlsrpt").join(name)).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn the_rfc_shape_is_read_in_full() {
    let report = parse_report(&fixture("good/rfc-shape.json")).unwrap();
    assert_eq!(report.organization_name, "Example Sender Inc.");
    assert_eq!(report.report_id, "2026-11-20T00:00:00Z_alpha.example");
    assert_eq!(report.contact_info.as_deref(), Some("tlsrpt@sender.example"));
    assert_eq!(
        report.date_range.start_datetime,
        Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap()
    );
    let policy = &report.policies[0];
    assert_eq!(policy.policy.policy_type, PolicyType::Sts);
    assert_eq!(policy.policy.policy_domain.as_deref(), Some("alpha.example"));
    assert_eq!(policy.policy.mx_host, ["mx1.alpha.example", "*.mx.alpha.example"]);
    assert_eq!(policy.policy.policy_string.len(), 5);
    assert_eq!(policy.summary.total_successful_session_count, 5326);
    assert_eq!(policy.failure_details.len(), 3);
    let detail = &policy.failure_details[1];
    assert_eq!(detail.result_type, ResultType::StarttlsNotSupported);
    assert_eq!(detail.sending_mta_ip.as_deref(), Some("198.51.100.62"));
    assert_eq!(detail.receiving_ip.as_deref(), Some("203.0.113.56"));
    assert_eq!(detail.receiving_mx_helo.as_deref(), Some("b.mx.alpha.example"));
    assert_eq!(detail.failed_session_count, 200);
    assert_eq!(detail.failure_reason_code.as_deref(), Some("X.509 certificate expired"));
    assert_eq!(report.totals(), (5326, 303));
    assert_eq!(report.policy_domains(), ["alpha.example"]);
}

#[test]
fn dates_without_a_zone_are_utc_and_offsets_are_converted() {
    let report = parse_report(&fixture("good/no-timezone.json")).unwrap();
    assert_eq!(
        report.date_range.end_datetime,
        Utc.with_ymd_and_hms(2026, 11, 21, 23, 59, 59).unwrap()
    );
    let report = parse_report(&fixture("good/unknown-types-and-extras.json")).unwrap();
    assert_eq!(
        report.date_range.start_datetime,
        Utc.with_ymd_and_hms(2026, 11, 24, 23, 0, 0).unwrap()
    );
}

#[test]
fn mx_host_as_a_string_missing_addresses_and_null_contact_are_accepted() {
    let report = parse_report(&fixture("good/mx-host-string.json")).unwrap();
    assert_eq!(report.policies[0].policy.mx_host, ["mx1.alpha.example"]);
    let detail = &report.policies[0].failure_details[0];
    assert_eq!(detail.sending_mta_ip, None);
    assert_eq!(detail.receiving_mx_hostname, None);

    let report = parse_report(&fixture("good/contact-null-no-ips.json")).unwrap();
    assert_eq!(report.contact_info, None);
    let reasons: Vec<_> = report.policies[0]
        .failure_details
        .iter()
        .map(|d| d.failure_reason_code.clone().unwrap())
        .collect();
    assert_eq!(reasons, ["bad https response code: 404", "500"]);

    let report = parse_report(&fixture("good/no-contact-empty-policies.json")).unwrap();
    assert_eq!(report.contact_info, None);
    assert!(report.policies.is_empty());
    assert_eq!(report.totals(), (0, 0));
}

#[test]
fn unknown_types_and_extra_fields_are_kept() {
    let report = parse_report(&fixture("good/unknown-types-and-extras.json")).unwrap();
    assert_eq!(report.extra["x-sender-build"], "7.1");
    let policy = &report.policies[0];
    assert_eq!(policy.extra["x-window"], "daily");
    assert_eq!(policy.policy.extra["x-policy-note"]["cached"], true);
    let detail = &policy.failure_details[0];
    assert_eq!(
        detail.result_type,
        ResultType::Other("quantum-handshake-failure".into())
    );
    assert_eq!(detail.result_type.as_str(), "quantum-handshake-failure");
    assert_eq!(detail.extra["x-retry"], 3);
    assert_eq!(report.policies[1].policy.policy_type.as_str(), "experimental-policy");
    assert_eq!(report.policies[1].summary.total_failure_session_count, 0);
    // What was kept is written back out: nothing a sender sent is lost on the way to storage.
    let again: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(again["policies"][0]["failure-details"][0]["x-retry"], 3);
    assert_eq!(
        again["policies"][0]["failure-details"][0]["result-type"],
        "quantum-handshake-failure"
    );
}

#[test]
fn broken_reports_are_refused_with_the_reason() {
    let cases = [
        ("bad/negative-count.json", "total-successful-session-count", "-5"),
        ("bad/overflow-count.json", "failed-session-count", "whole number"),
        ("bad/missing-organization.json", "organization-name", "missing field"),
        ("bad/missing-summary.json", "policies[0]", "missing field `summary`"),
        ("bad/reversed-dates.json", "date-range ends", "before it starts"),
        ("bad/wrong-types.json", "policies", "invalid type"),
    ];
    for (name, part1, part2) in cases {
        let err = parse_report(&fixture(name)).unwrap_err();
        assert_eq!(err.code, ReportErrorCode::InvalidReport, "{name}: {err}");
        assert!(err.message.contains(part1), "{name}: {err}");
        assert!(err.message.contains(part2), "{name}: {err}");
    }
}

#[test]
fn malformed_json_and_text_are_refused_with_their_own_codes() {
    let err = parse_report(b"{\"organization-name\": \"A\", ").unwrap_err();
    assert_eq!(err.code, ReportErrorCode::InvalidJson);
    let err = parse_report(b"{\"organization-name\": \"\xff\xfe\"}").unwrap_err();
    assert_eq!(err.code, ReportErrorCode::InvalidUtf8);
    assert!(err.message.contains("byte 23"), "{err}");
    let mut deep = "[".repeat(40);
    deep.push_str(&"]".repeat(40));
    let err = parse_report(format!("{{\"a\":{deep}}}").as_bytes()).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::TooDeep);
}

#[test]
fn a_huge_array_is_refused_before_it_is_built() {
    let details = vec![r#"{"result-type":"certificate-expired","failed-session-count":1}"#; 100_001];
    let json = format!(
        r#"{{"organization-name":"A","date-range":{{"start-datetime":"2026-11-20T00:00:00Z","end-datetime":"2026-11-20T23:59:59Z"}},"report-id":"x","policies":[{{"policy":{{"policy-type":"sts"}},"summary":{{}},"failure-details":[{}]}}]}}"#,
        details.join(",")
    );
    let err = read_payload(&gzip(json.as_bytes()), PayloadLimits::default()).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::TooManyItems);
}

#[test]
fn payloads_are_told_apart_by_their_bytes() {
    let json = fixture("good/rfc-shape.json");
    let limits = PayloadLimits::default();
    let plain = read_payload(&json, limits).unwrap();
    assert_eq!(plain.kind, PayloadKind::Json);
    let gz = read_payload(&gzip(&json), limits).unwrap();
    assert_eq!(gz.kind, PayloadKind::Gzip);
    assert_eq!(gz.report, plain.report);
    assert_eq!(gz.json, json);
    // A zip whose first entry is not the report, and a zip holding a .json.gz.
    let z = read_payload(&zip(&[("README.txt", b"hello"), ("r.json", &json)]), limits).unwrap();
    assert_eq!(z.kind, PayloadKind::Zip);
    assert_eq!(z.report, plain.report);
    let zgz = read_payload(&zip(&[("r.json.gz", &gzip(&json))]), limits).unwrap();
    assert_eq!(zgz.report, plain.report);
    // A BOM and leading whitespace are not a reason to refuse.
    let mut bom = b"\xEF\xBB\xBF\n  ".to_vec();
    bom.extend_from_slice(&json);
    assert_eq!(read_payload(&bom, limits).unwrap().report, plain.report);
}

#[test]
fn hostile_and_broken_payloads_are_refused() {
    let json = fixture("good/rfc-shape.json");
    let limits = PayloadLimits::default();
    let gz = gzip(&json);
    let truncated = &gz[..gz.len() - 12];
    assert_eq!(
        read_payload(truncated, limits).unwrap_err().code,
        ReportErrorCode::CorruptGzip
    );
    let no_json = zip(&[("README.txt", b"no report here"), ("logo.png", b"\x89PNG")]);
    assert_eq!(
        read_payload(&no_json, limits).unwrap_err().code,
        ReportErrorCode::ZipWithoutJson
    );
    let mut broken_zip = zip(&[("r.json", &json)]);
    broken_zip.truncate(30);
    assert_eq!(
        read_payload(&broken_zip, limits).unwrap_err().code,
        ReportErrorCode::CorruptZip
    );
    assert_eq!(
        read_payload(b"<feedback>dmarc</feedback>", limits).unwrap_err().code,
        ReportErrorCode::UnrecognisedFormat
    );
    let small = PayloadLimits {
        max_compressed: 100,
        max_decompressed: 1000,
    };
    assert_eq!(read_payload(&json, small).unwrap_err().code, ReportErrorCode::TooLarge);
}

#[test]
fn a_gzip_bomb_is_stopped_at_the_limit() {
    // 60 MiB of whitespace after a brace compresses to ~60 KiB: under the compressed limit,
    // over the decompressed one. The default limits apply.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"{").unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..60 {
        enc.write_all(&chunk).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024);
    let err = read_payload(&bomb, PayloadLimits::default()).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::DecompressedTooLarge);
    assert!(err.code.is_size_limit());
    let zipped = zip(&[("bomb.json", &vec![b' '; 2 * 1024 * 1024])]);
    let small = PayloadLimits {
        max_compressed: 10 << 20,
        max_decompressed: 1 << 20,
    };
    assert_eq!(
        read_payload(&zipped, small).unwrap_err().code,
        ReportErrorCode::DecompressedTooLarge
    );
}

/// Real senders' reports, kept outside the repository (see ../shared/fixtures/tlsrpt/SOURCES.md).
#[test]
fn every_report_in_the_shared_corpus_parses() {
    let dir = repo().join("../shared/fixtures/tlsrpt");
    if !dir.is_dir() {
        eprintln!("{} not present: corpus test skipped", dir.display());
        return;
    }
    let mut parsed = 0;
    for folder in std::fs::read_dir(&dir).unwrap() {
        let folder = folder.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&folder).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&file).unwrap();
                let decoded = read_payload(&bytes, PayloadLimits::default())
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                assert!(!decoded.report.organization_name.is_empty());
                parsed += 1;
            }
        }
    }
    assert!(parsed >= 15, "only {parsed} reports found in {}", dir.display());
}

// --- Hostile payloads: one budget per payload, zip directories, field caps -------------------

/// A stored (uncompressed) zip written by hand, so its central directory can list any entry at
/// any offset: `(name, local header to point at)` per directory entry.
fn handmade_zip(data: &[u8], directory: &[(&str, usize)]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let crc = crc.sum();
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    // One local entry per distinct offset asked for (0 = the first one).
    let local = |out: &mut Vec<u8>, name: &str| {
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
    };
    for (name, at) in directory {
        if *at >= offsets.len() {
            offsets.push(out.len());
            local(&mut out, name);
        }
    }
    let directory_start = out.len();
    for (name, at) in directory {
        out.extend_from_slice(b"PK\x01\x02");
        out.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&(offsets[*at] as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    let directory_len = out.len() - directory_start;
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(directory.len() as u16).to_le_bytes());
    out.extend_from_slice(&(directory.len() as u16).to_le_bytes());
    out.extend_from_slice(&(directory_len as u32).to_le_bytes());
    out.extend_from_slice(&(directory_start as u32).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn the_handmade_zip_is_a_zip_the_reader_takes() {
    // The helper itself, so the refusals below are refusals of the shape and not of a typo.
    let json = fixture("good/rfc-shape.json");
    let one = handmade_zip(&json, &[("r.json", 0)]);
    assert_eq!(
        read_payload(&one, PayloadLimits::default()).unwrap().kind,
        PayloadKind::Zip
    );
}

#[test]
fn zip_entries_that_share_bytes_or_names_are_refused() {
    let json = fixture("good/rfc-shape.json");
    // Two directory entries pointing at the same local entry: the bomb's shape.
    let overlapping = handmade_zip(&json, &[("a.json", 0), ("b.json", 0)]);
    let err = read_payload(&overlapping, PayloadLimits::default()).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::CorruptZip, "{err}");
    assert!(err.message.contains("overlap"), "{err}");
    // Two entries of their own that share a name.
    let twice = handmade_zip(&json, &[("r.json", 0), ("r.json", 1)]);
    let err = read_payload(&twice, PayloadLimits::default()).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::CorruptZip, "{err}");
    assert!(err.message.contains("twice"), "{err}");
}

#[test]
fn a_zip_listing_more_entries_than_allowed_is_refused_before_it_is_opened() {
    let names: Vec<String> = (0..=MAX_ZIP_ENTRIES).map(|i| format!("{i}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let err = read_payload(&zip(&entries), PayloadLimits::default()).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::TooManyItems, "{err}");
    // 65,535 directory entries (the most the end record can state) naming one local entry:
    // refused from the end record alone.
    let names: Vec<String> = (0..65_535).map(|i| format!("{i}")).collect();
    let directory: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), 0)).collect();
    let bomb = handmade_zip(b"{}", &directory);
    assert!(bomb.len() < 10 << 20);
    let err = read_payload(&bomb, PayloadLimits::default()).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::TooManyItems, "{err}");
}

#[test]
fn one_budget_covers_every_zip_entry_and_every_attachment() {
    let json = fixture("good/rfc-shape.json");
    let limits = PayloadLimits {
        max_compressed: 10 << 20,
        max_decompressed: 1 << 20,
    };
    // Three entries of 600 KiB that are not reports, then the report: each under the limit,
    // together over it.
    let filler = vec![b'x'; 600 * 1024];
    let spread = zip(&[
        ("a.txt", &filler),
        ("b.txt", &filler),
        ("c.txt", &filler),
        ("r.json", &json),
    ]);
    let err = read_payload(&spread, limits).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::DecompressedTooLarge, "{err}");
    // One entry of 600 KiB is fine.
    let one = zip(&[("a.txt", &filler), ("r.json", &json)]);
    assert!(read_payload(&one, limits).is_ok());

    // Attachments of one mail share a budget: the second 600 KiB payload no longer fits.
    let mut padded = json.clone();
    padded.extend(std::iter::repeat_n(b' ', 600 * 1024));
    let budget = Budget::new(limits.max_decompressed);
    assert!(read_payload_within(&gzip(&padded), limits, &budget).is_ok());
    let err = read_payload_within(&gzip(&padded), limits, &budget).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::DecompressedTooLarge, "{err}");
}

#[test]
fn a_cancelled_payload_stops_and_says_so() {
    let budget = Budget::new(1 << 20);
    budget.cancel();
    let err = read_payload_within(
        &gzip(&fixture("good/rfc-shape.json")),
        PayloadLimits::default(),
        &budget,
    )
    .unwrap_err();
    assert_eq!(err.code, ReportErrorCode::Cancelled);
}

fn report_json(organization: &str, contact: &str, policies: &str) -> Vec<u8> {
    format!(
        r#"{{"organization-name":{organization:?},"contact-info":{contact:?},"report-id":"r","date-range":{{"start-datetime":"2026-01-01T00:00:00Z","end-datetime":"2026-01-02T00:00:00Z"}},"policies":[{policies}]}}"#
    )
    .into_bytes()
}

fn policy_json(domain: &str, failures: &str) -> String {
    format!(
        r#"{{"policy":{{"policy-type":"sts","policy-domain":"{domain}"}},"summary":{{"total-successful-session-count":1,"total-failure-session-count":0}},"failure-details":[{failures}]}}"#
    )
}

#[test]
fn identifying_fields_over_their_cap_refuse_the_report() {
    let long = "O".repeat(MAX_NAME + 1);
    let err = parse_report(&report_json(&long, "c", &policy_json("a.example", ""))).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::InvalidReport);
    assert!(err.message.contains("organization-name"), "{err}");
    let at_cap = "O".repeat(MAX_NAME);
    assert!(parse_report(&report_json(&at_cap, "c", &policy_json("a.example", ""))).is_ok());
}

#[test]
fn descriptive_fields_are_cut_to_their_cap() {
    let failure = format!(
        r#"{{"result-type":"{}","receiving-mx-hostname":"{}","additional-information":"{}","failure-reason-code":"{}","failed-session-count":1,"x-big":"{}"}}"#,
        "r".repeat(1000),
        "m".repeat(1000),
        "é".repeat(5000),
        "c".repeat(10_000),
        "z".repeat(10_000),
    );
    let report = parse_report(&report_json(
        "O",
        &"c".repeat(5000),
        &policy_json("a.example", &failure),
    ))
    .unwrap();
    assert!(report.contact_info.as_ref().unwrap().len() <= MAX_NAME);
    let detail = &report.policies[0].failure_details[0];
    assert!(detail.result_type.as_str().len() <= MAX_HOST);
    assert!(detail.receiving_mx_hostname.as_ref().unwrap().len() <= MAX_HOST);
    let info = detail.additional_information.as_ref().unwrap();
    assert!(info.len() <= MAX_DETAIL_TEXT && info.ends_with('…'));
    assert!(detail.failure_reason_code.as_ref().unwrap().len() <= MAX_DETAIL_TEXT);
    assert!(detail.extra.contains_key("portcullis-cut"), "{:?}", detail.extra.keys());
    assert_eq!(detail.extra.len(), 1);
}

#[test]
fn reports_with_too_many_policies_domains_or_failures_are_refused() {
    let many_domains: Vec<String> = (0..=MAX_DOMAINS)
        .map(|i| policy_json(&format!("d{i}.example"), ""))
        .collect();
    let err = parse_report(&report_json("O", "c", &many_domains.join(","))).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::TooManyItems);
    assert!(err.message.contains("policy domains"), "{err}");
    // The same number of policies for one domain is fine, and is split in one pass.
    let one_domain: Vec<String> = (0..=MAX_DOMAINS).map(|_| policy_json("a.example", "")).collect();
    let report = parse_report(&report_json("O", "c", &one_domain.join(","))).unwrap();
    let (shares, _) = split_by_domain(&report, None);
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].policies.len(), MAX_DOMAINS + 1);

    let too_many: Vec<String> = (0..=MAX_POLICIES).map(|_| policy_json("a.example", "")).collect();
    let err = parse_report(&report_json("O", "c", &too_many.join(","))).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::TooManyItems);
    assert!(err.message.contains("policies"), "{err}");

    let failure = r#"{"result-type":"validation-failure","failed-session-count":1}"#;
    let half = vec![failure; MAX_FAILURE_DETAILS / 2 + 1].join(",");
    let two = [policy_json("a.example", &half), policy_json("a.example", &half)].join(",");
    let err = parse_report(&report_json("O", "c", &two)).unwrap_err();
    assert_eq!(err.code, ReportErrorCode::TooManyItems);
    assert!(err.message.contains("failure details"), "{err}");
}

#[test]
fn a_report_of_many_domains_splits_into_one_share_each_in_order() {
    let policies: Vec<String> = (0..MAX_DOMAINS)
        .map(|i| policy_json(&format!("d{i}.example"), ""))
        .collect();
    let report = parse_report(&report_json("O", "c", &policies.join(","))).unwrap();
    let (shares, unplaced) = split_by_domain(&report, None);
    assert_eq!((shares.len(), unplaced), (MAX_DOMAINS, 0));
    assert!(shares
        .iter()
        .enumerate()
        .all(|(i, s)| s.domain == format!("d{i}.example")));
    assert_eq!(report.policy_domains().len(), MAX_DOMAINS);
}
