//! Background workers run supervised: a worker that panics (or whose loop ends) is logged,
//! counted in `/metrics` (`portcullis_worker_restarts_total{worker=...}`) and started again after
//! a back-off that doubles from one second to a minute, and starts over once a run has lasted
//! longer than that. Nothing a worker does is lost with it: every pass works from the database.

use crate::web::metrics::Metrics;
use portcullis_service::Services;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Supervisor {
    metrics: Arc<Metrics>,
    first_backoff: Duration,
}

impl Supervisor {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            first_backoff: FIRST_BACKOFF,
        }
    }

    /// Runs `worker()` until the runtime shuts down, starting it again whenever it ends.
    pub fn spawn<F, Fut>(&self, name: &'static str, worker: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let metrics = self.metrics.clone();
        let first_backoff = self.first_backoff;
        metrics.worker_started(name);
        tokio::spawn(async move {
            let mut backoff = first_backoff;
            loop {
                let started = Instant::now();
                match tokio::spawn(worker()).await {
                    Ok(()) => tracing::error!(worker = name, "background worker stopped; restarting it"),
                    Err(e) if e.is_panic() => {
                        tracing::error!(worker = name, panic = %panic_text(e), "background worker panicked; restarting it")
                    }
                    // Cancelled: the runtime is shutting down.
                    Err(_) => return,
                }
                metrics.worker_restarted(name);
                if started.elapsed() > MAX_BACKOFF {
                    backoff = first_backoff;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        });
    }

    /// Runs `pass()` every `every`, the first at once, supervised. A pass that overruns delays
    /// the next instead of bunching them up.
    pub fn periodic<F, Fut>(&self, name: &'static str, every: Duration, pass: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let pass = Arc::new(pass);
        self.spawn(name, move || {
            let pass = pass.clone();
            async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    pass().await;
                }
            }
        });
    }
}

impl Supervisor {
    /// As [`Supervisor::periodic`], run by one instance at a time among those sharing the
    /// database: the holder of the job's lease, renewed every pass for twice the interval plus
    /// five minutes (a pass may run long). When the holder stops, another instance takes the job
    /// over once that has passed, or at once after a clean stop (which releases the leases).
    pub fn periodic_once<F, Fut>(&self, name: &'static str, every: Duration, services: &Services, pass: F)
    where
        F: Fn(Services) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let ttl = every * 2 + Duration::from_secs(300);
        let services = services.clone();
        let pass = Arc::new(pass);
        self.periodic(name, every, move || {
            let (services, pass) = (services.clone(), pass.clone());
            async move {
                match services.lease_job(name, ttl).await {
                    Ok(true) => pass(services).await,
                    Ok(false) => tracing::debug!(job = name, "another instance runs this job"),
                    Err(e) => tracing::warn!(job = name, error = %e, "cannot take the job's lease; skipping this pass"),
                }
            }
        });
    }
}

fn panic_text(e: tokio::task::JoinError) -> String {
    let payload = e.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_panicking_worker_is_restarted_and_counted() {
        let metrics = Arc::new(Metrics::default());
        let supervisor = Supervisor {
            metrics: metrics.clone(),
            first_backoff: Duration::from_millis(10),
        };
        let runs = Arc::new(AtomicU32::new(0));
        let (done, mut finished) = tokio::sync::mpsc::channel::<u32>(1);
        let counter = runs.clone();
        supervisor.spawn("flaky", move || {
            let (counter, done) = (counter.clone(), done.clone());
            async move {
                let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
                if run < 3 {
                    panic!("run {run} fails");
                }
                let _ = done.send(run).await;
                std::future::pending::<()>().await;
            }
        });
        let run = tokio::time::timeout(Duration::from_secs(10), finished.recv())
            .await
            .unwrap();
        assert_eq!(run, Some(3), "started again after each panic");
        let text = metrics.render(&[]);
        assert!(
            text.contains("portcullis_worker_restarts_total{worker=\"flaky\"} 2\n"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_quiet_worker_shows_zero_restarts() {
        let metrics = Arc::new(Metrics::default());
        Supervisor::new(metrics.clone()).periodic("steady", Duration::from_secs(3600), || async {});
        assert!(metrics
            .render(&[])
            .contains("portcullis_worker_restarts_total{worker=\"steady\"} 0\n"));
    }
}
