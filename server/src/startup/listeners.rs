//! What the listeners need before they start: the built site, and the mail receiver's settings.

use crate::ingest::smtp::{self, SmtpLimits, SmtpSettings};
use crate::tls::https::{self, CertResolver};
use crate::Config;
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The built site (`pkg/portcullis.js` …): explicit setting, then next to the binary
/// (`target/release/../site`), then `./target/site`.
pub fn site_root(config: &Config) -> PathBuf {
    if let Some(root) = config
        .site_root
        .clone()
        .or_else(|| std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from))
    {
        return root;
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|p| p.to_path_buf()));
    let candidates = exe_dir
        .iter()
        .flat_map(|d| [d.join("../site"), d.join("site")])
        .chain([PathBuf::from("target/site")]);
    for candidate in candidates {
        if candidate.join("pkg/portcullis.js").exists() {
            return candidate;
        }
    }
    tracing::warn!("site assets not found (run `make build`); pages render but will not hydrate");
    PathBuf::from("target/site")
}

/// The TLS-RPT mail receiver's settings (`PORTCULLIS_SMTP_ADDR`), with STARTTLS when a
/// certificate file is configured or the policy host manages certificates.
pub(super) fn smtp_settings(config: &Config, resolver: &Arc<CertResolver>) -> anyhow::Result<SmtpSettings> {
    let recipients = config.smtp_recipients();
    if recipients.is_empty() {
        anyhow::bail!(
            "smtp_addr is set but no report address is known: set PORTCULLIS_PUBLIC_HOST or PORTCULLIS_REPORT_MAILTO"
        );
    }
    let fixed = match (&config.smtp_tls_cert_file, &config.smtp_tls_key_file) {
        (Some(cert), Some(key)) => {
            let cert_pem = std::fs::read_to_string(cert).with_context(|| format!("cannot read {cert}"))?;
            let key_pem = std::fs::read_to_string(key).with_context(|| format!("cannot read {key}"))?;
            Some(https::certified_key(&cert_pem, &key_pem).map_err(|e| anyhow::anyhow!("smtp TLS certificate: {e}"))?)
        }
        (None, None) => None,
        _ => anyhow::bail!("set both smtp_tls_cert_file and smtp_tls_key_file, or neither"),
    };
    let offer_tls = fixed.is_some() || config.https_addr.is_some() || config.acme_directory.is_some();
    let hostname = config
        .smtp_hostname
        .clone()
        .or_else(|| config.public_host.clone())
        .unwrap_or_else(|| "localhost".into());
    Ok(SmtpSettings {
        tls: offer_tls.then(|| smtp::tls_config(fixed, resolver.clone(), &hostname)),
        hostname,
        recipients,
        max_message_bytes: config.smtp_max_message_bytes,
        limits: SmtpLimits {
            listener: crate::listener::ListenerLimits {
                // An SMTP client may think for the whole command timeout (RFC 5321).
                idle_timeout: Duration::from_secs(config.smtp_command_timeout_secs),
                ..config.listener_limits().map_err(anyhow::Error::msg)?
            },
            command_timeout: Duration::from_secs(config.smtp_command_timeout_secs),
            data_timeout: Duration::from_secs(config.smtp_data_timeout_secs),
            session_max: Duration::from_secs(config.smtp_session_max_secs),
        },
    })
}
