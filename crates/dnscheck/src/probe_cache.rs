//! MX probe results shared across domains: hundreds of domains on one provider's MX hosts cost
//! one probe per host and TTL, and concurrent checks wait for the probe already running.

use crate::smtp_probe::ProbeOutcome;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

type Slot = Arc<OnceCell<ProbeOutcome>>;

#[derive(Default)]
pub(crate) struct ProbeCache {
    slots: Mutex<HashMap<String, (Instant, Slot)>>,
}

impl ProbeCache {
    /// The slot for `host`, new when there is none or the old one is older than `ttl`.
    pub(crate) fn slot(&self, host: &str, ttl: Duration) -> Slot {
        let mut slots = self.slots.lock().unwrap();
        let now = Instant::now();
        if slots.len() > 10_000 {
            slots.retain(|_, (at, _)| now.duration_since(*at) < ttl);
        }
        let entry = slots
            .entry(host.to_string())
            .or_insert_with(|| (now, Arc::new(OnceCell::new())));
        if now.duration_since(entry.0) >= ttl {
            *entry = (now, Arc::new(OnceCell::new()));
        }
        entry.1.clone()
    }

    /// Forgets `host`, so that "check now" after a fix probes again.
    pub(crate) fn forget(&self, host: &str) {
        self.slots.lock().unwrap().remove(host);
    }
}
