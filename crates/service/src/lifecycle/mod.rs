//! A domain's way from testing to enforce and back, and its removal: the readiness gate, the
//! "what would break" replay, and transitions recorded in the domain's history.

use chrono::Utc;
use portcullis_domain::dns::{Finding, FindingCode, Status};
use portcullis_domain::lifecycle::{evaluate, replay, GateConfig, GateInput, Readiness, ReplayOutcome, WindowTotals};
use portcullis_domain::{Mode, MxPattern, Policy, Role};
use portcullis_store::{utc_day, OrgAccess, SaveOutcome, SummaryGroup};
use serde::{Deserialize, Serialize};

use crate::policies::name_of;

mod migration;
mod transition;
use crate::{ServiceError, Services};
pub use migration::{MxPlanView, PLAN_REPLAY_DAYS};
pub use transition::{TransitionOutcome, TransitionRequest};

/// The mode a domain is in: one of the policy modes, or `unconfigured` (no policy served).
pub const UNCONFIGURED: &str = "unconfigured";

/// Everything the readiness page and API show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadinessView {
    pub domain: String,
    /// `unconfigured`, `testing`, `enforce` or `none`.
    pub mode: String,
    pub policy_id: Option<String>,
    pub readiness: Readiness,
    pub replay: ReplayOutcome,
    pub window: WindowTotals,
    /// The window the gate and the replay read: the last `min_testing_days` days.
    pub window_from: String,
    pub window_to: String,
    /// The enforce policy the replay was run against (the current one, in enforce mode).
    pub candidate: Option<String>,
    pub config: GateConfig,
    /// A removal in progress: "mode: none" is served until then.
    pub retire_at: Option<i64>,
    /// The latest DNS check's time, and whether it found the `_mta-sts` record with the current id.
    pub last_check: Option<(i64, bool)>,
    /// In enforce: live MX hosts the policy does not cover (senders refuse to deliver to them).
    pub mx_drift: Vec<String>,
    /// In enforce: when the domain moved there.
    pub enforce_since: Option<i64>,
    /// The current policy's max_age, in seconds.
    pub max_age: Option<u64>,
    /// Set when the domain has been stable in enforce long enough to cache the policy longer.
    pub max_age_advice: Option<String>,
}

/// Days in enforce without problems after which a longer max_age is suggested.
pub const STABLE_ENFORCE_DAYS: i64 = 14;
/// The max_age suggested then: one week (RFC 8461 suggests weeks for a stable policy).
pub const SUGGESTED_MAX_AGE: u64 = 604_800;

/// What the one-click MX-drift fix did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftFix {
    /// The hosts added to the policy as exact `mx:` patterns.
    pub added: Vec<String>,
    pub policy_id: String,
    /// The `_mta-sts` TXT value to publish now.
    pub sts_record: String,
}

/// Suggests a longer max_age once enforce has been stable (no drift, DNS without errors) for
/// [`STABLE_ENFORCE_DAYS`]: senders then keep the policy through outages of the policy host.
fn max_age_advice(
    mode: &str,
    max_age: Option<u64>,
    enforce_since: Option<i64>,
    stable: bool,
    now: i64,
) -> Option<String> {
    let (max_age, since) = (max_age?, enforce_since?);
    let days = (now - since) / 86_400;
    (mode == "enforce" && stable && days >= STABLE_ENFORCE_DAYS && max_age < SUGGESTED_MAX_AGE).then(|| {
        format!(
            "Enforce has been stable for {days} days: raise max_age from {max_age} to at least {SUGGESTED_MAX_AGE} seconds (one week) in the policy editor, so senders keep the policy through an outage of the policy host. Lower it again a day or more before any MX change."
        )
    })
}

/// MX hosts the check found uncovered in enforce that the current policy still does not cover
/// (a fix made since the check clears them at once).
fn still_uncovered(policy: &Policy, findings: &[Finding]) -> Vec<String> {
    crate::dns::drifted_mx(findings)
        .into_iter()
        .filter(|h| !policy.allows_mx(h))
        .collect()
}

