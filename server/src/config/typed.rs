//! The settings each part of the server uses, derived from the flat keys and checked: every
//! method here runs when the configuration loads (`Config::validate`), so a configuration that
//! loaded gives each of them without error.

use super::Config;

impl Config {
    /// Where this server takes TLS-RPT reports, for the `_smtp._tls` record.
    pub fn report_addresses(&self) -> portcullis_domain::dns::ReportAddresses {
        let host = self.public_host.as_deref().map(|h| h.trim_end_matches('.'));
        portcullis_domain::dns::ReportAddresses {
            mailto: self
                .report_mailto
                .clone()
                .or_else(|| host.map(|h| format!("tlsrpt@{h}"))),
            https: self
                .report_url
                .clone()
                .or_else(|| host.map(|h| format!("https://{h}/tlsrpt"))),
        }
    }

    /// How reports are taken in.
    pub fn ingest_config(&self) -> Result<portcullis_service::IngestConfig, String> {
        if !self.report_path.starts_with('/') || self.report_path.len() < 2 {
            return Err(format!(
                "report_path {:?} must start with / and name a path",
                self.report_path
            ));
        }
        let largest = self.report_max_bytes.max(self.smtp_max_message_bytes);
        if self.report_buffer_bytes < largest {
            return Err(format!(
                "report_buffer_bytes ({}) must hold at least the largest report or mail taken ({largest})",
                self.report_buffer_bytes
            ));
        }
        Ok(portcullis_service::IngestConfig {
            limits: portcullis_domain::tlsrpt::PayloadLimits {
                max_compressed: self.report_max_bytes,
                max_decompressed: self.report_max_decompressed_bytes,
            },
            per_client_per_minute: self.report_rate_per_minute,
            max_buffered: self.report_buffer_bytes,
        })
    }

    /// The limits every listener applies.
    pub fn listener_limits(&self) -> Result<crate::listener::ListenerLimits, String> {
        if self.listener_max_connections == 0 || self.listener_max_per_client == 0 {
            return Err("listener_max_connections and listener_max_per_client must be at least 1".into());
        }
        if self.listener_header_timeout_secs == 0 || self.listener_idle_timeout_secs == 0 {
            return Err("listener_header_timeout_secs and listener_idle_timeout_secs must be at least 1".into());
        }
        let exempt_clients = self
            .listener_exempt_clients
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse::<std::net::IpAddr>()
                    .map_err(|_| format!("listener_exempt_clients: {a:?} is not an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::listener::ListenerLimits {
            header_timeout: std::time::Duration::from_secs(self.listener_header_timeout_secs),
            idle_timeout: std::time::Duration::from_secs(self.listener_idle_timeout_secs),
            max_connections: self.listener_max_connections,
            max_per_client: self.listener_max_per_client,
            exempt_clients,
        })
    }

