//! Reverse DNS of sending MTAs, for the report views: looked up once, then served from the
//! store's cache until it expires.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use portcullis_dnscheck::{Dns, DnsError};
use portcullis_store::{ReverseEntry, ReverseStatus, SourceName, Store, SummaryRow};

use crate::Services;

/// How long an answer is kept: names rarely change; a missing PTR may be added; a failure is
/// retried soon.
const FOUND_TTL: i64 = 30 * 86_400;
const NONE_TTL: i64 = 7 * 86_400;
const ERROR_TTL: i64 = 3_600;
/// The longest a page waits for look-ups. Slower ones finish in the background and are cached
/// for the next view.
pub const REVERSE_DNS_BUDGET: Duration = Duration::from_secs(2);
/// Addresses looked up at once, and at most per call (the rest wait for a later view).
const CONCURRENT: usize = 16;
pub const REVERSE_DNS_PER_CALL: usize = 200;

async fn look_up(dns: &Dns, ip: IpAddr, now: i64) -> ReverseEntry {
    let (name, confirmed, status, ttl) = match dns.reverse(ip).await {
        Ok(Some(r)) => (Some(r.name), r.confirmed, ReverseStatus::Found, FOUND_TTL),
        Ok(None) => (None, false, ReverseStatus::None, NONE_TTL),
        Err(e @ (DnsError::Timeout | DnsError::Failed(_) | DnsError::NoSystemConfig(_))) => {
            tracing::debug!(%ip, error = %e, "reverse DNS look-up failed");
            (None, false, ReverseStatus::Error, ERROR_TTL)
        }
    };
    ReverseEntry {
        ip: ip.to_string(),
        name,
        confirmed,
        status,
        looked_up_at: now,
        expires_at: now + ttl,
    }
}

impl Services {
    /// The cached reverse DNS of `ips` (text that is not an address is skipped). Without live
    /// DNS only the cache answers; with it, the first [`REVERSE_DNS_PER_CALL`] uncached
    /// addresses are looked up, waiting at most [`REVERSE_DNS_BUDGET`].
    pub async fn reverse_names(&self, ips: &[String]) -> HashMap<String, ReverseEntry> {
        let mut parsed: Vec<(String, IpAddr)> = ips
            .iter()
            .filter_map(|s| s.parse::<IpAddr>().ok().map(|ip| (ip.to_string(), ip)))
            .collect();
        parsed.dedup();
        let now = Utc::now().timestamp();
        let keys: Vec<String> = parsed.iter().map(|(k, _)| k.clone()).collect();
        let mut known = match self.store.reverse_dns_cached(&keys, now).await {
            Ok(known) => known,
            Err(e) => {
                tracing::warn!(error = %e, "reverse DNS cache unreadable");
                return HashMap::new();
            }
        };
        let Some(dns) = self.dns.clone() else {
            return known;
        };
        let missing: Vec<IpAddr> = parsed
            .iter()
            .filter(|(k, _)| !known.contains_key(k))
            .map(|(_, ip)| *ip)
            .take(REVERSE_DNS_PER_CALL)
            .collect();
        if missing.is_empty() {
            return known;
        }
        let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
        let (tx, mut rx) = tokio::sync::mpsc::channel(missing.len());
        for ip in missing {
            let (dns, store, permits, tx) = (dns.clone(), self.store.clone(), permits.clone(), tx.clone());
            // Spawned, not awaited: a look-up outliving the page's wait is still cached.
            tokio::spawn(async move {
                let Ok(_permit) = permits.acquire_owned().await else {
                    return;
                };
                let entry = look_up(&dns, ip, now).await;
                save(&store, &entry).await;
                let _ = tx.send(entry).await;
            });
        }
        drop(tx);
        let deadline = tokio::time::sleep(REVERSE_DNS_BUDGET);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                entry = rx.recv() => match entry {
                    Some(entry) => { known.insert(entry.ip.clone(), entry); }
                    None => break,
                },
                _ = &mut deadline => break,
            }
        }
        known
    }

    /// Fills in the reverse DNS of sending-IP groups.
    pub async fn name_sending_ips(&self, rows: &mut [SummaryRow]) {
        let ips: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
        let names = self.reverse_names(&ips).await;
        for row in rows {
            let key = row.key.parse::<IpAddr>().map(|ip| ip.to_string()).unwrap_or_default();
            row.reverse_dns = names.get(&key).and_then(|e| {
                e.name.clone().map(|name| SourceName {
                    name,
                    confirmed: e.confirmed,
                })
            });
        }
    }
}

async fn save(store: &Store, entry: &ReverseEntry) {
    if let Err(e) = store.save_reverse_dns(entry).await {
        tracing::warn!(ip = %entry.ip, error = %e, "reverse DNS not cached");
    }
}