/// The live MX hosts the latest check saw, from its coverage findings.
pub(crate) fn live_mx(findings: &[Finding]) -> Vec<String> {
    let mut hosts: Vec<String> = findings
        .iter()
        .filter(|f| f.code == FindingCode::MxCovered.as_str() || f.code == FindingCode::MxUncovered.as_str())
        .map(|f| f.subject.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

impl Services {
    pub fn gate_config(&self) -> GateConfig {
        self.gate
    }

    /// What senders are served for the domain now: `unconfigured` (nothing), `testing`,
    /// `enforce`, or `none` while a removal runs.
    pub async fn served_mode(&self, access: &OrgAccess, raw: &str) -> Result<&'static str, ServiceError> {
        let domain = name_of(raw)?;
        let state = self.policy_state(access, raw).await?;
        let retire_at = self.store.policy_retire_at(access, &domain).await?;
        Ok(mode_of(state.policy.as_ref(), retire_at, Utc::now().timestamp()))
    }

    /// The readiness gate for enforce, evaluated now, with the replay behind it.
    pub async fn readiness(&self, access: &OrgAccess, raw: &str) -> Result<ReadinessView, ServiceError> {
        let domain = name_of(raw)?;
        let state = self.policy_state(access, raw).await?;
        let config = self.gate;
        let now = Utc::now().timestamp();
        let retire_at = self.store.policy_retire_at(access, &domain).await?;
        let mode = mode_of(state.policy.as_ref(), retire_at, now);
        let latest = self.latest_check(access, &domain).await?;
        let testing_since = self.store.testing_since(access, &domain).await?;
        // The window: the last `min_testing_days` whole days, today included (today alone when
        // the platform asks for no waiting period).
        let today = now.div_euclid(86_400) * 86_400;
        let days = config.min_testing_days.max(1);
        let (from, to) = (today - (days - 1) * 86_400, today + 86_400);
        let totals = self
            .store
            .tlsrpt_summary(access, &domain, from, to, Some(SummaryGroup::ResultType))
            .await?;
        let (sources, authenticated_sources) = self.store.window_sources(access, &domain, from, to).await?;
        let window = WindowTotals {
            reports: totals.reports,
            organizations: totals.organizations,
            sources,
            authenticated_sources,
            successful: totals.successful,
            failed: totals.failed,
            failed_by_result: totals.groups.iter().map(|g| (g.key.clone(), g.failed)).collect(),
        };
        let failures = self.store.window_failures(access, &domain, from, to).await?;
        let candidate = match &state.policy {
            Some(p) => Some(Policy::new(Mode::Enforce, p.max_age(), p.mx().to_vec()).map_err(crate::policy_error)?),
            None => None,
        };
        let live = latest.as_ref().map(|c| live_mx(&c.findings)).unwrap_or_default();
        let mx_drift = match (mode, &latest, &state.policy) {
            ("enforce", Some(c), Some(p)) => still_uncovered(p, &c.findings),
            _ => Vec::new(),
        };
        let enforce_since = match mode {
            "enforce" => self
                .store
                .domain_transitions(access, &domain, 1)
                .await?
                .first()
                .filter(|t| t.to_mode == "enforce")
                .map(|t| t.created_at),
            _ => None,
        };
        let replayed = match &candidate {
            Some(c) => replay(c, &failures, &live),
            None => ReplayOutcome::default(),
        };
        let readiness = evaluate(
            &config,
            &GateInput {
                now,
                dns: latest.as_ref().map(|c| (c.findings.as_slice(), c.checked_at)),
                testing_since: testing_since.filter(|_| mode == "testing"),
                window: &window,
                replay: &replayed,
            },
        );
        Ok(ReadinessView {
            domain: domain.to_string(),
            mode: mode.to_string(),
            policy_id: state.current.as_ref().map(|v| v.policy_id.clone()),
            readiness,
            replay: replayed,
            window,
            window_from: utc_day(from),
            window_to: utc_day(to - 86_400),
            candidate: candidate.map(|c| c.render()),
            config,
            retire_at,
            last_check: latest.as_ref().map(|c| {
                let sts_ok = c.findings.iter().any(|f| f.code == FindingCode::StsRecordOk.as_str());
                (c.checked_at, sts_ok)
            }),
            max_age_advice: max_age_advice(
                mode,
                state.policy.as_ref().map(Policy::max_age),
                enforce_since,
                mx_drift.is_empty() && latest.as_ref().is_some_and(|c| c.status != Status::Error),
                now,
            ),
            mx_drift,
            enforce_since,
            max_age: state.policy.as_ref().map(Policy::max_age),
        })
    }

    /// Live MX hosts the enforced policy does not cover, from the latest check (none outside
    /// enforce): the domain page's red banner.
    pub async fn mx_drift(&self, access: &OrgAccess, raw: &str) -> Result<Vec<String>, ServiceError> {
        let state = self.policy_state(access, raw).await?;
        if state.policy.as_ref().map(Policy::mode) != Some(Mode::Enforce) {
            return Ok(Vec::new());
        }
        let Some(policy) = &state.policy else {
            return Ok(Vec::new());
        };
        Ok(self
            .latest_check(access, &state.domain)
            .await?
            .map(|c| still_uncovered(policy, &c.findings))
            .unwrap_or_default())
    }

    /// The one-click fix for MX drift in enforce: adds every live MX the policy misses as an
    /// exact `mx:` pattern, which publishes a new policy id. The DNS id update comes next, and
    /// only then should MX records change again.
    pub async fn fix_mx_drift(&self, access: &OrgAccess, raw: &str, actor: &str) -> Result<DriftFix, ServiceError> {
        require(access, Role::Editor)?;
        let domain = name_of(raw)?;
        let drift = self.mx_drift(access, raw).await?;
        if drift.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "{domain} has no MX drift to fix: every live MX the latest check saw is covered (check the DNS again if the MX changed since)"
            )));
        }
        let state = self.policy_state(access, raw).await?;
        let current = state.policy.as_ref().ok_or(ServiceError::NotFound)?;
        let mut mx = current.mx().to_vec();
        for host in &drift {
            mx.push(MxPattern::parse(host).map_err(|e| ServiceError::invalid("mx", e))?);
        }
        let policy = Policy::new(current.mode(), current.max_age(), mx).map_err(crate::policy_error)?;
        let note = format!("MX drift fixed: added mx: {}", drift.join(", mx: "));
        let version = match self.store.save_policy(access, &domain, &policy, actor, &note).await? {
            SaveOutcome::Saved(v) | SaveOutcome::Unchanged(v) => v,
        };
        self.serve_saved(access, &domain, &version.body, &version.policy_id)
            .await;
        self.announce(portcullis_store::Change::Policies).await;
        tracing::info!(%domain, policy_id = %version.policy_id, added = %drift.join(","), %actor, "MX drift fixed");
        Ok(DriftFix {
            added: drift,
            sts_record: format!("v=STSv1; id={}", version.policy_id),
            policy_id: version.policy_id,
        })
    }
}

