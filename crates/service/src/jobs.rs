//! Periodic jobs shared by the instances on one database: each job runs in the instance that
//! holds its lease (see the store's `try_lease`), which renews it every pass.

use crate::{ServiceError, Services};
use rand::Rng;
use std::time::Duration;

/// A name for this process among the instances: the host, the process and a random part (two
/// containers may share a host name and a process id).
pub(crate) fn new_instance_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| {
            h.trim()
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect::<String>()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "portcullis".into());
    let random: u32 = rand::thread_rng().gen();
    format!("{host}/{}/{random:08x}", std::process::id())
}

impl Services {
    /// This process's name among the instances.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Whether this instance runs `job` now: takes or renews its lease for `ttl`. Another
    /// instance takes over once this one has not renewed it for `ttl`.
    pub async fn lease_job(&self, job: &str, ttl: Duration) -> Result<bool, ServiceError> {
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        Ok(self.store.try_lease(job, &self.instance, ttl).await?)
    }

    /// Hands this instance's jobs and its unchecked monitor claims over at once (a clean stop).
    pub async fn release_jobs(&self) -> Result<(), ServiceError> {
        self.store.release_leases(&self.instance).await?;
        Ok(self.store.release_monitor_claims(&self.instance).await?)
    }
}
