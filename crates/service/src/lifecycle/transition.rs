//! Moving a domain between testing, enforce and removal: the gate (or an owner's typed override),
//! the new policy saved, and the transition recorded with who, when and why.

use super::{mode_of, require};
use crate::policies::name_of;
use crate::{ServiceError, Services};
use chrono::Utc;
use portcullis_domain::lifecycle::Readiness;
use portcullis_domain::policy::ONE_DAY;
use portcullis_domain::{Mode, Policy, Role};
use portcullis_store::{NewTransition, OrgAccess, Transition};
use serde::{Deserialize, Serialize};

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

impl Services {
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
        self.serve_saved(access, &domain, &version.body, &version.policy_id)
            .await;
        self.announce(portcullis_store::Change::Policies).await;
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
