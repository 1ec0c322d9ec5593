//! Keeps a certificate for every `mta-sts.<domain>` that has a policy, and one for the public
//! host (its `/tlsrpt` and STARTTLS): obtains the ones the service layer says are due (missing,
//! or 30 days before expiry, after any back-off: `portcullis_service::is_due`), and waits
//! (saying so) until an `mta-sts.` name resolves to this server, since the ACME server would
//! otherwise fail the challenge.

use crate::tls::acme::{self, AcmeSettings, HttpChallenges};
use crate::tls::https::{certified_key, CertResolver};
use portcullis_dnscheck::Dns;
use portcullis_service::{CertHolder as Holder, Services};
use portcullis_store::CertDue;
use std::net::IpAddr;
use std::sync::Arc;

pub struct CertManager {
    pub services: Services,
    pub resolver: Arc<CertResolver>,
    pub challenges: Arc<HttpChallenges>,
    pub settings: AcmeSettings,
    /// The name users point `mta-sts.<domain>` at; its addresses are "this server".
    pub public_host: Option<String>,
    pub dns: Option<Dns>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub issued: Vec<String>,
    pub failed: Vec<(String, String)>,
}

/// Expiry (Unix seconds) of the first certificate in a PEM chain.
pub fn not_after(chain_pem: &str) -> Option<i64> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(chain_pem.as_bytes()).ok()?;
    let cert = pem.parse_x509().ok()?;
    Some(cert.validity().not_after.timestamp())
}

impl CertManager {
    /// Loads every stored certificate into the TLS listener.
    pub async fn load(&self) -> usize {
        load_stored(&self.services, &self.resolver).await
    }

    /// Why `name` cannot be validated yet, if it does not resolve to this server.
    async fn not_pointing_here(&self, name: &str, ours: &[IpAddr]) -> Option<String> {
        let dns = self.dns.as_ref()?;
        let seen = dns.addresses(name).await.unwrap_or_default();
        if seen.is_empty() {
            return Some(format!(
                "waiting for DNS: {name} does not resolve yet; point it (CNAME) at {}",
                self.public_host.as_deref().unwrap_or("this server")
            ));
        }
        let public = self.public_host.as_deref()?;
        if ours.is_empty() || seen.iter().any(|ip| ours.contains(ip)) {
            return None;
        }
        Some(format!(
            "waiting for DNS: {name} resolves to {} but this server ({public}) is {}",
            join(&seen),
            join(ours)
        ))
    }

    /// One pass over every domain with a policy.
    pub async fn run_once(&self) -> RunReport {
        let mut report = RunReport::default();
        let now = portcullis_store::now();
        let due = match self.services.domain_certificates_due(now).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "certificate check skipped: database unavailable");
                return report;
            }
        };
        let host = match &self.public_host {
            Some(public) => match self.services.host_certificate_due(public, now).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "public host certificate check skipped: database unavailable");
                    None
                }
            },
            None => None,
        };
        if due.is_empty() && host.is_none() {
            return report;
        }
        let account = match self.account().await {
            Ok(a) => a,
            Err(e) => {
                for d in &due {
                    self.fail(d, Holder::Domain, &e.to_string(), &mut report).await;
                }
                if let Some(h) = &host {
                    self.fail(h, Holder::Host, &e.to_string(), &mut report).await;
                }
                return report;
            }
        };
        if let Some(h) = host {
            self.issue(&account, &h, Holder::Host, &mut report).await;
        }
        // This server's addresses, looked up once per pass rather than once per domain.
        let ours = match (&self.dns, &self.public_host) {
            (Some(dns), Some(public)) => dns.addresses(public).await.unwrap_or_default(),
            _ => Vec::new(),
        };
        for d in due {
            if let Some(why) = self.not_pointing_here(&d.name, &ours).await {
                self.fail(&d, Holder::Domain, &why, &mut report).await;
                continue;
            }
            self.issue(&account, &d, Holder::Domain, &mut report).await;
        }
        report
    }

    /// Obtains, stores and serves one certificate. The public host's own (what
    /// `https://<public host>/tlsrpt` and STARTTLS present) gets no DNS check first: it is this
    /// server by definition, and the CA's validation says otherwise soon enough (then the usual
    /// back-off applies).
    async fn issue(&self, account: &instant_acme::Account, d: &CertDue, holder: Holder, report: &mut RunReport) {
        match acme::issue(account, &d.name, &self.challenges).await {
            Ok((chain, key)) => match (certified_key(&chain, &key), not_after(&chain)) {
                (Ok(certified), Some(expiry)) => {
                    let saved = self.services.certificate_issued(d, holder, &chain, &key, expiry).await;
                    if let Err(e) = saved {
                        tracing::error!(name = %d.name, error = %e, "could not store the certificate");
                    }
                    self.resolver.set(&d.name, certified);
                    tracing::info!(name = %d.name, expires = expiry, "certificate issued");
                    report.issued.push(d.name.clone());
                }
                _ => {
                    self.fail(d, holder, "the ACME server returned an unusable certificate", report)
                        .await
                }
            },
            Err(e) => self.fail(d, holder, &e.to_string(), report).await,
        }
    }

    async fn account(&self) -> Result<instant_acme::Account, acme::AcmeError> {
        let stored = self
            .services
            .acme_account(&self.settings.directory)
            .await
            .ok()
            .flatten();
        let (account, fresh) = acme::account(&self.settings, stored.as_deref()).await?;
        if let Some(credentials) = fresh {
            if let Err(e) = self
                .services
                .save_acme_account(&self.settings.directory, &credentials)
                .await
            {
                tracing::error!(error = %e, "could not store the ACME account");
            }
        }
        Ok(account)
    }

    async fn fail(&self, d: &CertDue, holder: Holder, why: &str, report: &mut RunReport) {
        tracing::warn!(name = %d.name, error = %why, "certificate not issued");
        let recorded = self
            .services
            .certificate_failed(d, holder, why, portcullis_store::now())
            .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the certificate failure");
        }
        report.failed.push((d.name.clone(), why.to_string()));
    }
}

/// Stops presenting certificates of deleted domains; on a database error nothing changes.
pub async fn prune(services: &Services, resolver: &CertResolver) {
    match services.certificate_names().await {
        Ok(names) => resolver.retain(&names),
        Err(e) => tracing::warn!(error = %e, "certificates not pruned: database unavailable"),
    }
}

/// Loads every stored certificate into `resolver`; unusable ones are logged and skipped.
pub async fn load_stored(services: &Services, resolver: &CertResolver) -> usize {
    let stored = match services.stored_certificates().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "could not load certificates");
            return 0;
        }
    };
    let mut n = 0;
    for c in stored {
        match certified_key(&c.cert_pem, &c.key_pem) {
            Ok(key) => {
                resolver.set(&c.name, key);
                n += 1;
            }
            Err(e) => tracing::error!(name = %c.name, error = %e, "stored certificate is unusable"),
        }
    }
    n
}

fn join(ips: &[IpAddr]) -> String {
    ips.iter().map(|ip| ip.to_string()).collect::<Vec<_>>().join(", ")
}
