//! Every setting, its section and what it means: the one list `--help`, `portcullis settings`
//! and docs/configuration.md are made from (a test fails when the docs fall behind, another
//! when a field of `Config` is missing here).

use super::Config;

/// A setting: its flat key (TOML key and `PORTCULLIS_<KEY>` variable), its default as users
/// should read it (empty: taken from `Config::default()`), and what it does.
pub struct Setting {
    pub key: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

/// Sections group settings by the prefix of their key: `[smtp] addr` in TOML and
/// `PORTCULLIS_SMTP__ADDR` both mean `smtp_addr`. (section, key prefix).
pub const SECTIONS: &[(&str, &str)] = &[
    ("https", "https_"),
    ("acme", "acme_"),
    ("reports", "report_"),
    ("smtp", "smtp_"),
    ("imap", "imap_"),
    ("monitor", "monitor_"),
    ("gate", "gate_"),
    ("alerts", "alert_"),
    ("listener", "listener_"),
    ("checks", "check_"),
    ("dns", "dns_"),
];

macro_rules! settings {
    ($($key:literal, $default:literal, $meaning:literal;)*) => {
        &[$(Setting { key: $key, default: $default, meaning: $meaning },)*]
    };
}

pub const SETTINGS: &[Setting] = settings![
    "database_url", "", "`sqlite://path` (WAL) or `postgres://user@host/db`";
    "http_addr", "", "dashboard, API, report POSTs, and policies for `mta-sts.` hosts: keep it on loopback or behind your proxy";
    "public_http_addr", "off", "the public edge over HTTP (e.g. `0.0.0.0:80`): ACME answers, policies, report POSTs only";
    "public_host", "–", "the name `mta-sts.<domain>` points at, and the host of this server's report addresses";
    "dns_upstream", "the system's resolver", "`ip:port` of the resolver for live look-ups and checks";
    "dns_addr", "off", "the built-in authoritative DNS server for delegated records, UDP and TCP (e.g. `0.0.0.0:53`)";
    "dns_zone", "–", "the zone it answers (e.g. `sts.example-msp.net`), delegated to this server by NS records you publish once; onboarding then offers delegation";
    "dns_nameservers", "the public host", "the names the zone's NS records give, comma-separated";
    "dns_rate_limit", "", "UDP answers per second and client network (IPv4 /24, IPv6 /56); past it every second answer is sent truncated (the resolver retries over TCP) and the rest dropped; `0`: no limit";
    "secret_key", "–", "32 random bytes, base64 or hex (`openssl rand -base64 32`), sealing the TSIG secrets and API tokens of push mode in the database; push mode is off without it (better: `PORTCULLIS_SECRET_KEY_FILE`)";
    "shutdown_grace_secs", "", "on SIGTERM or Ctrl-C: listeners stop accepting and open connections (HTTP requests, SMTP messages under way) get this long to finish";
    "secure_cookies", "", "`true` when users reach the dashboard over HTTPS";
    "site_root", "found next to the binary", "folder with the built `pkg/` assets (also `LEPTOS_SITE_ROOT`)";
    "log", "", "log filter, e.g. `info` or `portcullis=debug,info`";
    "https_addr", "off", "HTTPS policy host, certificate chosen by SNI (e.g. `0.0.0.0:443`): policies and the public host's report POSTs only";
    "https_dashboard", "", "also serve the dashboard on `https_addr`";
    "acme_directory", "off", "ACME directory URL, or the presets `letsencrypt` and `letsencrypt-staging`";
    "acme_contact", "–", "e-mail for the ACME account (the CA's expiry notices)";
    "acme_ca_file", "–", "root certificate to trust for the ACME server's own HTTPS (test CAs such as pebble's)";
    "report_mailto", "`tlsrpt@<public host>`", "the `rua=mailto:` address in the `_smtp._tls` record";
    "report_url", "`https://<public host>/tlsrpt`", "the `rua=` https address in the `_smtp._tls` record";
    "report_path", "", "where senders POST reports";
    "report_rate_per_minute", "", "reports accepted per client (IPv4 address or IPv6 /64) and minute over HTTP(S); `0`: no limit";
    "report_max_bytes", "", "largest report as received, in bytes";
    "report_max_decompressed_bytes", "", "largest report once decompressed, in bytes: one budget across every zip entry and attachment";
    "report_buffer_bytes", "", "bytes of report bodies and mail being received at once, all receivers together; past it senders are asked to retry later (HTTP 503, SMTP 452)";
    "smtp_addr", "off", "TLS-RPT mail receiver, e.g. `0.0.0.0:25`";
    "smtp_hostname", "the public host", "the name the mail receiver greets with";
    "smtp_recipients", "–", "more addresses the mail receiver accepts (comma-separated), besides the report mailto address";
    "smtp_max_message_bytes", "", "largest report mail, in bytes";
    "smtp_tls_cert_file", "–", "PEM certificate chain offered with STARTTLS (besides the policy host's certificates, chosen by SNI)";
    "smtp_tls_key_file", "–", "its PEM private key";
    "smtp_command_timeout_secs", "", "wait for the next SMTP command (RFC 5321's minimum)";
    "smtp_data_timeout_secs", "", "the whole of one message's `DATA`";
    "smtp_session_max_secs", "", "one SMTP session, whatever it does";
    "imap_url", "off", "report mailbox to poll: `imaps://USER@HOST[:PORT]/FOLDER` or `imap://…` (STARTTLS)";
    "imap_password", "–", "its password (better: `PORTCULLIS_IMAP_PASSWORD_FILE`)";
    "imap_processed_folder", "", "where polled mail goes once its reports are stored (created when missing)";
    "imap_failed_folder", "", "where mail without a storable report goes (created when missing)";
    "imap_interval_secs", "", "seconds between polls (at least 10)";
    "imap_ca_file", "–", "extra root to trust for the IMAP server (a private CA)";
    "monitor_interval_secs", "", "seconds between DNS checks of each domain (6 h); `0` turns the monitor off";
    "monitor_concurrency", "", "domains the monitor checks at once, per instance";
    "gate_min_testing_days", "", "days in testing before enforce (`0`: no waiting period)";
    "gate_min_reports", "", "TLS-RPT reports needed in that window";
    "gate_min_organizations", "", "organisations those reports must come from";
    "gate_max_failure_rate_percent", "", "highest MTA-STS-relevant failure rate for the gate and the failure-rate alert";
    "gate_max_check_age_hours", "", "oldest DNS check the gate accepts";
    "alert_smtp_url", "off", "SMTP relay for alert e-mail (`smtp://user:pass@relay:587?tls=required`, `smtps://…`)";
    "alert_from", "`portcullis@<public host>`", "sender of alert e-mail";
    "alert_interval_secs", "", "seconds between alert passes (rules run, pending alerts are sent); `0` turns them off";
    "listener_header_timeout_secs", "", "an HTTP request head, and a TLS handshake, must arrive within it (slowloris)";
    "listener_idle_timeout_secs", "", "a read or write that waits this long for a byte closes the connection; SMTP waits up to its command timeout instead";
    "listener_max_connections", "", "open connections per listener; more are closed at once (SMTP: `421 4.7.0`)";
    "listener_max_per_client", "", "open connections per client, a client being one IPv4 address or one IPv6 /64";
    "listener_exempt_clients", "", "addresses held to the total only: a reverse proxy opens every connection from its own address";
    "check_https_port", "", "tests only: the port policy hosts are fetched on";
    "check_smtp_port", "", "tests only: the port MX hosts are probed on";
    "check_allow_private", "", "tests only: let checks and alert webhooks connect to private and loopback addresses";
    "check_ca_file", "–", "tests only: an extra root the checks trust besides the Mozilla roots";
];

/// Secrets read from a file named by an environment variable (never from the TOML file).
pub const SECRET_FILES: &[(&str, &str)] = &[
    (
        "PORTCULLIS_DATABASE_URL_FILE",
        "the database URL (it may hold a password)",
    ),
    ("PORTCULLIS_ALERT_SMTP_URL_FILE", "the alert relay URL"),
    ("PORTCULLIS_IMAP_PASSWORD_FILE", "the IMAP password (its first line)"),
    ("PORTCULLIS_SECRET_KEY_FILE", "the secret key sealing push credentials"),
];

/// The section a key belongs to, and the key within it; `None` for top-level keys.
pub fn section_of(key: &str) -> Option<(&'static str, &str)> {
    SECTIONS
        .iter()
        .find_map(|(section, prefix)| key.strip_prefix(prefix).map(|rest| (*section, rest)))
}

/// The flat key a sectioned name means (`smtp`, `addr` → `smtp_addr`), if the section exists.
pub fn flat_key(section: &str, key: &str) -> Option<String> {
    SECTIONS
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(section))
        .map(|(_, prefix)| format!("{prefix}{}", key.to_ascii_lowercase()))
}

