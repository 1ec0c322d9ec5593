//! The served policies, in memory. Policy fetches from senders never wait on (or fail with) the
//! database: the snapshot is filled at start-up, updated on every change made through this
//! process, and refreshed periodically for changes made by another process (the CLI).

use portcullis_store::ServedPolicy;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Debug, Default)]
pub struct PolicySnapshot {
    by_domain: RwLock<HashMap<String, Arc<str>>>,
}

impl PolicySnapshot {
    /// The served text for `domain` (canonical A-label name).
    pub fn get(&self, domain: &str) -> Option<Arc<str>> {
        self.read().get(domain).cloned()
    }

    pub fn set(&self, domain: &str, body: &str) {
        self.write().insert(domain.to_string(), Arc::from(body));
    }

    pub fn remove(&self, domain: &str) {
        self.write().remove(domain);
    }

    pub fn replace_all(&self, policies: Vec<ServedPolicy>) {
        let fresh: HashMap<String, Arc<str>> = policies
            .into_iter()
            .map(|p| (p.domain, Arc::from(p.body.as_str())))
            .collect();
        *self.write() = fresh;
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A writer that panicked left a complete map behind (every write is a single insert or
    // swap), so a poisoned lock is still safe to use.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<str>>> {
        self.by_domain.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<str>>> {
        self.by_domain.write().unwrap_or_else(|e| e.into_inner())
    }
}
