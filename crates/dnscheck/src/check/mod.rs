//! One check run for a domain: every finding, in the order a user fixes them (DNS records, policy
//! host, policy fetch, reporting, MX coverage, MX transport, DANE). The record rules are pure
//! functions of the DNS answers (`record_rules`); the look-ups and probes are here.

use crate::address_policy::is_public;
use crate::fetch::fetch_policy;
use crate::probe_cache::ProbeCache;
use crate::settings::CheckSettings;
use crate::smtp_probe::{probe, ProbeOutcome};
use crate::tls::TlsClient;
mod mx_rules;
mod record_rules;
mod transport_rules;

use crate::{Dns, DnsError};
use portcullis_domain::dns::{Finding, FindingCode as C, ReportAddresses, Severity};
use portcullis_domain::policy::{Policy, PolicyId};
use portcullis_domain::DomainName;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The policy this server serves for the domain.
#[derive(Debug, Clone)]
pub struct CurrentPolicy {
    pub id: PolicyId,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct CheckInput {
    pub domain: DomainName,
    pub policy: Option<CurrentPolicy>,
    /// The name (or address) `mta-sts.<domain>` should point at.
    pub public_host: Option<String>,
    pub reports: ReportAddresses,
    /// Probe the MX hosts again instead of reusing a recent result ("check now").
    pub fresh: bool,
}

#[derive(Clone)]
pub struct Checker {
    inner: Arc<Inner>,
}

struct Inner {
    dns: Dns,
    settings: CheckSettings,
    tls: TlsClient,
    probes: ProbeCache,
    probe_slots: Semaphore,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("settings", &self.inner.settings)
            .finish()
    }
}