fn is_test_only(s: &Setting) -> bool {
    s.key.starts_with("check_")
}

fn default_of(s: &Setting, defaults: &serde_json::Value) -> String {
    if !s.default.is_empty() {
        return s.default.to_string();
    }
    match &defaults[s.key] {
        serde_json::Value::String(text) => format!("`{text}`"),
        serde_json::Value::Null => "–".to_string(),
        other => format!("`{other}`"),
    }
}

fn defaults() -> serde_json::Value {
    serde_json::to_value(Config::default()).expect("the defaults serialize")
}

/// The settings tables of docs/configuration.md (production settings, then the test-only ones).
pub fn markdown() -> String {
    let defaults = defaults();
    let mut out = String::new();
    for (heading, test_only) in [
        ("", false),
        ("Test-only settings (never set them in production):\n\n", true),
    ] {
        out.push_str(heading);
        out.push_str("| Variable | TOML | Default | Meaning |\n|---|---|---|---|\n");
        for s in SETTINGS.iter().filter(|s| is_test_only(s) == test_only) {
            let toml = match section_of(s.key) {
                Some((section, key)) => format!("`[{section}]` `{key}`"),
                None => format!("`{}`", s.key),
            };
            out.push_str(&format!(
                "| `PORTCULLIS_{}` | {toml} | {} | {} |\n",
                s.key.to_ascii_uppercase(),
                default_of(s, &defaults),
                s.meaning
            ));
        }
        if !test_only {
            for (var, what) in SECRET_FILES {
                out.push_str(&format!("| `{var}` | – | – | read {what} from this file instead |\n"));
            }
            out.push('\n');
        }
    }
    out
}

