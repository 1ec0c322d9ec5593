//! IMAP polling of an existing report mailbox (`PORTCULLIS_IMAP_URL`): every message in the
//! folder goes through the same mail ingestion as the SMTP receiver, then moves to the
//! processed folder (reports stored, new or already known) or to the failed folder (nothing in
//! it could be stored: no report, a refused report, over the size limit). A storage outage
//! leaves the message where it is for the next pass. A message moves only after its reports
//! are committed, so a crash in between re-reads it next time, and deduplication counts it
//! once. Always over TLS: `imaps://` (implicit) or `imap://` with a required STARTTLS.

mod session;
mod settings;

pub use session::ImapError;
pub use settings::{ImapSettings, MailboxUrl, Security};

use async_imap::Session;
use futures_util::TryStreamExt;
use portcullis_service::{mail_subject, Channel, MailOutcome, Services};
use session::{ensure_folder, move_message, open, step, MoveSupport, Transport};
use std::time::Duration;

/// What one message became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageResult {
    /// At least one report stored (`new` of them new); moved to the processed folder.
    Stored {
        new: usize,
        duplicates: usize,
        refused: usize,
    },
    /// Nothing storable; moved to the failed folder. The reason is for the log.
    Failed(String),
    /// Storage is unavailable: left in the folder for the next pass.
    Deferred,
}

/// One pass over the folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// Per message: its UID, subject (if any) and result, in UID order.
    pub messages: Vec<(u32, String, MessageResult)>,
}

impl PollSummary {
    pub fn count(&self, f: impl Fn(&MessageResult) -> bool) -> usize {
        self.messages.iter().filter(|(_, _, r)| f(r)).count()
    }
}

/// What the mail ingestion made of one message.
fn result_of(outcome: &MailOutcome) -> MessageResult {
    if outcome
        .results
        .iter()
        .any(|(_, r)| matches!(r, Err(e) if e.is_temporary()))
    {
        return MessageResult::Deferred;
    }
    let (mut new, mut duplicates, mut refused) = (0, 0, 0);
    let mut reasons = Vec::new();
    for (label, result) in &outcome.results {
        match result {
            Ok(ingested) if ingested.outcome.is_new() => new += 1,
            Ok(_) => duplicates += 1,
            Err(e) => {
                refused += 1;
                reasons.push(format!("{label}: {e}"));
            }
        }
    }
    if new + duplicates > 0 {
        return MessageResult::Stored {
            new,
            duplicates,
            refused,
        };
    }
    MessageResult::Failed(outcome.problem.clone().unwrap_or_else(|| reasons.join("; ")))
}

/// One pass: every message in the folder, oldest first. Stops early (keeping what it did) on a
/// storage outage, leaving the rest for the next pass.
pub async fn poll_once(services: &Services, settings: &ImapSettings) -> Result<PollSummary, ImapError> {
    let mut session = open(settings).await?;
    let result = poll_session(services, settings, &mut session).await;
    // A polite goodbye; the pass's outcome does not depend on it.
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
    result
}

async fn poll_session(
    services: &Services,
    settings: &ImapSettings,
    session: &mut Session<Box<dyn Transport>>,
) -> Result<PollSummary, ImapError> {
    let capabilities = step(settings, session.capabilities()).await?;
    let support = MoveSupport {
        move_command: capabilities.has_str("MOVE"),
        uid_expunge: capabilities.has_str("UIDPLUS"),
    };
    ensure_folder(settings, session, &settings.processed_folder).await?;
    ensure_folder(settings, session, &settings.failed_folder).await?;
    step(settings, session.select(&settings.folder)).await?;
    // Mail someone already deleted (flagged, not yet expunged) is not taken in.
    let mut uids: Vec<u32> = step(settings, session.uid_search("UNDELETED"))
        .await?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let mut summary = PollSummary::default();
    for uid in uids {
        // The size and subject first: a message over the limit is never downloaded.
        let head = step(settings, async {
            let fetched = session
                .uid_fetch(uid.to_string(), "(UID RFC822.SIZE BODY.PEEK[HEADER])")
                .await?;
            fetched.try_collect::<Vec<_>>().await
        })
        .await?;
        let Some(head) = head.into_iter().find(|f| f.uid == Some(uid)) else {
            continue; // expunged by someone else meanwhile
        };
        let subject = head.header().and_then(mail_subject).unwrap_or_default();
        let size = head.size.unwrap_or(0) as usize;
        let result = if size > settings.max_message_bytes {
            MessageResult::Failed(format!(
                "the message has {size} bytes, more than the limit of {} (smtp_max_message_bytes)",
                settings.max_message_bytes
            ))
        } else {
            let body = step(settings, async {
                let fetched = session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])").await?;
                fetched.try_collect::<Vec<_>>().await
            })
            .await?;
            let Some(raw) = body
                .iter()
                .find(|f| f.uid == Some(uid))
                .and_then(|f| f.body())
                .map(<[u8]>::to_vec)
            else {
                continue;
            };
            let outcome = services.ingest_mail(None, raw, Channel::Imap, None, None).await;
            result_of(&outcome)
        };
        match &result {
            MessageResult::Stored { .. } => {
                move_message(settings, session, support, uid, &settings.processed_folder).await?
            }
            MessageResult::Failed(why) => {
                tracing::warn!(uid, subject = %subject, reason = %why, folder = %settings.failed_folder, "IMAP message holds no storable report; moved aside");
                move_message(settings, session, support, uid, &settings.failed_folder).await?
            }
            MessageResult::Deferred => {}
        }
        let deferred = result == MessageResult::Deferred;
        summary.messages.push((uid, subject, result));
        if deferred {
            tracing::warn!("storage unavailable; the rest of the mailbox waits for the next IMAP pass");
            break;
        }
    }
    Ok(summary)
}

/// One pass, logged when it found mail or failed (a failed pass is retried at the next interval).
pub async fn logged_pass(services: &Services, settings: &ImapSettings) {
    match poll_once(services, settings).await {
        Ok(pass) if !pass.messages.is_empty() => tracing::info!(
            mailbox = %settings.mailbox(),
            stored = pass.count(|r| matches!(r, MessageResult::Stored { .. })),
            failed = pass.count(|r| matches!(r, MessageResult::Failed(_))),
            deferred = pass.count(|r| *r == MessageResult::Deferred),
            "IMAP pass"
        ),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(mailbox = %settings.mailbox(), error = %e, "IMAP pass failed; retrying at the next interval")
        }
    }
}
