//! MX migration plans: adding an MX host, retiring one or switching provider, laid out in their
//! safe order with the earliest safe moment of each step, a replay of recent reports against
//! the planned policy, and progress read from the policy versions and the DNS checks.

use chrono::Utc;
use portcullis_domain::lifecycle::{
    plan_steps, replay, MigrationRequest, MxCheck, PlanError, PlanInput, PlanStep, ReplayOutcome, ServedVersion,
    StepState,
};
use portcullis_domain::{Mode, Policy};
use portcullis_store::{utc_day, MxPlanRow, OrgAccess, CHECKS_KEPT};
use serde::{Deserialize, Serialize};

use super::{live_mx, require};
use crate::policies::name_of;
use crate::{ServiceError, Services};

/// Days of reports the planned policy is replayed against.
pub const PLAN_REPLAY_DAYS: i64 = 14;
/// Days of the sender tracker read to name senders still applying an old policy.
const PLAN_SENDER_DAYS: i64 = 30;
/// Every version a domain realistically has (the store's cap).
const VERSIONS_READ: i64 = 1000;

/// An open plan with its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MxPlanView {
    pub id: i64,
    pub domain: String,
    /// `add`, `retire` or `switch`.
    pub kind: String,
    pub add: Vec<String>,
    pub retire: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub steps: Vec<PlanStep>,
    /// Every step done.
    pub complete: bool,
    /// The policy text once the plan is through (the served mode kept).
    pub planned_policy: String,
    /// The planned policy in enforce, replayed against the last [`PLAN_REPLAY_DAYS`] days of
    /// failures and the planned MX set: what would break.
    pub replay: ReplayOutcome,
    pub replay_from: String,
    pub replay_to: String,
    /// Whether Portcullis publishes the `_mta-sts` id itself.
    pub id_automatic: bool,
}

impl MxPlanView {
    /// The first step not done, if any.
    pub fn next_step(&self) -> Option<&PlanStep> {
        self.steps.iter().find(|s| s.state != StepState::Done)
    }
}

fn plan_error(e: PlanError) -> ServiceError {
    match e {
        PlanError::Empty | PlanError::TooMany | PlanError::InvalidHost { .. } | PlanError::Both(_) => {
            ServiceError::invalid("hosts", e)
        }
        PlanError::UnknownRetire(_) | PlanError::NothingLeft(_) => ServiceError::invalid("retire", e),
        PlanError::NoPolicy | PlanError::Policy(_) => ServiceError::Conflict(e.to_string()),
    }
}

impl Services {
    /// The domain's open MX plan with its progress, if it has one.
    pub async fn mx_plan(&self, access: &OrgAccess, raw: &str) -> Result<Option<MxPlanView>, ServiceError> {
        let domain = name_of(raw)?;
        self.store
            .domain(access, &domain)
            .await?
            .ok_or(ServiceError::NotFound)?;
        match self.store.open_mx_plan(access, &domain).await? {
            Some(row) => Ok(Some(self.plan_view(access, raw, row).await?)),
            None => Ok(None),
        }
    }

    /// Opens a plan for the domain: `add` and `retire` are MX host names as typed. Refused while
    /// another plan is open, without a policy, or when it would leave no MX host.
    pub async fn create_mx_plan(
        &self,
        access: &OrgAccess,
        raw: &str,
        add: &[String],
        retire: &[String],
        actor: &str,
    ) -> Result<MxPlanView, ServiceError> {
        require(access, portcullis_domain::Role::Editor)?;
        let domain = name_of(raw)?;
        let request = MigrationRequest::parse(add, retire).map_err(plan_error)?;
        let state = self.policy_state(access, raw).await?;
        let live = self
            .latest_check(access, &domain)
            .await?
            .map(|c| live_mx(&c.findings))
            .unwrap_or_default();
        request.validate(state.policy.as_ref(), &live).map_err(plan_error)?;
        let row = match self
            .store
            .create_mx_plan(access, &domain, &request.add, &request.retire, actor)
            .await
        {
            Err(portcullis_store::StoreError::Duplicate(_)) => {
                return Err(ServiceError::Conflict(format!(
                    "{domain} already has an open MX plan: finish or cancel it first"
                )))
            }
            other => other?,
        };
        tracing::info!(%domain, kind = request.kind(), add = %request.add.join(","), retire = %request.retire.join(","), %actor, "MX plan opened");
        self.plan_view(access, raw, row).await
    }

