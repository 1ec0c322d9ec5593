//! Report mail (RFC 8460 §5.3, `multipart/report; report-type=tlsrpt`): the report attachments
//! of a message, with the headers and file names that hint at the domain, parsed by
//! `mail-parser`. Pure: the SMTP receiver, IMAP polling, uploads and `portcullis import` hand
//! it the bytes (feature `mail`, server side only).

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// Attachment types that may hold a report; the bytes decide in the end.
const REPORT_SUBTYPES: &[&str] = &[
    "tlsrpt+gzip",
    "tlsrpt+json",
    "tlsrpt",
    "gzip",
    "x-gzip",
    "json",
    "zip",
    "x-zip-compressed",
    "octet-stream",
];

/// Report attachments read from one message. A sender puts one report in a message (RFC 8460
/// §5.3); a message of hundreds is refused whole, so nothing is stored from it half-way.
pub const MAX_REPORT_ATTACHMENTS: usize = 16;

/// One attachment that may be a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPart {
    pub payload: Vec<u8>,
    pub filename: Option<String>,
}

/// What a message offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportMail {
    pub parts: Vec<MailPart>,
    /// `TLS-Report-Domain`.
    pub domain: Option<String>,
    /// `TLS-Report-Submitter`.
    pub submitter: Option<String>,
}

/// The report attachments of `raw`; `None` when it is not a MIME message at all.
pub fn report_mail(raw: &[u8]) -> Option<ReportMail> {
    let message = MessageParser::default().parse(raw)?;
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().trim_end_matches('.').to_string())
            .filter(|v| !v.is_empty())
    };
    let mut mail = ReportMail {
        parts: Vec::new(),
        domain: header("TLS-Report-Domain").map(|d| d.to_ascii_lowercase()),
        submitter: header("TLS-Report-Submitter"),
    };
    for part in &message.parts {
        let payload = match &part.body {
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.as_ref(),
            // A report sent as text/plain JSON, or with a text type by mistake, still counts
            // when its name says it is one.
            PartType::Text(text) if has_report_name(part.attachment_name()) => text.as_bytes(),
            _ => continue,
        };
        let subtype_ok = part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("application")
                && ct
                    .subtype()
                    .is_some_and(|s| REPORT_SUBTYPES.iter().any(|r| s.eq_ignore_ascii_case(r)))
        });
        if !subtype_ok && !has_report_name(part.attachment_name()) {
            continue;
        }
        mail.parts.push(MailPart {
            payload: payload.to_vec(),
            filename: part.attachment_name().map(str::to_string),
        });
    }
    Some(mail)
}

/// The decoded `Subject` of a message's header block (or whole message), for logs and lists.
pub fn mail_subject(raw: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse_headers(raw)?;
    message.subject().map(|s| s.trim().to_string())
}

fn has_report_name(name: Option<&str>) -> bool {
    name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        [".json", ".json.gz", ".gz", ".zip"].iter().any(|ext| n.ends_with(ext))
    })
}
