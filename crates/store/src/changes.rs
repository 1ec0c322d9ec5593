//! Telling the other instances on one database what changed, so they need not wait for their
//! periodic reloads: PostgreSQL's `NOTIFY` on one channel, one word per kind of change. On SQLite
//! (one process) there is nobody to tell, and the periodic reloads stay the only path.

use crate::pool::Pool;
use crate::{Store, StoreError};
use sqlx::postgres::PgListener;

const CHANNEL: &str = "portcullis_changes";

/// What another instance must reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The policies served (a save, a transition, a deletion).
    Policies,
    /// The certificates served (an issue or a renewal).
    Certificates,
}

impl Change {
    fn word(self) -> &'static str {
        match self {
            Change::Policies => "policies",
            Change::Certificates => "certificates",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        [Change::Policies, Change::Certificates]
            .into_iter()
            .find(|c| c.word() == word)
    }
}

/// The changes other instances (and this one) announce, as they are committed.
pub struct ChangeListener(PgListener);

impl ChangeListener {
    /// The next change. An error means the connection was lost: notifications sent meanwhile are
    /// gone, so the caller reloads everything; the next call connects again.
    pub async fn next(&mut self) -> Result<Option<Change>, StoreError> {
        let notification = self.0.recv().await?;
        Ok(Change::from_word(notification.payload()))
    }
}

impl Store {
    /// Tells every instance listening that `change` happened (after it was committed).
    pub async fn announce(&self, change: Change) -> Result<(), StoreError> {
        if let Pool::Postgres(db) = &self.pool {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(change.word())
                .execute(db)
                .await?;
        }
        Ok(())
    }

    /// Listens for announced changes on a connection of its own; `None` on SQLite.
    pub async fn listen(&self) -> Result<Option<ChangeListener>, StoreError> {
        match &self.pool {
            Pool::Postgres(db) => {
                let mut listener = PgListener::connect_with(db).await?;
                listener.listen(CHANNEL).await?;
                Ok(Some(ChangeListener(listener)))
            }
            Pool::Sqlite(_) => Ok(None),
        }
    }
}
