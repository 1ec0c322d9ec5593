//! Keeping the instances on one database in step: what one instance changes in the served
//! policies or certificates is announced (PostgreSQL `NOTIFY`), and every instance follows the
//! announcements, so a saved policy is served everywhere within moments instead of after the
//! next periodic reload (which stays, as the fallback).

use crate::Services;
use portcullis_store::{Backend, Change};
use std::future::Future;
use std::time::Duration;

impl Services {
    /// Whether other instances can share this database and hear announcements (PostgreSQL).
    pub fn follows_changes(&self) -> bool {
        self.store.backend() == Backend::Postgres
    }

    /// Tells the other instances, after the change was committed. A failure only delays them
    /// until their periodic reload.
    pub(crate) async fn announce(&self, change: Change) {
        if let Err(e) = self.store.announce(change).await {
            tracing::warn!(error = %e, ?change, "change not announced; other instances pick it up at their next reload");
        }
    }

    /// Follows the announced changes for as long as the process runs: served policies are
    /// reloaded here, and `certificates_changed` runs when certificates changed. After a lost
    /// connection (announcements missed) both are reloaded. Returns at once on SQLite.
    pub async fn follow_changes<F, Fut>(&self, certificates_changed: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        if !self.follows_changes() {
            return;
        }
        let mut listener = loop {
            match self.store.listen().await {
                Ok(Some(listener)) => break listener,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes from other instances; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        };
        // Whatever changed before the listening began.
        self.reload_policies().await;
        certificates_changed().await;
        loop {
            match listener.next().await {
                Ok(Some(Change::Policies)) => self.reload_policies().await,
                Ok(Some(Change::Certificates)) => certificates_changed().await,
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "lost the change announcements; reloading, then listening again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    self.reload_policies().await;
                    certificates_changed().await;
                }
            }
        }
    }

    async fn reload_policies(&self) {
        if let Err(e) = self.refresh_snapshot().await {
            tracing::warn!(error = %e, "policy snapshot not refreshed; still serving the previous one");
        }
    }
}
