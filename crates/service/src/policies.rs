//! Viewing, editing and versioning a domain's MTA-STS policy, and proposing one from live MX.

use crate::{ServiceError, Services};
use portcullis_dnscheck::{MxAnswer, MxRecord};
use portcullis_domain::policy::{
    coverage, describe_change, suggest_patterns, MxCoverage, PolicyError, PolicyWarning, Suggestion,
};
use portcullis_domain::{DomainName, Mode, Policy, PolicySpec};
use portcullis_store::{CertState, OrgAccess, PolicyVersion, SaveOutcome};
use serde::{Deserialize, Serialize};

pub const VERSIONS_SHOWN: i64 = 200;

/// A domain's current policy as stored, parsed back, with its warnings.
#[derive(Debug, Clone)]
pub struct PolicyState {
    pub domain: DomainName,
    pub current: Option<PolicyVersion>,
    pub policy: Option<Policy>,
}

impl PolicyState {
    pub fn warnings(&self) -> Vec<PolicyWarning> {
        self.policy.as_ref().map(Policy::warnings).unwrap_or_default()
    }
}

/// What "generate from MX" found and proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxProposal {
    pub answer: MxAnswer,
    /// Why nothing can be proposed (null MX, no MX, no such domain).
    pub explanation: Option<String>,
    pub suggestion: Suggestion,
    /// The live MX hosts against the domain's current policy, if it has one.
    pub current_coverage: Vec<MxCoverage>,
}

impl MxProposal {
    pub fn records(&self) -> &[MxRecord] {
        match &self.answer {
            MxAnswer::Hosts { records } => records,
            _ => &[],
        }
    }
}

/// A domain name from a URL or form; one that cannot be valid is simply not found.
pub(crate) fn name_of(raw: &str) -> Result<DomainName, ServiceError> {
    DomainName::parse(raw).map_err(|_| ServiceError::NotFound)
}

/// Maps a policy error to the form field it belongs to.
pub fn policy_error(e: PolicyError) -> ServiceError {
    ServiceError::invalid(e.field(), e)
}

/// Parses the stored current version back, so callers get warnings and editor fields.
fn state_of(domain: DomainName, current: Option<PolicyVersion>) -> Result<PolicyState, ServiceError> {
    let policy = match &current {
        Some(v) => Some(Policy::parse(&v.body).map_err(|e| {
            tracing::error!(domain = %domain, error = %e, "stored policy does not parse");
            ServiceError::Internal
        })?),
        None => None,
    };
    Ok(PolicyState {
        domain,
        current,
        policy,
    })
}

impl Services {
    pub async fn policy_state(&self, access: &OrgAccess, raw: &str) -> Result<PolicyState, ServiceError> {
        let domain = name_of(raw)?;
        self.store
            .domain(access, &domain)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let current = self.store.current_policy(access, &domain).await?;
        state_of(domain, current)
    }

    /// The current policy and every version (newest first), from one read of the history.
    pub async fn policy_with_history(
        &self,
        access: &OrgAccess,
        raw: &str,
    ) -> Result<(PolicyState, Vec<PolicyVersion>), ServiceError> {
        let versions = self.policy_versions(access, raw).await?;
        let state = state_of(name_of(raw)?, versions.first().cloned())?;
        Ok((state, versions))
    }