pub(super) fn lookup_failed(subject: &str, e: &DnsError) -> Finding {
    Finding::new(C::LookupFailed, Severity::Error, subject)
        .seen(e.to_string())
        .expected("an answer from the DNS")
        .fix("retry later; if it persists, check the domain's name servers (they may be unreachable or broken)")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(super) fn day(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl Checker {
    pub fn new(dns: Dns, settings: CheckSettings) -> Result<Self, String> {
        let tls = TlsClient::new(&settings.extra_roots)?;
        let probe_slots = Semaphore::new(settings.probe_concurrency.max(1));
        Ok(Self {
            inner: Arc::new(Inner {
                dns,
                settings,
                tls,
                probes: ProbeCache::default(),
                probe_slots,
            }),
        })
    }

    pub fn dns(&self) -> &Dns {
        &self.inner.dns
    }

    pub fn settings(&self) -> &CheckSettings {
        &self.inner.settings
    }

    pub async fn check(&self, input: &CheckInput) -> Vec<Finding> {
        let policy = input.policy.as_ref().and_then(|p| Policy::parse(&p.text).ok());
        let (sts, host_and_fetch, tlsrpt, mx) = tokio::join!(
            self.sts_record(input),
            self.policy_host(input, policy.as_ref()),
            self.tlsrpt_record(input),
            self.mx(input, policy.as_ref()),
        );
        let mut findings = Vec::new();
        if input.policy.is_none() {
            let published = [
                C::StsRecordOk,
                C::StsRecordMultiple,
                C::StsRecordSyntax,
                C::StsRecordIdMismatch,
            ];
            let announced = sts.iter().any(|f| published.iter().any(|c| f.code == c.as_str()));
            findings.push(
                Finding::new(
                    C::PolicyNotConfigured,
                    if announced { Severity::Error } else { Severity::Warning },
                    input.domain.as_str(),
                )
                .seen(if announced {
                    "DNS announces MTA-STS but no policy is hosted here: senders' fetches fail"
                } else {
                    "no policy has been saved for this domain"
                })
                .expected("a policy in testing mode")
                .fix("create the policy (generate it from the MX records), then publish the records below"),
            );
        }
        findings.extend(sts);
        findings.extend(host_and_fetch);
        findings.extend(tlsrpt);
        findings.extend(mx);
        findings
    }

    async fn sts_record(&self, input: &CheckInput) -> Vec<Finding> {
        let name = format!("_mta-sts.{}", input.domain);
        let (answer, apex) = tokio::join!(self.inner.dns.txt(&name), self.inner.dns.txt(input.domain.as_str()));
        record_rules::sts_findings(
            &input.domain,
            input.policy.as_ref(),
            answer.as_ref(),
            apex.as_ref().ok(),
        )
    }

    /// This server's addresses, from the configured public host.
    async fn our_addresses(&self, public_host: &str) -> Vec<IpAddr> {
        match public_host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => self.inner.dns.addresses(public_host).await.unwrap_or_default(),
        }
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        self.inner.settings.allow_private || is_public(ip)
    }

    async fn policy_host(&self, input: &CheckInput, policy: Option<&Policy>) -> Vec<Finding> {
        let host = format!("mta-sts.{}", input.domain);
        let target = input.public_host.as_deref().unwrap_or("this server's public host name");
        let addrs = match self.inner.dns.addresses(&host).await {
            Ok(a) => a,
            Err(e) => return vec![lookup_failed(&host, &e)],
        };
        if addrs.is_empty() {
            return vec![Finding::new(C::PolicyHostMissing, Severity::Error, &host)
                .seen(format!("{host} does not resolve"))
                .expected(format!("a CNAME to {target}"))
                .fix(format!(
                    "publish {host} CNAME {target}; senders cannot fetch the policy without it"
                ))];
        }
        let mut out = Vec::new();
        let shown = addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ");
        if let Some(public) = &input.public_host {
            let ours = self.our_addresses(public).await;
            if !addrs.iter().any(|a| ours.contains(a)) {
                out.push(
                    Finding::new(C::PolicyHostElsewhere, Severity::Error, &host)
                        .seen(format!("{host} resolves to {shown}"))
                        .expected(format!("{public} ({})", join(&ours)))
                        .fix(format!(
                            "point {host} at {public} (CNAME); otherwise senders fetch a policy this server does \
                             not control"
                        )),
                );
            }
        }
        let usable: Vec<SocketAddr> = addrs
            .iter()
            .filter(|a| self.allowed(**a))
            .map(|a| SocketAddr::new(*a, self.inner.settings.https_port))
            .collect();
        if usable.is_empty() {
            out.push(
                Finding::new(C::PolicyHostPrivate, Severity::Error, &host)
                    .seen(format!("{host} resolves to {shown}"))
                    .expected("a public address")
                    .fix("senders on the internet cannot reach a private address; point the name at the public host"),
            );
            return out;
        }
        if out.is_empty() {
            out.push(
                Finding::new(C::PolicyHostOk, Severity::Ok, &host)
                    .seen(format!("{host} resolves to {shown}"))
                    .expected(format!("this server ({target})")),
            );
        }
        if let Some(current) = &input.policy {
            let s = &self.inner.settings;
            let outcome = fetch_policy(&self.inner.tls, &host, &usable, s.connect_timeout, s.io_timeout).await;
            out.extend(transport_rules::fetch_findings(
                s,
                now(),
                &host,
                outcome,
                current,
                policy,
            ));
        }
        out
    }

    async fn tlsrpt_record(&self, input: &CheckInput) -> Vec<Finding> {
        let name = format!("_smtp._tls.{}", input.domain);
        let answer = self.inner.dns.txt(&name).await;
        record_rules::tlsrpt_findings(&input.domain, &input.reports, answer.as_ref())
    }

    async fn mx(&self, input: &CheckInput, policy: Option<&Policy>) -> Vec<Finding> {
        let answer = self.inner.dns.mx(&input.domain).await;
        let (hosts, mut out) = mx_rules::coverage(input.domain.as_str(), answer.as_ref(), policy);
        let per_host = hosts.iter().map(|h| self.mx_host(h, input.fresh));
        for findings in futures_util::future::join_all(per_host).await {
            out.extend(findings);
        }
        out
    }

    async fn mx_host(&self, host: &str, fresh: bool) -> Vec<Finding> {
        if host.parse::<IpAddr>().is_ok() {
            return vec![Finding::new(C::MxIpAddress, Severity::Error, host)
                .seen(format!("MX {host}"))
                .expected("a host name")
                .fix("MX records must name a host; an address can be neither matched by a policy nor verified by certificate")];
        }
        let dns = &self.inner.dns;
        let tlsa_name = format!("_25._tcp.{host}");
        let (cname, addrs, tlsa) = tokio::join!(dns.cname(host), dns.addresses(host), dns.tlsa_count(&tlsa_name));
        let mut out = Vec::new();
        if let Ok(Some(target)) = cname {
            out.push(
                Finding::new(C::MxCname, Severity::Warning, host)
                    .seen(format!("{host} is a CNAME to {target}"))
                    .expected("an MX naming the host itself (RFC 2181 §10.3)")
                    .fix(format!(
                        "point the MX at {target} directly; some senders check the certificate against the alias"
                    )),
            );
        }
        let addrs = match addrs {
            Ok(a) => a,
            Err(e) => {
                out.push(lookup_failed(host, &e));
                return out;
            }
        };
        if addrs.is_empty() {
            out.push(
                Finding::new(C::MxNoAddress, Severity::Error, host)
                    .seen(format!("{host} has no A or AAAA record"))
                    .expected("the address of the mail server")
                    .fix("publish its address or remove the MX record"),
            );
        } else {
            let usable: Vec<SocketAddr> = addrs
                .iter()
                .filter(|a| self.allowed(**a))
                .map(|a| SocketAddr::new(*a, self.inner.settings.smtp_port))
                .collect();
            if usable.is_empty() {
                out.push(
                    Finding::new(C::MxPrivateAddress, Severity::Warning, host)
                        .seen(format!("{host} resolves to {}", join(&addrs)))
                        .expected("a public address")
                        .fix("senders on the internet cannot reach it; publish the public address"),
                );
            } else {
                out.extend(self.starttls(host, &usable, fresh).await);
            }
        }
        match tlsa {
            Ok(n) if n > 0 => out.push(
                Finding::new(C::DaneTlsaPresent, Severity::Ok, host)
                    .seen(format!("{n} TLSA record(s) at _25._tcp.{host}"))
                    .expected("DANE is optional; senders that support it use it before MTA-STS"),
            ),
            Ok(_) => out.push(
                Finding::new(C::DaneTlsaAbsent, Severity::Ok, host)
                    .seen(format!("no TLSA record at _25._tcp.{host}"))
                    .expected("DANE is optional (it needs DNSSEC)"),
            ),
            Err(_) => {}
        }
        out
    }

    async fn starttls(&self, host: &str, addrs: &[SocketAddr], fresh: bool) -> Vec<Finding> {
        let inner = &self.inner;
        if fresh {
            inner.probes.forget(host);
        }
        let slot = inner.probes.slot(host, inner.settings.probe_ttl);
        let outcome = slot
            .get_or_init(|| async {
                let _permit = inner.probe_slots.acquire().await;
                let s = &inner.settings;
                probe(&inner.tls, host, addrs, &s.helo_name, s.connect_timeout, s.io_timeout).await
            })
            .await
            .clone();
        let port = inner.settings.smtp_port;
        match outcome {
            ProbeOutcome::Connect(m) => vec![Finding::new(C::StartTlsConnect, Severity::Error, host)
                .seen(m)
                .expected(format!("an SMTP server on port {port}"))
                .fix("check that the MX accepts connections on port 25 from the internet")],
            ProbeOutcome::NoStartTls { address } => vec![Finding::new(C::StartTlsNotOffered, Severity::Error, host)
                .seen(format!("{address} answers EHLO without STARTTLS"))
                .expected("STARTTLS in the EHLO reply")
                .fix("enable STARTTLS with a certificate for this host; in enforce mode senders cannot deliver without it")],
            ProbeOutcome::Handshake {
                address,
                old_version,
                message,
                facts,
            } => {
                let mut out = facts
                    .as_ref()
                    .map(|f| transport_rules::cert_findings(&self.inner.settings, now(), host, f, true))
                    .unwrap_or_default();
                if old_version {
                    out.push(
                        Finding::new(C::StartTlsTlsVersion, Severity::Error, host)
                            .seen(format!("{address}: {message}"))
                            .expected("TLS 1.2 or 1.3")
                            .fix("enable TLS 1.2 or later on the MX"),
                    );
                } else if out.is_empty() {
                    out.push(
                        Finding::new(C::StartTlsHandshake, Severity::Error, host)
                            .seen(format!("{address}: {message}"))
                            .expected("a TLS handshake after STARTTLS")
                            .fix("check the MX's TLS configuration and certificate"),
                    );
                }
                out
            }
            ProbeOutcome::Tls { address, facts } => {
                let mut out = transport_rules::cert_findings(&self.inner.settings, now(), host, &facts, true);
                if out.iter().all(|f| f.severity == Severity::Ok) {
                    out.push(
                        Finding::new(C::StartTlsOk, Severity::Ok, host)
                            .seen(format!(
                                "{address}: STARTTLS, {}, certificate valid for {host} until {}",
                                facts.version,
                                facts.not_after.map(day).unwrap_or_default()
                            ))
                            .expected("STARTTLS with a certificate valid for the MX name"),
                    );
                }
                out
            }
        }
    }
}

fn join(addrs: &[IpAddr]) -> String {
    if addrs.is_empty() {
        return "no address".into();
    }
    addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
}