    /// Addresses the SMTP receiver accepts mail for (lower-case).
    pub fn smtp_recipients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let configured = self.smtp_recipients.as_deref().unwrap_or("");
        let mailto = self.report_addresses().mailto.unwrap_or_default();
        for address in mailto.split(',').chain(configured.split(',')) {
            let address = address.trim().trim_start_matches("mailto:").to_ascii_lowercase();
            if address.contains('@') && !out.contains(&address) {
                out.push(address);
            }
        }
        out
    }

    /// The readiness gate's thresholds, checked.
    pub fn gate_config(&self) -> Result<portcullis_domain::lifecycle::GateConfig, String> {
        if !(0..=365).contains(&self.gate_min_testing_days) {
            return Err("gate_min_testing_days must be between 0 and 365".into());
        }
        if self.gate_min_reports < 0 || self.gate_min_organizations < 0 {
            return Err("gate_min_reports and gate_min_organizations must not be negative".into());
        }
        if !(0.0..=100.0).contains(&self.gate_max_failure_rate_percent) {
            return Err("gate_max_failure_rate_percent must be between 0 and 100".into());
        }
        if !(1..=24 * 30).contains(&self.gate_max_check_age_hours) {
            return Err("gate_max_check_age_hours must be between 1 and 720".into());
        }
        Ok(portcullis_domain::lifecycle::GateConfig {
            min_testing_days: self.gate_min_testing_days,
            min_reports: self.gate_min_reports,
            min_organizations: self.gate_min_organizations,
            max_failure_rate: self.gate_max_failure_rate_percent / 100.0,
            max_check_age_hours: self.gate_max_check_age_hours,
        })
    }

    /// How live checks connect.
    pub fn check_settings(&self) -> Result<portcullis_dnscheck::CheckSettings, String> {
        let extra_roots = pem_roots(self.check_ca_file.as_deref(), "check_ca_file")?;
        Ok(portcullis_dnscheck::CheckSettings {
            https_port: self.check_https_port,
            smtp_port: self.check_smtp_port,
            allow_private: self.check_allow_private,
            extra_roots,
            helo_name: self.public_host.clone().unwrap_or_else(|| "portcullis.invalid".into()),
            ..portcullis_dnscheck::CheckSettings::default()
        })
    }

    /// The delegated zone the built-in DNS server answers, when `dns_addr` is set; a set
    /// The key sealing push credentials, if configured.
    pub fn sealing_key(&self) -> Result<Option<portcullis_service::SecretKey>, String> {
        self.secret_key
            .as_deref()
            .map(|k| portcullis_service::SecretKey::parse(k).map_err(|e| format!("secret_key: {e}")))
            .transpose()
    }

    /// `dns_zone` is checked either way (another instance may run the server).
    pub fn dns_zone_settings(&self) -> Result<Option<crate::dns::answer::Zone>, String> {
        let Some(zone) = &self.dns_zone else {
            if self.dns_addr.is_some() {
                return Err("dns_addr is set without dns_zone: name the zone delegated to this server".into());
            }
            return Ok(None);
        };
        let name = portcullis_domain::DomainName::parse(zone).map_err(|e| format!("dns_zone {zone:?}: {e}"))?;
        if name.as_str().len() > portcullis_domain::dns::MAX_ZONE_LEN {
            return Err(format!(
                "dns_zone is too long: delegated names need {} characters more than the zone, and DNS names end at 253",
                253 - portcullis_domain::dns::MAX_ZONE_LEN
            ));
        }
        let Some(public_host) = &self.public_host else {
            return Err("dns_zone needs public_host: the policy hosts it answers for lead there".into());
        };
        let nameservers: Vec<String> = match &self.dns_nameservers {
            Some(list) => list
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect(),
            None => vec![public_host.clone()],
        };
        let uris = self.report_addresses().uris();
        let tlsrpt = (!uris.is_empty()).then(|| portcullis_domain::dns::TlsRptRecord::render(&uris));
        crate::dns::answer::Zone::new(name.as_str(), &nameservers, public_host, tlsrpt)
            .map(Some)
            .map_err(|e| format!("dns_zone: {e}"))
    }

    /// The mailbox to poll, when `imap_url` is set.
    pub fn imap_settings(&self) -> Result<Option<crate::ingest::imap::ImapSettings>, String> {
        let Some(url) = &self.imap_url else {
            return Ok(None);
        };
        let url = crate::ingest::imap::MailboxUrl::parse(url)?;
        let roots = pem_roots(self.imap_ca_file.as_deref(), "imap_ca_file")?;
        crate::ingest::imap::ImapSettings::new(
            url,
            self.imap_password.clone().unwrap_or_default(),
            self.imap_processed_folder.clone(),
            self.imap_failed_folder.clone(),
            self.smtp_max_message_bytes,
            &roots,
        )
        .map(Some)
    }
}

/// The certificates of a PEM file named by the setting `key` (none when unset).
fn pem_roots(path: Option<&str>, key: &str) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, String> {
    use rustls_pki_types::pem::PemObject;
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let mut roots = Vec::new();
    for cert in rustls_pki_types::CertificateDer::pem_file_iter(path).map_err(|e| format!("{key} {path}: {e}"))? {
        roots.push(cert.map_err(|e| format!("{key} {path}: {e}"))?);
    }
    if roots.is_empty() {
        return Err(format!("{key} {path}: no PEM certificate in it"));
    }
    Ok(roots)
}
