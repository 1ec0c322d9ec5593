//! `imap poll` and `import`: reports fetched or read by hand.

use super::ExitStatus;
use crate::ingest::imap::{self, MessageResult};
use crate::ingest::import;
use crate::Config;
use portcullis_service::Services;
use std::path::PathBuf;

pub(super) async fn imap_poll(services: &Services, config: &Config) -> anyhow::Result<ExitStatus> {
    let settings = config
        .imap_settings()
        .map_err(|e| anyhow::anyhow!(e))?
        .ok_or_else(|| anyhow::anyhow!("no mailbox configured: set PORTCULLIS_IMAP_URL"))?;
    let pass = imap::poll_once(services, &settings)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", settings.mailbox()))?;
    for (uid, subject, result) in &pass.messages {
        let (word, detail) = match result {
            MessageResult::Stored {
                new,
                duplicates,
                refused,
            } => (
                "stored",
                format!(
                    "{new} new, {duplicates} duplicate, {refused} refused report(s); moved to {}",
                    settings.processed_folder
                ),
            ),
            MessageResult::Failed(why) => ("failed", format!("{why}; moved to {}", settings.failed_folder)),
            MessageResult::Deferred => ("deferred", "storage unavailable; left in place".to_string()),
        };
        println!("{uid}\t{word}\t{subject}\t{detail}");
    }
    eprintln!(
        "{} message(s): {} stored, {} failed, {} deferred",
        pass.messages.len(),
        pass.count(|r| matches!(r, MessageResult::Stored { .. })),
        pass.count(|r| matches!(r, MessageResult::Failed(_))),
        pass.count(|r| *r == MessageResult::Deferred)
    );
    Ok(0)
}

/// Exit 1 when any report was not stored.
pub(super) async fn import(services: &Services, paths: &[PathBuf], quiet: bool) -> anyhow::Result<ExitStatus> {
    use std::io::IsTerminal;
    let mut reporter = import::Reporter {
        out: std::io::stdout().lock(),
        quiet,
        progress: std::io::stderr().is_terminal(),
    };
    let summary = import::import_paths(services, paths, &mut reporter).await;
    eprintln!(
        "{} report(s): {} stored, {} duplicate, {} failed",
        summary.total(),
        summary.stored,
        summary.duplicates,
        summary.failed
    );
    Ok(if summary.failed > 0 { 1 } else { 0 })
}
