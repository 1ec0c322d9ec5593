//! Prometheus text exposition: request counters by status class, plus gauges read on scrape.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    policies_served: AtomicU64,
    /// Restarts per supervised background worker (every started worker is listed, from 0).
    worker_restarts: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    pub fn record(&self, status: u16) {
        let idx = (status / 100).clamp(1, 5) as usize - 1;
        self.by_class[idx].fetch_add(1, Ordering::Relaxed);
    }

    pub fn policy_served(&self) {
        self.policies_served.fetch_add(1, Ordering::Relaxed);
    }

    pub fn worker_started(&self, name: &'static str) {
        self.workers().entry(name).or_insert(0);
    }

    pub fn worker_restarted(&self, name: &'static str) {
        *self.workers().entry(name).or_insert(0) += 1;
    }

    fn workers(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, u64>> {
        // A counter map stays usable even if a holder panicked: it holds only numbers.
        self.worker_restarts.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn render(&self, gauges: &[(&str, &str, i64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP portcullis_http_requests_total HTTP requests answered, by status class.\n");
        out.push_str("# TYPE portcullis_http_requests_total counter\n");
        for (i, c) in self.by_class.iter().enumerate() {
            out.push_str(&format!(
                "portcullis_http_requests_total{{class=\"{}xx\"}} {}\n",
                i + 1,
                c.load(Ordering::Relaxed)
            ));
        }
        out.push_str(&format!(
            "# HELP portcullis_policy_fetches_total MTA-STS policies served.\n\
             # TYPE portcullis_policy_fetches_total counter\nportcullis_policy_fetches_total {}\n",
            self.policies_served.load(Ordering::Relaxed)
        ));
        let workers = self.workers().clone();
        if !workers.is_empty() {
            out.push_str(
                "# HELP portcullis_worker_restarts_total Background workers started again after a panic.\n\
                 # TYPE portcullis_worker_restarts_total counter\n",
            );
            for (worker, restarts) in workers {
                out.push_str(&format!(
                    "portcullis_worker_restarts_total{{worker=\"{worker}\"}} {restarts}\n"
                ));
            }
        }
        for (name, help, value) in gauges {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"));
        }
        out.push_str("# HELP portcullis_build_info Build information.\n# TYPE portcullis_build_info gauge\n");
        out.push_str(&format!(
            "portcullis_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        ));
        out
    }
}
