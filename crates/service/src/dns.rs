//! DNS guidance and live checks: the records a domain must publish, check runs on demand and by
//! the monitor, their history and status-change events.

use crate::delegation::IdPublishing;
use crate::policies::name_of;
use crate::proof::proven_by;
use crate::push::PushStatus;
use crate::{ServiceError, Services};
use portcullis_dnscheck::{CheckInput, Checker, CurrentPolicy, ProofCheck};
use portcullis_domain::dns::{delegation_records, DnsSetup, FindingCode, ProofToken};
use portcullis_domain::dns::{publish_records, zone_snippet, DnsRecord, Finding, ReportAddresses, Severity, Status};
use portcullis_domain::{DomainName, PolicyId};
use portcullis_store::{now, CheckNotes, DnsCheckRow, DomainEvent, DomainRow, MonitorTarget, OrgAccess};

/// What a check needs of a domain's registration: its proof token, whether control is proven,
/// and how its records are published.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub proof_token: String,
    pub proven_at: Option<i64>,
    pub dns_setup: String,
}

impl Registration {
    pub(crate) fn of(row: &DomainRow) -> Self {
        Self {
            proof_token: row.proof_token.clone(),
            proven_at: row.proven_at,
            dns_setup: row.dns_setup.clone(),
        }
    }

    pub(crate) fn of_target(target: &MonitorTarget) -> Self {
        Self {
            proof_token: target.proof_token.clone(),
            proven_at: target.proven_at,
            dns_setup: target.dns_setup.clone(),
        }
    }
}
use serde::{Deserialize, Serialize};

/// What users point their records at.
#[derive(Debug, Clone, Default)]
pub struct DnsConfig {
    /// `PORTCULLIS_PUBLIC_HOST`.
    pub public_host: Option<String>,
    pub reports: ReportAddresses,
    /// `PORTCULLIS_DNS_ZONE`: the zone this server answers delegated records in, if it runs one.
    pub zone: Option<String>,
}

