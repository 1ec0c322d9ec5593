//! The periodic jobs a serving process runs beside its listeners, each under the supervisor.
//! Jobs that act on shared state (ACME, alerts, IMAP, purges) run once across the instances
//! sharing the database; the DNS monitor runs in each, splitting the domains between them; the
//! policy snapshot and the certificate sync keep this process's own copies current, so every
//! instance runs them.

use super::supervisor::Supervisor;
use crate::ingest::imap::{self, ImapSettings};
use crate::tls::certs::{self, CertManager};
use crate::tls::https::CertResolver;
use crate::Config;
use portcullis_service::Services;
use std::sync::Arc;
use std::time::Duration;

/// Changes made by another process (the CLI, a second instance) reach this one within
/// 30 seconds; changes made here are served at once. A database outage keeps the old snapshot.
pub(super) fn start_snapshot_refresh(sup: &Supervisor, services: &Services) {
    let services = services.clone();
    sup.periodic("policy_snapshot", Duration::from_secs(30), move || {
        let services = services.clone();
        async move {
            if let Err(e) = services.refresh_snapshot().await {
                tracing::warn!(error = %e, "policy snapshot not refreshed; still serving the previous one");
            }
        }
    });
}

/// Re-checks every domain's DNS every `monitor_interval_secs` (spread per domain), looking for
/// due domains once a minute. Every instance runs it: they split the due domains between them.
pub(super) fn start_monitor(sup: &Supervisor, config: &Config, services: &Services) {
    if config.monitor_interval_secs == 0 {
        tracing::info!("DNS monitor is off (monitor_interval_secs = 0)");
        return;
    }
    let interval = Duration::from_secs(config.monitor_interval_secs.max(60));
    let concurrency = config.monitor_concurrency.max(1);
    let services = services.clone();
    sup.periodic("dns_monitor", Duration::from_secs(60), move || {
        let services = services.clone();
        async move {
            match services.monitor_pass(interval, concurrency).await {
                Ok(pass) if pass.checked > 0 => tracing::info!(
                    checked = pass.checked,
                    status_changes = pass.status_changes,
                    "DNS monitor pass"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "DNS monitor pass failed"),
            }
        }
    });
}

/// Evaluates the alert rules and delivers pending alerts every `alert_interval_secs`.
pub(super) fn start_alerts(sup: &Supervisor, config: &Config, services: &Services) {
    if config.alert_interval_secs == 0 {
        tracing::info!("alert delivery is off (alert_interval_secs = 0)");
        return;
    }
    let every = Duration::from_secs(config.alert_interval_secs.max(10));
    sup.periodic_once("alerts", every, services, move |services| async move {
        match services.alert_pass(portcullis_store::now()).await {
            Ok(pass) if pass.raised + pass.sent + pass.failed > 0 => {
                tracing::info!(
                    raised = pass.raised,
                    sent = pass.sent,
                    failed = pass.failed,
                    "alert pass"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "alert pass failed"),
        }
    });
}

/// Polls the report mailbox (`PORTCULLIS_IMAP_URL`) every `imap_interval_secs`.
pub(super) fn start_imap(sup: &Supervisor, config: &Config, services: &Services, settings: ImapSettings) {
    let every = Duration::from_secs(config.imap_interval_secs.max(10));
    tracing::info!(mailbox = %settings.mailbox(), every_secs = every.as_secs(), "polling the report mailbox over IMAP");
    let settings = Arc::new(settings);
    sup.periodic_once("imap", every, services, move |services| {
        let settings = settings.clone();
        async move { imap::logged_pass(&services, &settings).await }
    });
}

/// Expired sign-in sessions, attempt counters and one-time messages are deleted hourly.
pub(super) fn start_session_purge(sup: &Supervisor, services: &Services) {
    sup.periodic_once(
        "session_purge",
        Duration::from_secs(3600),
        services,
        move |services| async move {
            if let Err(e) = services.purge_expired().await {
                tracing::warn!(error = %e, "could not purge expired sessions, counters and messages");
            }
        },
    );
}

/// The served certificates follow the database every minute: new and renewed ones (issued by
/// this or another instance) are loaded, those of deleted domains dropped.
pub(super) fn start_certificate_sync(sup: &Supervisor, services: &Services, resolver: &Arc<CertResolver>) {
    let (services, resolver) = (services.clone(), resolver.clone());
    sup.periodic("certificate_sync", Duration::from_secs(60), move || {
        let (services, resolver) = (services.clone(), resolver.clone());
        async move { sync_certificates(&services, &resolver).await }
    });
}

async fn sync_certificates(services: &Services, resolver: &CertResolver) {
    certs::load_stored(services, resolver).await;
    certs::prune(services, resolver).await;
}

/// With PostgreSQL, follows what other instances announce: a saved policy is served here within
/// moments, and certificates they obtain are loaded at once (the periodic reloads stay as the
/// fallback).
pub(super) fn start_change_follower(sup: &Supervisor, services: &Services, resolver: &Arc<CertResolver>) {
    if !services.follows_changes() {
        return;
    }
    let (services, resolver) = (services.clone(), resolver.clone());
    sup.spawn("change_follower", move || {
        let (services, resolver) = (services.clone(), resolver.clone());
        async move {
            services
                .follow_changes(|| {
                    let (services, resolver) = (services.clone(), resolver.clone());
                    async move { sync_certificates(&services, &resolver).await }
                })
                .await
        }
    });
}

/// Obtains and renews the policy host's certificates by ACME, one pass a minute.
pub(super) fn start_acme(sup: &Supervisor, manager: CertManager) {
    let services = manager.services.clone();
    let manager = Arc::new(manager);
    sup.periodic_once("acme", Duration::from_secs(60), &services, move |_| {
        let manager = manager.clone();
        async move {
            let report = manager.run_once().await;
            if !report.issued.is_empty() || !report.failed.is_empty() {
                tracing::info!(
                    issued = report.issued.len(),
                    failed = report.failed.len(),
                    "certificate pass"
                );
            }
        }
    });
}
