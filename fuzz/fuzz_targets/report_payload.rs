//! Bytes as a sender POSTs or attaches them → a report: gzip, zip or JSON, every layer within
//! one decompression budget. Allocation over the budget shows as libFuzzer's `-rss_limit_mb`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_domain::tlsrpt::{read_payload, PayloadLimits};

fuzz_target!(|data: &[u8]| {
    // Small limits, so the fuzzer reaches them; the caps scale with the budget.
    let limits = PayloadLimits {
        max_compressed: 1 << 20,
        max_decompressed: 4 << 20,
    };
    if let Ok(decoded) = read_payload(data, limits) {
        assert!(decoded.json.len() <= limits.max_decompressed);
        let _ = decoded.report.totals();
        let _ = portcullis_domain::tlsrpt::split_by_domain(&decoded.report, Some("example.com"));
    }
});
