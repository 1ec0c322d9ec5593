//! Proof of control: a domain's policy is served, its certificate ordered and its reports
//! attributed only once its organisation has proven control of it. The DNS check proves it (see
//! `dns`), or the operator does from the command line.

use crate::operator::Operator;
use crate::policies::name_of;
use crate::{ServiceError, Services};
use portcullis_domain::dns::{DnsSetup, Finding, FindingCode};
use portcullis_domain::DomainName;
use portcullis_store::{Change, OrgAccess};

/// How control was proven, as recorded and shown.
pub const PROVEN_BY_DELEGATION: &str = "delegation";
pub const PROVEN_BY_TXT: &str = "txt record";
pub const PROVEN_BY_OPERATOR: &str = "operator";

/// How a check's findings prove control, if they do ("delegation" or "txt record").
pub(crate) fn proven_by(findings: &[Finding]) -> Option<&'static str> {
    findings.iter().find_map(|f| match FindingCode::parse(&f.code) {
        Some(FindingCode::ProofByDelegation) => Some(PROVEN_BY_DELEGATION),
        Some(FindingCode::ProofByTxt) => Some(PROVEN_BY_TXT),
        _ => None,
    })
}

impl Services {
    /// Serves a version just saved, if the domain is proven. Proof is read from the database: a
    /// proof made by another process (the command line, say) counts before the snapshot's next
    /// reload has seen it.
    /// A domain in push mode then gets the new id pushed to its DNS.
    pub(crate) async fn serve_saved(&self, access: &OrgAccess, domain: &DomainName, body: &str, id: &str) {
        let row = match self.store.domain(access, domain).await {
            Ok(row) => row,
            Err(e) => {
                tracing::warn!(%domain, error = %e, "could not read whether the domain is proven");
                None
            }
        };
        if let Some(row) = row.as_ref().filter(|r| r.proven_at.is_some()) {
            self.snapshot.prove(&row.name, &row.proof_token);
        }
        self.snapshot.set(domain.as_str(), body, id);
        if row.is_some_and(|r| r.dns_setup == DnsSetup::Push.as_str()) {
            // The outcome is recorded on the domain and raises an alert when it fails; the
            // save itself stands either way.
            if let Err(e) = self.push_id(access, domain, id).await {
                tracing::warn!(%domain, error = %e, "push after a policy change could not run");
            }
        }
    }

    /// The operator vouches for `raw` (`portcullis domain prove`): for operators registering
    /// their own domains, and for tests. Returns whether it was unproven until now.
    pub async fn prove_as_operator(&self, _operator: &Operator, raw: &str) -> Result<bool, ServiceError> {
        let domain = name_of(raw)?;
        self.mark_proven(&domain, PROVEN_BY_OPERATOR).await
    }

    /// Records the proof and serves what is saved for the domain at once, here and (through the
    /// change notice) on every instance. Returns whether it was unproven until now.
    pub(crate) async fn mark_proven(&self, domain: &DomainName, how: &str) -> Result<bool, ServiceError> {
        let (proven, newly) = self.store.prove_domain(domain, how).await?;
        self.snapshot.prove(&proven.name, &proven.proof_token);
        if newly {
            if let Err(e) = self.refresh_snapshot().await {
                tracing::warn!(error = %e, "snapshot not refreshed after a proof; the periodic refresh will serve the domain");
            }
            self.announce(Change::Policies).await;
            tracing::info!(%domain, how, "control of the domain proven");
        }
        Ok(newly)
    }
}
