//! Configuration: built-in defaults, then a TOML file (`--config`), then `PORTCULLIS_*`
//! environment variables. Keys are flat (`smtp_addr`), and may also be written by section:
//! `[smtp] addr` in the file, `PORTCULLIS_SMTP__ADDR` in the environment (see `reference`, the
//! list every setting's documentation is generated from). `PORTCULLIS_DATABASE_URL_FILE` reads
//! the URL (which may hold a password) from a file instead.

pub mod reference;
mod typed;

/// Why the configuration cannot be used: it does not load (a missing file, a value of the wrong
/// type, an unknown section), or a value is out of range or names a file that is not usable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Load(#[from] Box<figment::Error>),
    #[error("{0}")]
    Invalid(String),
}

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// `sqlite://path` (default `sqlite://data/portcullis.db`) or `postgres://…`.
    pub database_url: String,
    /// Dashboard, API, report POSTs and proxied policy answers.
    pub http_addr: String,
    /// The public edge over plain HTTP (e.g. `0.0.0.0:80`): ACME http-01 answers, policies for
    /// `mta-sts.` hosts and report POSTs, nothing else (off by default).
    pub public_http_addr: Option<String>,
    /// Policy host with SNI + ACME (off by default): `mta-sts.` hosts and report POSTs only.
    pub https_addr: Option<String>,
    /// Serve the dashboard on `https_addr` too (for hosts other than `mta-sts.`).
    pub https_dashboard: bool,
    /// TLS-RPT mail receiver (later; off by default).
    pub smtp_addr: Option<String>,
    /// The name users point `mta-sts.<domain>` at and that report addresses use.
    pub public_host: Option<String>,
    /// `ip:port` of the DNS resolver to use instead of the system's.
    pub dns_upstream: Option<std::net::SocketAddr>,
    /// The built-in authoritative DNS server for delegated records (UDP and TCP; off by default).
    pub dns_addr: Option<std::net::SocketAddr>,
    /// The zone it answers, delegated to this server by NS records (`sts.example-msp.net`).
    pub dns_zone: Option<String>,
    /// The names the zone's NS records give, comma-separated (default the public host).
    pub dns_nameservers: Option<String>,
    /// UDP answers per second and client network (IPv4 /24, IPv6 /56); past it answers are
    /// truncated or dropped (0 = unlimited).
    pub dns_rate_limit: u32,
    pub acme_directory: Option<String>,
    pub acme_ca_file: Option<String>,
    /// E-mail for the ACME account (expiry notices from the CA).
    pub acme_contact: Option<String>,
    /// `rua=` mailto address of this server (default `tlsrpt@<public_host>`).
    pub report_mailto: Option<String>,
    /// `rua=` https URL of this server (default `https://<public_host>/tlsrpt`).
    pub report_url: Option<String>,
    /// Path senders POST reports to (default `/tlsrpt`).
    pub report_path: String,
    /// Reports accepted per client address and minute over HTTPS (0 = unlimited).
    pub report_rate_per_minute: u32,
    /// Largest report payload as received, in bytes (default 10 MiB).
    pub report_max_bytes: usize,
    /// Largest report once decompressed, in bytes (default 50 MiB).
    pub report_max_decompressed_bytes: usize,
    /// Largest mail the SMTP receiver takes, in bytes (default 20 MiB).
    pub smtp_max_message_bytes: usize,
    /// Bytes of report payloads and mail being received at once, all receivers together
    /// (default 64 MiB); past it senders are asked to retry later (HTTP 503, SMTP 452).
    pub report_buffer_bytes: usize,
    /// Extra recipient addresses the SMTP receiver accepts, comma-separated, besides the
    /// report mailto address.
    pub smtp_recipients: Option<String>,
    /// Name the SMTP receiver greets with (default the public host).
    pub smtp_hostname: Option<String>,
    /// PEM certificate chain and key offered with STARTTLS (besides the policy host's
    /// certificates, chosen by SNI).
    pub smtp_tls_cert_file: Option<String>,
    pub smtp_tls_key_file: Option<String>,
    /// Seconds between monitor checks of each domain (default 6 h; 0 turns the monitor off).
    pub monitor_interval_secs: u64,
    /// Domains checked at once by the monitor.
    pub monitor_concurrency: usize,
    /// Readiness gate for enforce: days in testing (0 = no waiting period; the report window
    /// is then today).
    pub gate_min_testing_days: i64,
    /// Reports received in that window, and organisations sending them.
    pub gate_min_reports: i64,
    pub gate_min_organizations: i64,
    /// Highest MTA-STS-relevant failure rate, in percent (default 0.1).
    pub gate_max_failure_rate_percent: f64,
    /// A DNS check older than this is too old to vouch for the domain.
    pub gate_max_check_age_hours: i64,
    /// `smtp://host:port`, `smtp://user:password@host:587?tls=required` or `smtps://…`: the relay
    /// alert e-mail goes through (no e-mail alerts when unset). `alert_smtp_url_file` reads it
    /// from a file instead, as it may hold a password.
    pub alert_smtp_url: Option<String>,
    /// Sender of alert e-mail (default `portcullis@<public_host>`).
    pub alert_from: Option<String>,
    /// Seconds between alert passes: rules are evaluated and pending alerts sent (0 = off).
    pub alert_interval_secs: u64,
    /// `imaps://USER@HOST[:PORT]/FOLDER` or `imap://…` (STARTTLS): a mailbox to poll for
    /// report mail (off when unset). The password comes from `imap_password` or, better, the
    /// file named by `PORTCULLIS_IMAP_PASSWORD_FILE`.
    pub imap_url: Option<String>,
    pub imap_password: Option<String>,
    /// 32 bytes (64 hex digits or base64) sealing stored credentials: the TSIG secrets of push
    /// mode. Better from the file named by `PORTCULLIS_SECRET_KEY_FILE`.
    pub secret_key: Option<String>,
    /// Where polled mail goes once its reports are stored, and where mail without a storable
    /// report goes (created when missing).
    pub imap_processed_folder: String,
    pub imap_failed_folder: String,
    /// Seconds between polls (default 300).
    pub imap_interval_secs: u64,
    /// PEM file with an extra root to trust for the IMAP server (a private CA).
    pub imap_ca_file: Option<String>,
    /// Port policy hosts are fetched on (443; tests point it at a loopback server).
    pub check_https_port: u16,
    /// Port MX hosts are probed on (25; tests point it at a loopback server).
    pub check_smtp_port: u16,
    /// Let checks connect to private and loopback addresses. Tests only: otherwise a user could
    /// make the server probe its own network.
    pub check_allow_private: bool,
    /// PEM file with an extra root the checks trust (a test CA).
    pub check_ca_file: Option<String>,
    /// Every listener (HTTP, HTTPS, SMTP): seconds a request head (HTTP) or TLS handshake may
    /// take, seconds a connection may move no byte, open connections in all, and open
    /// connections per client (an IPv4 address or an IPv6 /64).
    pub listener_header_timeout_secs: u64,
    pub listener_idle_timeout_secs: u64,
    pub listener_max_connections: usize,
    pub listener_max_per_client: usize,
    /// Comma-separated addresses the per-client cap does not apply to (a reverse proxy).
    pub listener_exempt_clients: String,
    /// SMTP: seconds to wait for a command (RFC 5321 §4.5.3.2.7 says at least 5 minutes), for
    /// the whole of DATA, and for a whole session.
    pub smtp_command_timeout_secs: u64,
    pub smtp_data_timeout_secs: u64,
    pub smtp_session_max_secs: u64,
    /// Seconds open connections get to finish when the server stops.
    pub shutdown_grace_secs: u64,
    /// Mark cookies `Secure` (set when the dashboard is reached over HTTPS).
    pub secure_cookies: bool,
    /// Folder with the built site (`pkg/`); found automatically when unset.
    pub site_root: Option<PathBuf>,
    /// Log filter, e.g. `info` or `portcullis=debug,info`.
    pub log: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/portcullis.db".into(),
            http_addr: "127.0.0.1:3000".into(),
            public_http_addr: None,
            https_addr: None,
            https_dashboard: false,
            smtp_addr: None,
            public_host: None,
            dns_upstream: None,
            dns_addr: None,
            dns_zone: None,
            dns_nameservers: None,
            dns_rate_limit: 20,
            acme_directory: None,
            acme_ca_file: None,
            acme_contact: None,
            report_mailto: None,
            report_url: None,
            report_path: "/tlsrpt".into(),
            report_rate_per_minute: 120,
            report_max_bytes: 10 * 1024 * 1024,
            report_max_decompressed_bytes: 50 * 1024 * 1024,
            smtp_max_message_bytes: 20 * 1024 * 1024,
            report_buffer_bytes: 64 * 1024 * 1024,
            smtp_recipients: None,
            smtp_hostname: None,
            smtp_tls_cert_file: None,
            smtp_tls_key_file: None,
            monitor_interval_secs: 6 * 3600,
            monitor_concurrency: 8,
            gate_min_testing_days: 14,
            gate_min_reports: 5,
            gate_min_organizations: 2,
            gate_max_failure_rate_percent: 0.1,
            gate_max_check_age_hours: 24,
            alert_smtp_url: None,
            alert_from: None,
            alert_interval_secs: 60,
            imap_url: None,
            imap_password: None,
            secret_key: None,
            imap_processed_folder: "Processed".into(),
            imap_failed_folder: "Failed".into(),
            imap_interval_secs: 300,
            imap_ca_file: None,
            check_https_port: 443,
            check_smtp_port: 25,
            check_allow_private: false,
            check_ca_file: None,
            listener_header_timeout_secs: 10,
            listener_idle_timeout_secs: 60,
            listener_max_connections: 1024,
            listener_max_per_client: 32,
            listener_exempt_clients: "127.0.0.1,::1".into(),
            smtp_command_timeout_secs: 300,
            smtp_data_timeout_secs: 600,
            smtp_session_max_secs: 1800,
            shutdown_grace_secs: 20,
            secure_cookies: false,
            site_root: None,
            log: "info".into(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &portcullis_store::redact(&self.database_url))
            .field("http_addr", &self.http_addr)
            .field("public_http_addr", &self.public_http_addr)
            .field("https_addr", &self.https_addr)
            .field("https_dashboard", &self.https_dashboard)
            .field("smtp_addr", &self.smtp_addr)
            .field("public_host", &self.public_host)
            .field("dns_upstream", &self.dns_upstream)
            .field("dns_addr", &self.dns_addr)
            .field("dns_zone", &self.dns_zone)
            .field("report_mailto", &self.report_mailto)
            .field("report_url", &self.report_url)
            .field("report_path", &self.report_path)
            .field("smtp_recipients", &self.smtp_recipients)
            .field("monitor_interval_secs", &self.monitor_interval_secs)
            .field(
                "alert_smtp_url",
                &self.alert_smtp_url.as_deref().map(portcullis_store::redact),
            )
            .field("alert_from", &self.alert_from)
            .field("imap_url", &self.imap_url)
            .field("check_allow_private", &self.check_allow_private)
            .field("secure_cookies", &self.secure_cookies)
            .field("site_root", &self.site_root)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Loads and checks every setting once: a configuration that loads is one every command
    /// and listener can use.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                let message = format!("config file {} does not exist", file.display());
                return Err(ConfigError::Load(Box::new(figment::Error::from(message))));
            }
            fig = fig.merge(Serialized::defaults(flatten_sections(Figment::from(Toml::file(file)))?));
        }
        fig = fig.merge(
            Env::prefixed("PORTCULLIS_")
                .ignore(&[
                    "tools",
                    "database_url_file",
                    "alert_smtp_url_file",
                    "imap_password_file",
                    "secret_key_file",
                ])
                .map(|key| {
                    let key = key.as_str().to_ascii_lowercase();
                    match key.split_once("__") {
                        Some((section, rest)) => reference::flat_key(section, rest).unwrap_or(key).into(),
                        None => key.into(),
                    }
                }),
        );
        let mut config: Config = fig.extract().map_err(Box::new)?;
        if let Some(url) = secret_file("PORTCULLIS_DATABASE_URL_FILE")? {
            config.database_url = url.trim().to_string();
        }
        if let Some(url) = secret_file("PORTCULLIS_ALERT_SMTP_URL_FILE")? {
            config.alert_smtp_url = Some(url.trim().to_string());
        }
        if let Some(password) = secret_file("PORTCULLIS_IMAP_PASSWORD_FILE")? {
            // Only the line break an editor adds; a password may end in spaces.
            config.imap_password = Some(password.trim_end_matches(['\r', '\n']).to_string());
        }
        if let Some(key) = secret_file("PORTCULLIS_SECRET_KEY_FILE")? {
            config.secret_key = Some(key.trim().to_string());
        }
        config.validate()?;
        Ok(config)
    }

    /// Every check the typed settings below make, at once (CA files are read, URLs parsed).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.ingest_config().map_err(ConfigError::Invalid)?;
        self.listener_limits().map_err(ConfigError::Invalid)?;
        self.gate_config().map_err(ConfigError::Invalid)?;
        self.check_settings().map_err(ConfigError::Invalid)?;
        self.imap_settings().map_err(ConfigError::Invalid)?;
        self.dns_zone_settings().map_err(ConfigError::Invalid)?;
        self.sealing_key().map_err(ConfigError::Invalid)?;
        Ok(())
    }

    pub fn redacted_database_url(&self) -> String {
        portcullis_store::redact(&self.database_url)
    }
}

