//! TXT record text as DNS returns it → `_mta-sts` (`v=STSv1; id=…`) and `_smtp._tls`
//! (`v=TLSRPTv1; rua=…`) records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_domain::dns::{is_sts_record, is_tlsrpt_record, StsRecord, TlsRptRecord};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = is_sts_record(text);
    let _ = is_tlsrpt_record(text);
    let _ = StsRecord::parse(text);
    let _ = TlsRptRecord::parse(text);
});