pub(crate) fn require(access: &OrgAccess, role: Role) -> Result<(), ServiceError> {
    if access.role().allows(role) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// The domain's mode: its policy's, or `unconfigured` when it has none or a removal has ended.
fn mode_of(policy: Option<&Policy>, retire_at: Option<i64>, now: i64) -> &'static str {
    match (policy, retire_at) {
        (None, _) => UNCONFIGURED,
        (Some(_), Some(t)) if t <= now => UNCONFIGURED,
        (Some(p), _) => match p.mode() {
            Mode::Testing => "testing",
            Mode::Enforce => "enforce",
            Mode::None => "none",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_advice_needs_stable_enforce_and_a_short_max_age() {
        let now = 100 * 86_400;
        let long_ago = now - 20 * 86_400;
        let advice = max_age_advice("enforce", Some(86_400), Some(long_ago), true, now).unwrap();
        assert!(advice.contains("stable for 20 days"), "{advice}");
        assert!(advice.contains("from 86400 to at least 604800"), "{advice}");
        assert_eq!(
            max_age_advice("enforce", Some(86_400), Some(now - 13 * 86_400), true, now),
            None
        );
        assert_eq!(
            max_age_advice("enforce", Some(86_400), Some(long_ago), false, now),
            None
        );
        assert_eq!(
            max_age_advice("enforce", Some(604_800), Some(long_ago), true, now),
            None
        );
        assert_eq!(max_age_advice("testing", Some(86_400), Some(long_ago), true, now), None);
        assert_eq!(max_age_advice("enforce", Some(86_400), None, true, now), None);
    }
}
