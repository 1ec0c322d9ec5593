//! Services: what a user can do, independent of how they asked (dashboard form, REST API, CLI).
//!
//! Each service validates its input into domain types, calls the tenant-scoped store and returns
//! a [`ServiceError`] a caller can map to its own surface (HTTP status, form error, exit code).

mod accounts;
mod domains;
mod error;
mod orgs;
mod password_hash;
mod throttle;

pub use accounts::{Login, SESSION_TTL_SECS};
pub use domains::{parse_domain, DOMAINS_PAGE_SIZE};
pub use error::ServiceError;
pub use password_hash::{hash_password, verify_password};
pub use throttle::Throttle;

use portcullis_store::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Shared handle: cheap to clone, one per process.
#[derive(Clone, Debug)]
pub struct Services {
    pub store: Store,
    throttle: Arc<Throttle>,
    /// Cached "no user exists yet", so the setup redirect costs no query per request.
    needs_setup: Arc<AtomicBool>,
}

impl Services {
    pub async fn new(store: Store) -> Result<Self, ServiceError> {
        let needs_setup = store.user_count().await? == 0;
        Ok(Self {
            store,
            throttle: Arc::new(Throttle::default()),
            needs_setup: Arc::new(AtomicBool::new(needs_setup)),
        })
    }

    /// True while no user exists. Checks the database again while the cached flag says so, so
    /// an administrator created from the command line ends setup for a running server too.
    pub async fn needs_setup(&self) -> bool {
        if !self.needs_setup.load(Ordering::Relaxed) {
            return false;
        }
        match self.store.user_count().await {
            Ok(0) => true,
            Ok(_) => {
                self.mark_set_up();
                false
            }
            // Unknown: do not send everyone to the setup page because the database blinked.
            Err(_) => false,
        }
    }

    pub(crate) fn mark_set_up(&self) {
        self.needs_setup.store(false, Ordering::Relaxed);
    }
}
