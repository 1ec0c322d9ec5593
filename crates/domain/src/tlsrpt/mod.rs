//! TLS-RPT (RFC 8460) reports: the typed model, a lenient parser that accepts what real senders
//! send, which policy each sender applies (`senders`), which senders went quiet (`silence`),
//! patterns across domains (`patterns`), and (server side only) payload detection and bounded
//! decompression (feature `decompress`) and report mail (feature `mail`).

mod attribution;
mod error;
mod explain;
mod field_limits;
mod filename;
mod lenient;
#[cfg(feature = "mail")]
mod mail;
mod model;
mod parse;
mod patterns;
#[cfg(feature = "decompress")]
mod payload;
mod provenance;
mod senders;
mod silence;
mod structure;

pub use attribution::{split_by_domain, DomainShare};
pub use error::{ReportError, ReportErrorCode};
pub use explain::ResultCategory;
pub use field_limits::{
    MAX_DETAIL_TEXT, MAX_DOMAINS, MAX_EXTRA, MAX_FAILURE_DETAILS, MAX_HOST, MAX_NAME, MAX_POLICIES,
};
pub use filename::{parse_report_filename, FilenameHint};
pub use lenient::{parse_datetime, MAX_COUNT};
#[cfg(feature = "mail")]
pub use mail::{mail_subject, report_mail, MailPart, ReportMail, MAX_REPORT_ATTACHMENTS};
pub use model::{
    DateRange, Extra, FailureDetail, PolicyDetails, PolicyResult, PolicyType, Report, ResultType, Summary,
};
pub use parse::{parse_report, parse_report_with};
pub use patterns::{find_patterns, provider_of, Pattern, PatternKind, PatternRow, PATTERN_MIN_DOMAINS};
#[cfg(feature = "decompress")]
pub use payload::{
    decode, read_payload, read_payload_within, Budget, Decoded, PayloadKind, PayloadLimits, MAX_ZIP_ENTRIES,
};
pub use provenance::{DkimVerdict, Provenance};
pub use senders::{track, Adoption, AppliedDay, AppliedRun, KnownVersion, SenderPolicy};
pub use silence::{
    reporting, reporting_of, rhythm_words, weekday, Reporting, DOMAIN_MISSED_DAYS, EXPECTED_OF_FOUR, LEARN_DAYS,
    REPORT_DELAY_DAYS, SENDER_MISSED_DAYS, WEEKDAY_NAMES,
};
pub use structure::{check_structure, JsonLimits};
