//! Taking in report mail: the attachments that `portcullis_domain::tlsrpt::report_mail` finds,
//! each ingested within one decompression budget for the whole message. Used by the SMTP
//! receiver, IMAP polling, uploads of `.eml` files and `portcullis import`.

use std::sync::Arc;

pub use portcullis_domain::tlsrpt::{mail_subject, report_mail, MailPart, ReportMail, MAX_REPORT_ATTACHMENTS};
use portcullis_domain::tlsrpt::{parse_report_filename, Budget, DkimVerdict, Provenance};
use portcullis_store::OrgAccess;

use crate::reports::ingest::{Channel, IngestError, Ingested, ReportInput};
use crate::Services;

/// What a message offers, as inputs for ingestion: one per attachment, with its file name. The
/// domain hint comes from the attachment name, else the `TLS-Report-Domain` header; the
/// submitter from `TLS-Report-Submitter`.
pub fn mail_inputs(mail: ReportMail, channel: Channel, provenance: &Provenance) -> Vec<(Option<String>, ReportInput)> {
    let (domain, submitter) = (mail.domain, mail.submitter);
    mail.parts
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
                provenance: provenance.clone(),
            };
            (part.filename, input)
        })
        .collect()
}

/// The result of taking in one message: per attachment, a label and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailOutcome {
    pub results: Vec<(String, Result<Ingested, IngestError>)>,
    /// Why nothing was tried, when the message held no candidate attachment.
    pub problem: Option<String>,
}

impl Services {
    /// Takes in every report attached to a message (hints as in [`ReportMail::inputs`]); the
    /// submitter is `fallback_submitter` (the connecting address) when the mail names none. The
    /// message's DKIM signatures are verified: a report is authenticated by its mail's verified
    /// signing domain; otherwise its source is the connecting address (`peer`, SMTP) or the
    /// mailbox (IMAP). `tls` is the SMTP session's TLS version, if STARTTLS was used.
    pub async fn ingest_mail(
        &self,
        access: Option<&OrgAccess>,
        raw: Vec<u8>,
        channel: Channel,
        fallback_submitter: Option<&str>,
        tls: Option<&str>,
    ) -> MailOutcome {
        let problem = |text: String| MailOutcome {
            results: vec![],
            problem: Some(text),
        };
        let (raw, dkim) = match &self.dkim {
            Some(check) => check.verdict_off_runtime(raw).await,
            None => (
                raw,
                DkimVerdict::None {
                    reason: "DKIM is not checked on this server".into(),
                },
            ),
        };
        let peer = fallback_submitter.and_then(|p| p.parse::<std::net::IpAddr>().ok());
        let provenance = match channel {
            Channel::Smtp => Provenance::mail(peer, tls, &dkim),
            Channel::Imap => Provenance::mail(None, None, &dkim),
            other => Provenance::by_hand(other.as_str(), "a mail message"),
        };
        // One decompression budget for the whole message, shared by every attachment.
        let budget = Arc::new(Budget::new(self.ingestion.config.limits.max_decompressed));
        let parsed = self
            .ingestion
            .off_runtime(budget.clone(), move |_| report_mail(&raw))
            .await;
        let mail = match parsed {
            Ok(Some(mail)) => mail,
            Ok(None) => return problem("the message could not be parsed as e-mail".into()),
            Err(_) => return problem("the message could not be read".into()),
        };
        if mail.parts.is_empty() {
            return problem("the message has no TLS-RPT report attachment (.json, .json.gz, .zip)".into());
        }
        if mail.parts.len() > MAX_REPORT_ATTACHMENTS {
            return problem(format!(
                "the message carries {} report attachments; at most {MAX_REPORT_ATTACHMENTS} are read from one message",
                mail.parts.len()
            ));
        }
        let mut outcome = MailOutcome::default();
        for (index, (filename, mut input)) in mail_inputs(mail, channel, &provenance).into_iter().enumerate() {
            let label = filename.unwrap_or_else(|| format!("attachment {}", index + 1));
            if input.submitter.is_none() {
                input.submitter = fallback_submitter.map(str::to_string);
            }
            let result = self.ingest_report_within(access, input, budget.clone()).await;
            outcome.results.push((label, result));
        }
        outcome
    }
}
