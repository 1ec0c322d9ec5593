//! A domain's way from testing to enforce and back, and its removal: the readiness gate, the
//! "what would break" replay, and transitions recorded in the domain's history.

use chrono::Utc;
use portcullis_domain::dns::{Finding, FindingCode};
use portcullis_domain::lifecycle::{evaluate, replay, GateConfig, GateInput, Readiness, ReplayOutcome, WindowTotals};
use portcullis_domain::policy::ONE_DAY;
use portcullis_domain::{Mode, Policy, Role};
use portcullis_store::{NewTransition, OrgAccess, SummaryGroup, Transition};
use serde::{Deserialize, Serialize};

use crate::policies::name_of;
use crate::{ServiceError, Services};

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
}

/// What a transition request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TransitionRequest {
    /// `testing`, `enforce` or `none` (removal).
    pub to: String,
    /// The domain name, typed to confirm an override of a failed gate, or a removal.
    pub confirm: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TransitionOutcome {
    Done {
        transition: Transition,
        /// The `_mta-sts` TXT value to publish now.
        sts_record: String,
        /// A removal's end: the policy host stops answering for the domain then.
        retire_at: Option<i64>,
    },
    /// The gate failed and was not overridden.
    Refused(Readiness),
}

fn day_text(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The live MX hosts the latest check saw, from its coverage findings.
fn live_mx(findings: &[Finding]) -> Vec<String> {
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
        // The window: the last `min_testing_days` whole days, today included.
        let today = now.div_euclid(86_400) * 86_400;
        let (from, to) = (today - (config.min_testing_days - 1) * 86_400, today + 86_400);
        let totals = self
            .store
            .tlsrpt_summary(access, &domain, from, to, Some(SummaryGroup::ResultType))
            .await?;
        let window = WindowTotals {
            reports: totals.reports,
            organizations: totals.organizations,
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
            window_from: day_text(from),
            window_to: day_text(to - 86_400),
            candidate: candidate.map(|c| c.render()),
            config,
            retire_at,
            last_check: latest.as_ref().map(|c| {
                let sts_ok = c.findings.iter().any(|f| f.code == FindingCode::StsRecordOk.as_str());
                (c.checked_at, sts_ok)
            }),
        })
    }

    /// Moves the domain to `request.to`, recording who, when, why and the new policy id.
    /// Enforce needs the gate to pass, or an owner typing the domain name to override it;
    /// removal needs an owner typing the domain name.
    pub async fn transition(
        &self,
        access: &OrgAccess,
        raw: &str,
        request: &TransitionRequest,
        actor: &str,
    ) -> Result<TransitionOutcome, ServiceError> {
        require(access, Role::Editor)?;
        let domain = name_of(raw)?;
        let to = Mode::parse(request.to.trim()).map_err(|e| ServiceError::invalid("to", e))?;
        let reason = request.reason.as_deref().map(str::trim).unwrap_or("");
        if reason.len() > 500 {
            return Err(ServiceError::invalid("reason", "at most 500 characters"));
        }
        let confirmed = request
            .confirm
            .as_deref()
            .map(|c| c.trim().trim_end_matches('.').eq_ignore_ascii_case(domain.as_str()))
            .unwrap_or(false);
        if request.confirm.as_deref().is_some_and(|c| !c.trim().is_empty()) && !confirmed {
            return Err(ServiceError::invalid(
                "confirm",
                format!("type the domain name, {domain}, exactly to confirm"),
            ));
        }
        let state = self.policy_state(access, raw).await?;
        let now = Utc::now().timestamp();
        let retire_at = self.store.policy_retire_at(access, &domain).await?;
        let from = mode_of(state.policy.as_ref(), retire_at, now);
        let Some(current) = state.policy.as_ref() else {
            return Err(ServiceError::Conflict(format!(
                "{domain} has no policy yet: create one in the policy editor (it starts in testing)"
            )));
        };
        let (policy, overridden, gate, new_retire) = match to {
            Mode::Testing => {
                if from == "testing" {
                    return Err(ServiceError::Conflict(format!("{domain} is already in testing")));
                }
                (
                    Policy::new(Mode::Testing, current.max_age(), current.mx().to_vec()),
                    false,
                    None,
                    None,
                )
            }
            Mode::Enforce => {
                if from != "testing" {
                    return Err(ServiceError::Conflict(match from {
                        "enforce" => format!("{domain} is already in enforce"),
                        _ => format!("{domain} must spend time in testing before enforce: move it to testing first"),
                    }));
                }
                let view = self.readiness(access, raw).await?;
                let gate = serde_json::to_string(&view.readiness.items).ok();
                if !view.readiness.ready {
                    if !confirmed {
                        return Ok(TransitionOutcome::Refused(view.readiness));
                    }
                    require(access, Role::Owner)?;
                    if reason.is_empty() {
                        return Err(ServiceError::invalid(
                            "reason",
                            "say why the failed gate is overridden; it is recorded",
                        ));
                    }
                }
                (
                    Policy::new(Mode::Enforce, current.max_age(), current.mx().to_vec()),
                    !view.readiness.ready,
                    gate,
                    None,
                )
            }
            Mode::None => {
                if from == "none" {
                    return Err(ServiceError::Conflict(format!("{domain} is already being removed")));
                }
                require(access, Role::Owner)?;
                if !confirmed {
                    return Err(ServiceError::invalid(
                        "confirm",
                        format!("type the domain name, {domain}, to confirm the removal"),
                    ));
                }
                // Senders cache a policy for its max_age: "none" must be served at least that
                // long after the change so every cached policy is replaced, then it stops.
                let until = now + current.max_age() as i64;
                (
                    Policy::new(Mode::None, ONE_DAY, current.mx().to_vec()),
                    false,
                    None,
                    Some(until),
                )
            }
        };
        let policy = policy.map_err(crate::policy_error)?;
        let note = match reason {
            "" => format!("mode {from} → {}", policy.mode()),
            r => format!("mode {from} → {}: {r}", policy.mode()),
        };
        let (version, transition) = self
            .store
            .transition_policy(
                access,
                &domain,
                &policy,
                &NewTransition {
                    from_mode: from,
                    actor,
                    reason,
                    note: &note,
                    overridden,
                    gate,
                    retire_at: new_retire,
                },
            )
            .await?;
        self.snapshot.set(domain.as_str(), &version.body);
        tracing::info!(%domain, from, to = %policy.mode(), policy_id = %version.policy_id, %actor, overridden, "policy mode changed");
        Ok(TransitionOutcome::Done {
            sts_record: format!("v=STSv1; id={}", version.policy_id),
            transition,
            retire_at: new_retire,
        })
    }

    /// The domain's transitions, newest first.
    pub async fn transitions(&self, access: &OrgAccess, raw: &str) -> Result<Vec<Transition>, ServiceError> {
        Ok(self.store.domain_transitions(access, &name_of(raw)?, 200).await?)
    }
}

fn require(access: &OrgAccess, role: Role) -> Result<(), ServiceError> {
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