/// The file's keys with `[section]` tables turned into flat keys (`[smtp] addr` → `smtp_addr`);
/// a table that is no section is an error, not silently ignored.
fn flatten_sections(file: Figment) -> Result<figment::value::Dict, Box<figment::Error>> {
    use figment::value::{Dict, Value};
    let top: Dict = file.extract().map_err(Box::new)?;
    let mut flat = Dict::new();
    for (key, value) in top {
        match value {
            Value::Dict(_, table) => {
                let Some(_) = reference::flat_key(&key, "") else {
                    let message = format!("unknown section [{key}] in the configuration file");
                    return Err(Box::new(figment::Error::from(message)));
                };
                for (inner, value) in table {
                    flat.insert(reference::flat_key(&key, &inner).expect("the section exists"), value);
                }
            }
            other => {
                flat.insert(key, other);
            }
        }
    }
    Ok(flat)
}

/// The contents of the file named by the environment variable `var` (a `_FILE` setting that
/// keeps a secret out of the environment), when it is set.
fn secret_file(var: &str) -> Result<Option<String>, Box<figment::Error>> {
    let Ok(path) = std::env::var(var) else {
        return Ok(None);
    };
    std::fs::read_to_string(&path)
        .map(Some)
        .map_err(|e| Box::new(figment::Error::from(format!("cannot read {var} {path}: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jail's closures return figment's error: ours is turned into one.
    fn jailed(e: ConfigError) -> figment::Error {
        figment::Error::from(e.to_string())
    }

    // figment's Jail fixes the closure's error type.
    #[allow(clippy::result_large_err)]
    #[test]
    fn defaults_need_no_file_and_env_overrides_file() {
        figment::Jail::expect_with(|jail| {
            let c = Config::load(None).map_err(jailed)?;
            assert_eq!(c.database_url, "sqlite://data/portcullis.db");
            assert_eq!(c.http_addr, "127.0.0.1:3000");
            jail.create_file(
                "p.toml",
                "http_addr = \"0.0.0.0:8080\"\npublic_host = \"mx.example.net\"",
            )?;
            jail.set_env("PORTCULLIS_HTTP_ADDR", "127.0.0.1:9999");
            let c = Config::load(Some(Path::new("p.toml"))).map_err(jailed)?;
            assert_eq!(c.http_addr, "127.0.0.1:9999");
            assert_eq!(c.public_host.as_deref(), Some("mx.example.net"));
            jail.create_file("db-url", "postgres://u:pw@h/db\n")?;
            jail.set_env("PORTCULLIS_DATABASE_URL_FILE", "db-url");
            let c = Config::load(None).map_err(jailed)?;
            assert_eq!(c.database_url, "postgres://u:pw@h/db");
            assert!(!format!("{c:?}").contains("pw"), "Debug never prints secrets");
            Ok(())
        });
    }

    #[allow(clippy::result_large_err)]
    #[test]
    fn sections_in_the_file_and_the_environment_mean_the_flat_keys() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "p.toml",
                "log = \"warn\"\n[smtp]\naddr = \"0.0.0.0:2525\"\n[gate]\nmin_reports = 9\nmin_organizations = 3\n",
            )?;
            jail.set_env("PORTCULLIS_ALERTS__INTERVAL_SECS", "0");
            jail.set_env("PORTCULLIS_GATE__MIN_REPORTS", "11");
            let c = Config::load(Some(Path::new("p.toml"))).map_err(jailed)?;
            assert_eq!(c.smtp_addr.as_deref(), Some("0.0.0.0:2525"));
            assert_eq!(c.gate_min_organizations, 3);
            assert_eq!(c.gate_min_reports, 11, "the environment wins over the file");
            assert_eq!(c.alert_interval_secs, 0);
            assert_eq!(c.log, "warn");
            jail.create_file("typo.toml", "[smpt]\naddr = \"0.0.0.0:25\"\n")?;
            let e = Config::load(Some(Path::new("typo.toml"))).unwrap_err();
            assert!(e.to_string().contains("[smpt]"), "{e}");
            Ok(())
        });
    }

    #[allow(clippy::result_large_err)]
    #[test]
    fn an_out_of_range_value_is_refused_when_the_configuration_loads() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PORTCULLIS_GATE__MAX_CHECK_AGE_HOURS", "0");
            let e = Config::load(None).unwrap_err();
            assert!(matches!(e, ConfigError::Invalid(_)), "{e:?}");
            assert!(e.to_string().contains("gate_max_check_age_hours"), "{e}");
            jail.set_env("PORTCULLIS_GATE__MAX_CHECK_AGE_HOURS", "24");
            jail.set_env("PORTCULLIS_CHECK_CA_FILE", "no-such-file.pem");
            let e = Config::load(None).unwrap_err();
            assert!(e.to_string().contains("check_ca_file"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        assert!(Config::load(Some(Path::new("/nonexistent/portcullis.toml"))).is_err());
    }
}
