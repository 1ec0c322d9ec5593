//! DNS: the records a domain publishes for MTA-STS and TLS-RPT (what to publish, and parsing what
//! was found), and the findings a live check reports. Pure logic, shared with the browser.

mod delegation;
mod findings;
mod records;
mod setup;
mod sts_record;
mod tag_list;
mod tlsrpt_record;

pub use delegation::{
    challenge_record, delegation_records, Delegated, ProofToken, ProofTokenError, CHALLENGE_LABEL, CHALLENGE_PREFIX,
    MAX_ZONE_LEN, TOKEN_LEN,
};
pub use findings::{Finding, FindingCode, Severity, Status};
pub use records::{publish_records, zone_snippet, DnsRecord, ReportAddresses, PROVIDER_NOTES};
pub use setup::{DnsSetup, DnsSetupError};
pub use sts_record::{is_sts_record, StsRecord, StsRecordError};
pub use tlsrpt_record::{is_tlsrpt_record, RuaUri, TlsRptRecord, TlsRptRecordError};
