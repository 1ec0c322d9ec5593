//! Report mail (RFC 8460 §5.3, `multipart/report; report-type=tlsrpt`): the report attachments
//! of a message, with the headers and file names that hint at the domain, parsed by
//! `mail-parser`. Used by the SMTP receiver, uploads of `.eml` files and `portcullis import`.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use portcullis_domain::tlsrpt::parse_report_filename;
use portcullis_store::OrgAccess;

use crate::reports::{Channel, IngestError, Ingested, ReportInput};
use crate::Services;

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

impl ReportMail {
    /// One input per attachment, with its file name. The domain hint comes from the attachment
    /// name, else the `TLS-Report-Domain` header; the submitter from `TLS-Report-Submitter`.
    pub fn inputs(self, channel: Channel) -> Vec<(Option<String>, ReportInput)> {
        let (domain, submitter) = (self.domain, self.submitter);
        self.parts
            .into_iter()
            .map(|part| {
                let hint = part
                    .filename
                    .as_deref()
                    .and_then(parse_report_filename)
                    .map(|h| h.policy_domain)
                    .or_else(|| domain.clone());
                let input = ReportInput {
                    payload: part.payload,
                    channel,
                    submitter: submitter.clone(),
                    hint_domain: hint,
                };
                (part.filename, input)
            })
            .collect()
    }
}

/// The result of taking in one message: per attachment, a label and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailOutcome {
    pub results: Vec<(String, Result<Ingested, IngestError>)>,
    /// Why nothing was tried, when the message held no candidate attachment.
    pub problem: Option<String>,
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

impl Services {
    /// Takes in every report attached to a message (hints as in [`ReportMail::inputs`]); the
    /// submitter is `fallback_submitter` (the connecting address) when the mail names none.
    pub async fn ingest_mail(
        &self,
        access: Option<&OrgAccess>,
        raw: Vec<u8>,
        channel: Channel,
        fallback_submitter: Option<&str>,
    ) -> MailOutcome {
        let Some(mail) = report_mail(&raw) else {
            return MailOutcome {
                results: vec![],
                problem: Some("the message could not be parsed as e-mail".into()),
            };
        };
        if mail.parts.is_empty() {
            return MailOutcome {
                results: vec![],
                problem: Some("the message has no TLS-RPT report attachment (.json, .json.gz, .zip)".into()),
            };
        }
        let mut outcome = MailOutcome::default();
        for (index, (filename, mut input)) in mail.inputs(channel).into_iter().enumerate() {
            let label = filename.unwrap_or_else(|| format!("attachment {}", index + 1));
            if input.submitter.is_none() {
                input.submitter = fallback_submitter.map(str::to_string);
            }
            let result = self.ingest_report(access, input).await;
            outcome.results.push((label, result));
        }
        outcome
    }
}
