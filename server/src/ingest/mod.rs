//! Reports coming in: POSTs over HTTP(S), mail over SMTP, a polled IMAP mailbox, dashboard
//! uploads and the command line's import.

pub mod http;
pub mod imap;
pub mod import;
pub mod smtp;
pub(crate) mod upload;

use portcullis_service::Ingested;

/// One stored or duplicate report in words, as the import and the upload page list it:
/// `Sender Inc., report <id> → a.example, b.example (<unregistered>: c.example)`.
pub(crate) fn describe(ingested: &Ingested, unregistered: &str) -> String {
    let domains: Vec<&str> = ingested.outcome.stored.iter().map(|s| s.domain.as_str()).collect();
    let mut text = format!(
        "{}, report {} → {}",
        ingested.organization,
        ingested.report_id,
        domains.join(", ")
    );
    if !ingested.outcome.unregistered.is_empty() {
        text.push_str(&format!(
            " ({unregistered}: {})",
            ingested.outcome.unregistered.join(", ")
        ));
    }
    text
}