    /// Saves a new version when the served text changes; the snapshot serves it at once.
    pub async fn save_policy(
        &self,
        access: &OrgAccess,
        raw: &str,
        spec: &PolicySpec,
        author: &str,
    ) -> Result<SaveOutcome, ServiceError> {
        if !access.role().allows(portcullis_domain::Role::Editor) {
            return Err(ServiceError::Forbidden);
        }
        let policy = Policy::from_spec(spec).map_err(policy_error)?;
        let state = self.policy_state(access, raw).await?;
        // Mode changes are transitions (readiness gate, confirmation, history): not edits.
        match (state.policy.as_ref().map(Policy::mode), policy.mode()) {
            (None, Mode::Enforce) => {
                return Err(ServiceError::invalid(
                    "mode",
                    "a new policy starts in testing: move it to enforce on the domain's Mode page once the readiness gate passes",
                ))
            }
            (Some(current), wanted) if current != wanted => {
                return Err(ServiceError::invalid(
                    "mode",
                    format!(
                        "the policy is in {current} mode: change the mode on the domain's Mode page (/domains/{}/lifecycle), where moving to {wanted} is checked, confirmed and recorded",
                        state.domain
                    ),
                ))
            }
            _ => {}
        }
        let note = describe_change(state.policy.as_ref(), &policy);
        let saved = if state.policy.is_none() {
            // The first policy takes the domain from "not configured" to its mode: recorded.
            self.store
                .transition_policy(
                    access,
                    &state.domain,
                    &policy,
                    &portcullis_store::NewTransition {
                        from_mode: crate::UNCONFIGURED,
                        actor: author,
                        reason: "first policy",
                        note: &note,
                        overridden: false,
                        gate: None,
                        retire_at: None,
                    },
                )
                .await
                .map(|(v, _)| SaveOutcome::Saved(v))
        } else {
            self.store
                .save_policy(access, &state.domain, &policy, author, &note)
                .await
        };
        let outcome = saved.map_err(|e| match ServiceError::from(e) {
            // Two saves in the same second raced for the same id: the other one won.
            ServiceError::Conflict(_) => ServiceError::Conflict(
                "the policy was changed at the same moment elsewhere; reload and try again".into(),
            ),
            other => other,
        })?;
        if let SaveOutcome::Saved(v) = &outcome {
            self.serve_saved(access, &state.domain, &v.body, &v.policy_id).await;
            self.announce(portcullis_store::Change::Policies).await;
            tracing::info!(domain = %state.domain, policy_id = %v.policy_id, %author, "policy saved");
        }
        Ok(outcome)
    }

    pub async fn policy_versions(&self, access: &OrgAccess, raw: &str) -> Result<Vec<PolicyVersion>, ServiceError> {
        let domain = name_of(raw)?;
        self.store
            .domain(access, &domain)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(self.store.policy_versions(access, &domain, VERSIONS_SHOWN).await?)
    }

    /// One version and the one before it (for a diff), or `NotFound`.
    pub async fn policy_version(
        &self,
        access: &OrgAccess,
        raw: &str,
        policy_id: &str,
    ) -> Result<(PolicyVersion, Option<PolicyVersion>), ServiceError> {
        let versions = self.policy_versions(access, raw).await?;
        let at = versions
            .iter()
            .position(|v| v.policy_id == policy_id)
            .ok_or(ServiceError::NotFound)?;
        Ok((versions[at].clone(), versions.get(at + 1).cloned()))
    }

    /// Looks up the live MX and proposes patterns, with the current policy's coverage.
    pub async fn propose_from_mx(&self, access: &OrgAccess, raw: &str) -> Result<MxProposal, ServiceError> {
        let state = self.policy_state(access, raw).await?;
        let dns = self.dns.as_ref().ok_or_else(|| {
            ServiceError::Unavailable("no DNS resolver is configured; set PORTCULLIS_DNS_UPSTREAM".into())
        })?;
        let answer = dns
            .mx(&state.domain)
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let hosts = answer.hosts();
        let current_coverage = state
            .policy
            .as_ref()
            .map(|p| coverage(p.mx(), &hosts))
            .unwrap_or_default();
        Ok(MxProposal {
            explanation: answer.explain().map(str::to_string),
            suggestion: suggest_patterns(&hosts),
            current_coverage,
            answer,
        })
    }

    /// Where the domain's `mta-sts.` certificate stands, if Portcullis has tried to get one.
    pub async fn cert_state(&self, access: &OrgAccess, domain: &DomainName) -> Result<Option<CertState>, ServiceError> {
        Ok(self.store.cert_state(access, domain).await?)
    }

    /// Reloads every served policy and proven domain from the database; on failure the old
    /// snapshot stays.
    pub async fn refresh_snapshot(&self) -> Result<usize, ServiceError> {
        // A change made here while the reload was read is newer than the reload: read again.
        for _ in 0..3 {
            let generation = self.snapshot.generation();
            let (all, proven) = tokio::try_join!(self.store.served_policies(), self.store.proven_domains())?;
            if self.snapshot.replace_all(generation, all, proven) {
                break;
            }
        }
        Ok(self.snapshot.len())
    }

    /// What the delegated zone answers under a proof token: the domain, and the id of the
    /// policy it serves. Never touches the database.
    pub fn delegated(&self, token: &str) -> Option<(String, Option<std::sync::Arc<str>>)> {
        self.snapshot.delegated(token)
    }

    /// The served text for `mta-sts.<domain>` answers; never touches the database.
    pub fn served_policy(&self, domain: &str) -> Option<std::sync::Arc<str>> {
        self.snapshot.get(domain)
    }
}
