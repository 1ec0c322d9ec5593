//! One check run for a domain: every finding, in the order a user fixes them (DNS records, policy
//! host, policy fetch, reporting, MX coverage, MX transport, DANE). The look-ups and probes are
//! here; the rules that turn what they found into findings are pure functions, one module per
//! area: `record_rules` (the TXT records), `policy_host_rules` (where `mta-sts.` points), `mx_host_rules` (each MX host and its STARTTLS),
//! `transport_rules` (certificates, the policy fetch), `mx_rules` (MX coverage).

use crate::address_policy::is_public;
use crate::fetch::fetch_policy;
use crate::probe_cache::ProbeCache;
use crate::settings::CheckSettings;
use crate::smtp_probe::{probe, ProbeOutcome};
use crate::tls::TlsClient;
mod delegation_rules;
mod mx_host_rules;
mod mx_rules;
mod policy_host_rules;
mod record_rules;
mod transport_rules;

pub use delegation_rules::ProofCheck;

use crate::{Dns, DnsError};
use portcullis_domain::dns::{Delegated, Finding, FindingCode as C, ReportAddresses, Severity, CHALLENGE_LABEL};
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
    /// Delegation and proof of control; `None` skips them (a check without a registration).
    pub proof: Option<ProofCheck>,
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

/// The addresses a check may connect to on `port`: public ones, or any when tests allow private.
pub(super) fn usable(settings: &CheckSettings, addrs: &[IpAddr], port: u16) -> Vec<SocketAddr> {
    addrs
        .iter()
        .filter(|a| settings.allow_private || is_public(**a))
        .map(|a| SocketAddr::new(*a, port))
        .collect()
}

pub(super) fn join(addrs: &[IpAddr]) -> String {
    if addrs.is_empty() {
        return "no address".into();
    }
    addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
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
        let (delegation, sts, host_and_fetch, tlsrpt, mx) = tokio::join!(
            self.delegation(input),
            self.sts_record(input),
            self.policy_host(input, policy.as_ref()),
            self.tlsrpt_record(input),
            self.mx(input, policy.as_ref()),
        );
        let mut findings = delegation;
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

    async fn delegation(&self, input: &CheckInput) -> Vec<Finding> {
        match &input.proof {
            Some(proof) => self.proof_findings(&input.domain, proof).await,
            None => Vec::new(),
        }
    }

    /// Only the delegation and proof findings: for a claim, whose token is not the
    /// registration's, this is the whole check.
    pub async fn proof_findings(&self, domain: &DomainName, proof: &ProofCheck) -> Vec<Finding> {
        let dns = &self.inner.dns;
        let [sts, rpt, host] = Delegated::ALL.map(|kind| kind.owner_name(domain));
        let challenge = format!("{CHALLENGE_LABEL}.{domain}");
        let (sts, rpt, host, txt) = tokio::join!(dns.cname(&sts), dns.cname(&rpt), dns.cname(&host), async {
            match proof.proven {
                true => None,
                false => Some(dns.txt(&challenge).await),
            }
        });
        let cnames = [sts, rpt, host];
        let answers = delegation_rules::DelegationAnswers {
            cnames: &cnames,
            challenge: txt.as_ref(),
        };
        delegation_rules::delegation_findings(domain, proof, answers)
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

    async fn policy_host(&self, input: &CheckInput, policy: Option<&Policy>) -> Vec<Finding> {
        let host = format!("mta-sts.{}", input.domain);
        let addrs = match self.inner.dns.addresses(&host).await {
            Ok(a) => a,
            Err(e) => return vec![lookup_failed(&host, &e)],
        };
        let ours = match &input.public_host {
            Some(public) if !addrs.is_empty() => self.our_addresses(public).await,
            _ => Vec::new(),
        };
        let s = &self.inner.settings;
        let mut out = policy_host_rules::policy_host_findings(s, &host, input.public_host.as_deref(), &addrs, &ours);
        let usable = usable(s, &addrs, s.https_port);
        if let (Some(current), false) = (&input.policy, usable.is_empty()) {
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
            return vec![mx_host_rules::mx_is_address(host)];
        }
        let dns = &self.inner.dns;
        let tlsa_name = format!("_25._tcp.{host}");
        let (cname, addresses, tlsa) = tokio::join!(dns.cname(host), dns.addresses(host), dns.tlsa_count(&tlsa_name));
        let s = &self.inner.settings;
        let usable = addresses
            .as_ref()
            .map(|a| usable(s, a, s.smtp_port))
            .unwrap_or_default();
        let probe = match usable.is_empty() {
            true => None,
            false => Some(self.starttls(host, &usable, fresh).await),
        };
        let facts = mx_host_rules::MxHostFacts {
            cname: cname.ok().flatten(),
            addresses,
            tlsa: tlsa.ok(),
            probe,
        };
        mx_host_rules::mx_host_findings(s, now(), host, facts)
    }

    /// The STARTTLS probe, shared by every domain that names this MX within the probe's lifetime.
    async fn starttls(&self, host: &str, addrs: &[SocketAddr], fresh: bool) -> ProbeOutcome {
        let inner = &self.inner;
        if fresh {
            inner.probes.forget(host);
        }
        let slot = inner.probes.slot(host, inner.settings.probe_ttl);
        slot.get_or_init(|| async {
            let _permit = inner.probe_slots.acquire().await;
            let s = &inner.settings;
            probe(&inner.tls, host, addrs, &s.helo_name, s.connect_timeout, s.io_timeout).await
        })
        .await
        .clone()
    }
}
