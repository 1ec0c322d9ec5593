//! Prometheus text exposition: request counters by status class, plus gauges read on scrape.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    policies_served: AtomicU64,
}

impl Metrics {
    pub fn record(&self, status: u16) {
        let idx = (status / 100).clamp(1, 5) as usize - 1;
        self.by_class[idx].fetch_add(1, Ordering::Relaxed);
    }

    pub fn policy_served(&self) {
        self.policies_served.fetch_add(1, Ordering::Relaxed);
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
