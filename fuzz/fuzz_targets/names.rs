//! What users type and DNS returns as names → a domain name (IDN included) and an `mx:`
//! pattern; a parsed name parses again to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_domain::{DomainName, MxPattern};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(name) = DomainName::parse(text) {
        assert_eq!(DomainName::parse(name.as_str()).as_ref(), Ok(&name));
    }
    if let Ok(pattern) = MxPattern::parse(text) {
        let _ = MxPattern::parse(&pattern.to_string());
    }
});
