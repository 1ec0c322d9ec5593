//! A policy body as fetched from `https://mta-sts.<domain>/.well-known/mta-sts.txt` (the checks
//! read other servers' policies) → a policy, rendered back, and the diff against the original.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_domain::policy::{diff_lines, Policy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(policy) = Policy::parse(text) {
        let rendered = policy.render();
        let again = Policy::parse(&rendered).expect("a rendered policy parses");
        assert_eq!(again.render(), rendered);
    }
    if let Some((old, new)) = text.split_once('\0') {
        let _ = diff_lines(old, new);
    }
});
