//! The DNS monitor: every domain re-checked every `monitor_interval_secs`. Each instance on the
//! database runs it; they split the domains between them by claiming small batches as they go
//! (see the store's `claim_monitor`), so N instances on separate machines finish a round about
//! N times sooner.

use crate::dns::Registration;
use crate::{ServiceError, Services};
use portcullis_dnscheck::{Checker, CurrentPolicy};
use portcullis_domain::{DomainName, PolicyId};
use portcullis_store::{MonitorSchedule, MonitorTarget, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// One monitor pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonitorPass {
    pub checked: usize,
    pub status_changes: usize,
}

impl Services {
    /// Checks the domains due under `interval`, `concurrency` at a time, until none is left
    /// unclaimed. Claims are taken a batch (`concurrency` domains) ahead of the checks, so the
    /// instances share the work as it goes rather than each taking a large slice up front.
    pub async fn monitor_pass(&self, interval: Duration, concurrency: usize) -> Result<MonitorPass, ServiceError> {
        let checker = self.checker()?.clone();
        let concurrency = concurrency.max(1);
        let semaphore = Arc::new(Semaphore::new(concurrency));
        let mut tasks = JoinSet::new();
        let mut pass = MonitorPass::default();
        let mut exhausted = false;
        self.store.monitor_reschedule(&MonitorSchedule::every(interval)).await?;
        loop {
            while !exhausted && tasks.len() < 2 * concurrency {
                let schedule = MonitorSchedule::every(interval);
                let batch = match self
                    .store
                    .claim_monitor(&schedule, &self.instance, concurrency as i64)
                    .await
                {
                    Ok(batch) => batch,
                    Err(e) if tasks.is_empty() => return Err(e.into()),
                    Err(e) => {
                        tracing::warn!(error = %e, "monitor could not claim more domains; finishing the claimed ones");
                        Vec::new()
                    }
                };
                exhausted = batch.is_empty();
                for target in batch {
                    let (services, checker, semaphore) = (self.clone(), checker.clone(), semaphore.clone());
                    tasks.spawn(async move {
                        let _permit = semaphore.acquire().await.ok()?;
                        services.monitor_one(&checker, &target, interval).await
                    });
                }
            }
            match tasks.join_next().await {
                None => break,
                Some(Ok(Some(changed))) => {
                    pass.checked += 1;
                    pass.status_changes += usize::from(changed);
                }
                Some(_) => {}
            }
        }
        Ok(pass)
    }

    /// One monitored domain: `Some(status changed)` when the run was stored.
    async fn monitor_one(&self, checker: &Checker, target: &MonitorTarget, interval: Duration) -> Option<bool> {
        let raw = target.domain.as_str();
        let domain = DomainName::parse(raw).ok()?;
        let policy = match self.store.monitor_policy(raw).await {
            Ok(p) => p.and_then(|(id, text)| {
                Some(CurrentPolicy {
                    id: PolicyId::new(&id).ok()?,
                    text,
                })
            }),
            Err(e) => {
                tracing::warn!(domain = raw, error = %e, "monitor could not read the policy");
                return None;
            }
        };
        let registration = Registration::of_target(target);
        let findings = checker
            .check(&self.check_input(domain.clone(), policy, false, &registration))
            .await;
        self.take_proof(&domain, &registration, &findings).await;
        let (row, notes) = self.row_for(&findings, "monitor").ok()?;
        let schedule = MonitorSchedule::every(interval);
        match self.store.monitor_record(raw, &row, &notes, &schedule).await {
            Ok(previous) => {
                let changed = previous.as_deref() != Some(row.status.as_str());
                if changed {
                    tracing::info!(domain = raw, from = ?previous, to = %row.status, "DNS status changed");
                }
                Some(changed)
            }
            Err(StoreError::NotFound) => None,
            Err(e) => {
                tracing::warn!(domain = raw, error = %e, "monitor could not store a check");
                None
            }
        }
    }
}