/// The settings as `--help` lists them.
pub fn help() -> String {
    let defaults = defaults();
    let mut out = String::from(
        "Portcullis hosts MTA-STS policies (RFC 8461), guides DNS, and reads TLS-RPT reports (RFC 8460).\n\n\
         Configuration: built-in defaults, then the TOML file given with --config (top-level keys, or\n\
         [section] tables), then environment variables (PORTCULLIS_<KEY>, or PORTCULLIS_<SECTION>__<KEY>).\n\
         `portcullis settings` prints this list as a table.\n\n",
    );
    for s in SETTINGS {
        let plain = |t: String| t.replace('`', "");
        out.push_str(&format!(
            "  PORTCULLIS_{:<32} {} (default {})\n",
            s.key.to_ascii_uppercase(),
            plain(s.meaning.to_string()),
            plain(default_of(s, &defaults))
        ));
    }
    for (var, what) in SECRET_FILES {
        out.push_str(&format!("  {var:<43} read {what} from this file\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_config_is_listed_once_and_nothing_else() {
        let defaults = defaults();
        let fields: std::collections::BTreeSet<&str> =
            defaults.as_object().unwrap().keys().map(String::as_str).collect();
        let listed: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        let unique: std::collections::BTreeSet<&str> = listed.iter().copied().collect();
        assert_eq!(unique.len(), listed.len(), "a key is listed twice");
        assert_eq!(unique, fields, "SETTINGS and Config disagree");
    }

    #[test]
    fn the_help_names_every_setting_including_imap_and_acme_contact() {
        let help = help();
        for s in SETTINGS {
            assert!(
                help.contains(&format!("PORTCULLIS_{}", s.key.to_ascii_uppercase())),
                "{}",
                s.key
            );
        }
        assert!(help.contains("PORTCULLIS_IMAP_URL") && help.contains("PORTCULLIS_ACME_CONTACT"));
        assert!(help.contains("PORTCULLIS_IMAP_PASSWORD_FILE"));
    }

    #[test]
    fn sections_map_to_flat_keys_and_back() {
        assert_eq!(flat_key("smtp", "ADDR").as_deref(), Some("smtp_addr"));
        assert_eq!(flat_key("alerts", "from").as_deref(), Some("alert_from"));
        assert_eq!(flat_key("nope", "x"), None);
        assert_eq!(section_of("gate_min_reports"), Some(("gate", "min_reports")));
        assert_eq!(section_of("http_addr"), None);
        for s in SETTINGS {
            if let Some((section, key)) = section_of(s.key) {
                assert_eq!(flat_key(section, key).as_deref(), Some(s.key));
            }
        }
    }

    /// docs/configuration.md holds `markdown()` between its two markers. When this fails, put
    /// the output of `portcullis settings` there (or run the test with
    /// `PORTCULLIS_BLESS_DOCS=1`, which writes it).
    #[test]
    fn the_configuration_doc_is_generated_from_this_list() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = ("<!-- settings:begin -->\n", "<!-- settings:end -->");
        let start = doc.find(begin).expect("begin marker") + begin.len();
        let stop = doc.find(end).expect("end marker");
        let generated = markdown();
        if doc[start..stop] != generated {
            if std::env::var_os("PORTCULLIS_BLESS_DOCS").is_some() {
                std::fs::write(&path, format!("{}{generated}{}", &doc[..start], &doc[stop..])).unwrap();
                return;
            }
            panic!("docs/configuration.md is stale: replace its settings table with `portcullis settings`");
        }
    }
}