    /// Closes the open plan: `completed` when every step is done, `cancelled` otherwise.
    pub async fn close_mx_plan(
        &self,
        access: &OrgAccess,
        raw: &str,
        actor: &str,
    ) -> Result<&'static str, ServiceError> {
        require(access, portcullis_domain::Role::Editor)?;
        let domain = name_of(raw)?;
        let plan = self.mx_plan(access, raw).await?.ok_or(ServiceError::NotFound)?;
        let outcome = if plan.complete { "completed" } else { "cancelled" };
        self.store.close_mx_plan(access, &domain, outcome, actor).await?;
        tracing::info!(%domain, outcome, %actor, "MX plan closed");
        Ok(outcome)
    }

    async fn plan_view(&self, access: &OrgAccess, raw: &str, row: MxPlanRow) -> Result<MxPlanView, ServiceError> {
        let domain = name_of(raw)?;
        let now = Utc::now().timestamp();
        let today = now.div_euclid(86_400) * 86_400;
        let (from, to) = (today - (PLAN_REPLAY_DAYS - 1) * 86_400, today + 86_400);
        let (versions, checks, failures, senders) = tokio::try_join!(
            async { Ok::<_, ServiceError>(self.store.policy_versions(access, &domain, VERSIONS_READ).await?) },
            async { Ok(self.store.dns_checks(access, &domain, CHECKS_KEPT).await?) },
            async { Ok(self.store.window_failures(access, &domain, from, to).await?) },
            self.sender_policies(access, raw, None, None, Some(PLAN_SENDER_DAYS)),
        )?;
        // The store lists them newest first.
        let history = ServedVersion::history(
            &versions
                .into_iter()
                .rev()
                .map(|v| (v.policy_id, v.body, v.created_at))
                .collect::<Vec<_>>(),
        );
        // A check that saw no MX host at all (a DNS failure) says nothing about the change.
        let checks: Vec<MxCheck> = checks
            .into_iter()
            .map(crate::dns::run_of)
            .map(|c| MxCheck {
                checked_at: c.checked_at,
                sts_ok: c
                    .findings
                    .iter()
                    .any(|f| f.code == portcullis_domain::dns::FindingCode::StsRecordOk.as_str()),
                live_mx: live_mx(&c.findings),
            })
            .filter(|c| !c.live_mx.is_empty())
            .collect();
        let request = MigrationRequest {
            add: row.add.clone(),
            retire: row.retire.clone(),
        };
        let current = history
            .last()
            .map(|v| v.policy.clone())
            .ok_or_else(|| ServiceError::Conflict(format!("{domain} has no policy any more: cancel the MX plan")))?;
        let planned = request.planned_policy(&current).map_err(plan_error)?;
        let id_automatic = self.id_publishing(access, raw).await.automatic;
        let steps = plan_steps(&PlanInput {
            request: &request,
            created_at: row.created_at,
            now,
            history: &history,
            checks: &checks,
            senders: &senders.senders,
            id_automatic,
        });
        let mut planned_live: Vec<String> = checks
            .first()
            .map(|c| c.live_mx.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|h| !request.retire.contains(h))
            .collect();
        planned_live.extend(
            request
                .add
                .iter()
                .filter(|h| !planned_live.contains(h))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let candidate =
            Policy::new(Mode::Enforce, planned.max_age(), planned.mx().to_vec()).map_err(crate::policy_error)?;
        Ok(MxPlanView {
            id: row.id,
            domain: domain.to_string(),
            kind: request.kind().to_string(),
            complete: steps.iter().all(|s| s.state == StepState::Done),
            add: row.add,
            retire: row.retire,
            created_by: row.created_by,
            created_at: row.created_at,
            steps,
            planned_policy: planned.render(),
            replay: replay(&candidate, &failures, &planned_live),
            replay_from: utc_day(from),
            replay_to: utc_day(to - 86_400),
            id_automatic,
        })
    }
}