/// Shown where the public host belongs when it is not configured.
pub const PUBLIC_HOST_PLACEHOLDER: &str = "<PORTCULLIS_PUBLIC_HOST>";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRun {
    pub checked_at: i64,
    pub status: Status,
    pub findings: Vec<Finding>,
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsOverview {
    pub domain: String,
    pub records: Vec<DnsRecord>,
    pub zone: String,
    /// False when `PORTCULLIS_PUBLIC_HOST` is unset and the records hold a placeholder.
    pub public_host_configured: bool,
    /// Whether a policy exists (without one, there is no `_mta-sts` record to publish yet).
    pub has_policy: bool,
    pub latest: Option<CheckRun>,
    pub events: Vec<DomainEvent>,
    /// False when this server cannot run checks (no resolver).
    pub can_check: bool,
    /// How the records reach DNS.
    pub setup: DnsSetup,
    /// The three delegation CNAMEs, where this server runs a DNS zone (empty otherwise).
    pub delegation: Vec<DnsRecord>,
    /// Whether the owner has nothing to publish after a policy change.
    pub id_publishing: IdPublishing,
    /// The last push, for a domain in push mode.
    pub push: Option<PushStatus>,
    /// Whether the organisation has push settings (push can be chosen).
    pub push_configured: bool,
}

impl CheckRun {
    /// The MX hosts this check saw live (covered by the policy or not), sorted.
    pub fn live_mx(&self) -> Vec<String> {
        crate::lifecycle::live_mx(&self.findings)
    }
}

pub(crate) fn run_of(row: DnsCheckRow) -> CheckRun {
    let findings: Vec<Finding> = serde_json::from_str(&row.findings).unwrap_or_else(|e| {
        tracing::error!(error = %e, "stored findings do not parse");
        Vec::new()
    });
    CheckRun {
        checked_at: row.checked_at,
        status: Status::parse(&row.status),
        findings,
        origin: row.origin,
    }
}

/// The event text for a status change: what is wrong now.
fn change_detail(status: Status, findings: &[Finding]) -> String {
    let worst: Vec<&str> = findings
        .iter()
        .filter(|f| f.severity != Severity::Ok && Status::of(std::slice::from_ref(*f)) == status)
        .map(|f| f.code.as_str())
        .collect();
    if worst.is_empty() {
        format!("DNS status is {}", status.as_str())
    } else {
        format!("DNS status is {}: {}", status.as_str(), worst.join(", "))
    }
}

/// Live MX hosts an enforced policy does not cover: the checker marks an uncovered MX as an
/// error only in enforce mode, where senders refuse to deliver to it.
pub(crate) fn drifted_mx(findings: &[Finding]) -> Vec<String> {
    let mut hosts: Vec<String> = findings
        .iter()
        .filter(|f| f.code == FindingCode::MxUncovered.as_str() && f.severity == Severity::Error)
        .map(|f| f.subject.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The events and alerts a run's findings call for.
fn notes_for(status: Status, findings: &[Finding]) -> CheckNotes {
    let drift = drifted_mx(findings);
    let drift_detail = if drift.is_empty() {
        "Every live MX is covered by the policy again".to_string()
    } else {
        format!(
            "MX not covered by the enforced policy: {}. Senders that enforce MTA-STS refuse to deliver to it: add it to the policy, then publish the new id.",
            drift.join(", ")
        )
    };
    let cert_codes = [
        FindingCode::StartTlsCertExpiring,
        FindingCode::StartTlsCertExpired,
        FindingCode::PolicyFetchCertExpiring,
        FindingCode::PolicyFetchCertExpired,
    ];
    let certs: Vec<String> = findings
        .iter()
        .filter(|f| cert_codes.iter().any(|c| c.as_str() == f.code))
        .map(|f| format!("{}: {}", f.subject, f.seen))
        .collect();
    let mut alerts = Vec::new();
    if !certs.is_empty() {
        alerts.push((
            "cert_expiring".to_string(),
            format!("Certificate expiring: {}", certs.join("; ")),
        ));
    }
    CheckNotes {
        status_detail: change_detail(status, findings),
        mx_drift: drift.join(", "),
        drift_detail,
        alerts,
    }
}

impl Services {
    /// Runs live checks with `checker`; records point at `config`.
    pub fn with_checker(mut self, checker: Checker, config: DnsConfig) -> Self {
        self.checker = Some(checker);
        self.dns_config = config;
        self
    }

    pub fn dns_config(&self) -> &DnsConfig {
        &self.dns_config
    }

    fn records_for(&self, domain: &DomainName, policy_id: Option<&PolicyId>) -> Vec<DnsRecord> {
        let host = self
            .dns_config
            .public_host
            .as_deref()
            .unwrap_or(PUBLIC_HOST_PLACEHOLDER);
        publish_records(domain, host, policy_id, &self.dns_config.reports)
    }

    async fn current_id(&self, access: &OrgAccess, domain: &DomainName) -> Result<Option<PolicyId>, ServiceError> {
        Ok(self
            .store
            .current_policy(access, domain)
            .await?
            .and_then(|v| PolicyId::new(&v.policy_id).ok()))
    }

    /// The domain's most recent check, if it was ever checked.
    pub(crate) async fn latest_check(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
    ) -> Result<Option<CheckRun>, ServiceError> {
        Ok(self
            .store
            .dns_checks(access, domain, 1)
            .await?
            .into_iter()
            .next()
            .map(run_of))
    }

    /// The records to publish, the latest check and recent events.
    pub async fn dns_overview(&self, access: &OrgAccess, raw: &str) -> Result<DnsOverview, ServiceError> {
        let domain = name_of(raw)?;
        let row = self
            .store
            .domain(access, &domain)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let setup = DnsSetup::parse(&row.dns_setup).unwrap_or(DnsSetup::Manual);
        let delegation = match (&self.dns_config.zone, ProofToken::parse(&row.proof_token)) {
            (Some(zone), Ok(token)) => delegation_records(&domain, &token, zone),
            _ => Vec::new(),
        };
        let id = self.current_id(access, &domain).await?;
        let records = match setup {
            DnsSetup::Delegated if !delegation.is_empty() => delegation.clone(),
            _ => self.records_for(&domain, id.as_ref()),
        };
        let latest = self.latest_check(access, &domain).await?;
        let events = self.store.domain_events(access, &domain, 20).await?;
        let push = match setup {
            DnsSetup::Push => Some(self.push_status(access, &domain).await?),
            _ => None,
        };
        let id_publishing = IdPublishing::of(setup, latest.as_ref());
        Ok(DnsOverview {
            domain: domain.to_string(),
            zone: zone_snippet(&records),
            records,
            public_host_configured: self.dns_config.public_host.is_some(),
            has_policy: id.is_some(),
            latest,
            events,
            can_check: self.checker.is_some(),
            setup,
            delegation,
            id_publishing,
            push,
            push_configured: self.store.push_settings(access).await?.is_some(),
        })
    }

    /// Checks the domain now (fresh MX probes), stores the run and returns it.
    pub async fn check_dns(&self, access: &OrgAccess, raw: &str, origin: &str) -> Result<CheckRun, ServiceError> {
        let checker = self.checker()?;
        let domain = name_of(raw)?;
        let found = self
            .store
            .domain(access, &domain)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let registration = Registration::of(&found);
        let current = self.store.current_policy(access, &domain).await?;
        let policy = current.and_then(|v| {
            Some(CurrentPolicy {
                id: PolicyId::new(&v.policy_id).ok()?,
                text: v.body,
            })
        });
        let input = self.check_input(domain.clone(), policy, true, &registration);
        let findings = checker.check(&input).await;
        self.take_proof(&domain, &registration, &findings).await;
        let (row, notes) = self.row_for(&findings, origin)?;
        self.store.record_dns_check(access, &domain, &row, &notes).await?;
        Ok(run_of(row))
    }

    pub(crate) fn checker(&self) -> Result<&Checker, ServiceError> {
        self.checker.as_ref().ok_or_else(|| {
            ServiceError::Unavailable("DNS checks are unavailable: no DNS resolver is configured".into())
        })
    }

    pub(crate) fn check_input(
        &self,
        domain: DomainName,
        policy: Option<CurrentPolicy>,
        fresh: bool,
        registration: &Registration,
    ) -> CheckInput {
        let proof = ProofToken::parse(&registration.proof_token)
            .ok()
            .map(|token| ProofCheck {
                token,
                zone: self.dns_config.zone.clone(),
                delegated: registration.dns_setup == "delegated",
                proven: registration.proven_at.is_some(),
            });
        CheckInput {
            domain,
            policy,
            public_host: self.dns_config.public_host.clone(),
            reports: self.dns_config.reports.clone(),
            fresh,
            proof,
        }
    }

    /// After a check of a domain not yet proven: records the proof the check found, if any.
    pub(crate) async fn take_proof(&self, domain: &DomainName, registration: &Registration, findings: &[Finding]) {
        if registration.proven_at.is_some() {
            return;
        }
        let how = proven_by(findings);
        if let Some(how) = how {
            if let Err(e) = self.mark_proven(domain, how).await {
                tracing::warn!(%domain, error = %e, "control was proven but could not be recorded");
            }
        }
    }

    pub(crate) fn row_for(
        &self,
        findings: &[Finding],
        origin: &str,
    ) -> Result<(DnsCheckRow, CheckNotes), ServiceError> {
        let status = Status::of(findings);
        let json = serde_json::to_string(findings).map_err(|_| ServiceError::Internal)?;
        Ok((
            DnsCheckRow {
                checked_at: now(),
                status: status.as_str().to_string(),
                findings: json,
                origin: origin.to_string(),
            },
            notes_for(status, findings),
        ))
    }

    /// The domain's check history, newest first.
    pub async fn dns_history(&self, access: &OrgAccess, raw: &str, limit: i64) -> Result<Vec<CheckRun>, ServiceError> {
        let domain = name_of(raw)?;
        self.store
            .domain(access, &domain)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(self
            .store
            .dns_checks(access, &domain, limit)
            .await?
            .into_iter()
            .map(run_of)
            .collect())
    }
}
