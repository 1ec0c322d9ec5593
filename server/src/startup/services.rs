//! Opening the database and putting the services together from the configuration.

use crate::Config;
use anyhow::Context;
use portcullis_dnscheck::{CheckSettings, Checker, Dns};
use portcullis_service::{DnsConfig, Operator, Services};
use portcullis_store::Store;
use std::sync::Arc;

/// Connects, migrates, and wires DNS checks and alert delivery as configured. Live DNS that
/// cannot start is a warning, not a failure: everything else still works.
pub async fn open(config: &Config) -> anyhow::Result<Services> {
    assemble(config, open_store(config).await?).await
}

/// As [`open`], for the command line: also the operator's rights, which come with the store and
/// which the server never hands to its pages or API.
pub async fn open_as_operator(config: &Config) -> anyhow::Result<(Services, Operator)> {
    let store = open_store(config).await?;
    let operator = Operator::new(store.clone());
    Ok((assemble(config, store).await?, operator))
}

/// Connects and applies pending migrations.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", config.redacted_database_url()))?;
    store
        .migrate()
        .await
        .context("database migration failed; the server was not started")?;
    Ok(store)
}

async fn assemble(config: &Config, store: Store) -> anyhow::Result<Services> {
    let ingest = config.ingest_config().map_err(|e| anyhow::anyhow!(e))?;
    let gate = config.gate_config().map_err(|e| anyhow::anyhow!(e))?;
    // Read once: the alert mailer trusts the same extra roots as the checks.
    let checks = config.check_settings().map_err(|e| anyhow::anyhow!(e))?;
    let services = Services::new(store)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the database: {e}"))?
        .with_ingest_config(ingest)
        .with_gate_config(gate)
        .with_setup_token_required(!dashboard_is_loopback_only(config))
        .with_secret_key(config.sealing_key().map_err(|e| anyhow::anyhow!(e))?);
    let services = with_alerts(config, &checks, services)?;
    let services = match portcullis_service::DkimCheck::new(config.dns_upstream) {
        Ok(dkim) => services.with_dkim(dkim),
        Err(e) => {
            tracing::warn!(error = %e, "DKIM signatures of report mail cannot be verified");
            services
        }
    };
    let dns = match Dns::new(config.dns_upstream) {
        Ok(dns) => dns,
        Err(e) => {
            tracing::warn!(error = %e, "live DNS look-ups and checks are unavailable");
            return Ok(services);
        }
    };
    let checker = Checker::new(dns.clone(), checks).map_err(|e| anyhow::anyhow!("DNS checks: {e}"))?;
    let dns_config = DnsConfig {
        public_host: config.public_host.clone(),
        reports: config.report_addresses(),
        zone: config.dns_zone.clone(),
    };
    Ok(services.with_dns(dns).with_checker(checker, dns_config))
}

/// Alert delivery: webhooks always, e-mail when an SMTP relay is configured.
fn with_alerts(config: &Config, checks: &CheckSettings, services: Services) -> anyhow::Result<Services> {
    let from = config.alert_from.clone().unwrap_or_else(|| {
        format!(
            "portcullis@{}",
            config
                .public_host
                .as_deref()
                .unwrap_or("localhost")
                .trim_end_matches('.')
        )
    });
    let settings = portcullis_notify::NotifySettings {
        smtp_url: config.alert_smtp_url.clone(),
        from,
        allow_private: config.check_allow_private,
        extra_roots: checks.extra_roots.clone(),
        timeout: std::time::Duration::from_secs(15),
    };
    let notifier = portcullis_notify::Notifier::new(settings).map_err(|e| anyhow::anyhow!("{e}"))?;
    let link = config
        .public_host
        .as_deref()
        .map(|h| format!("https://{}/alerts", h.trim_end_matches('.')))
        .unwrap_or_default();
    Ok(services.with_notifier(Arc::new(notifier), link))
}

/// Whether only this machine can reach the dashboard: then first-run setup needs no token.
fn dashboard_is_loopback_only(config: &Config) -> bool {
    match config.http_addr.parse::<std::net::SocketAddr>() {
        Ok(addr) => addr.ip().is_loopback(),
        Err(_) => config.http_addr.starts_with("localhost:"),
    }
}
