//! The MX migration planner: adding an MX host, retiring one, or switching provider, in the
//! order that never makes an MTA-STS sender refuse mail, with the earliest safe moment of each
//! step worked out from the policy history, the DNS checks and what senders report applying.
//!
//! Two rules decide the order. A sender in enforce delivers only to MX hosts its cached policy
//! lists, and keeps a policy for up to its `max_age` after it last fetched it; so a new host is
//! listed in the policy (with a new id) first, and mail is pointed at it only once every enforce
//! policy that did not list it can have expired from senders' caches. A host being retired keeps
//! its place in the policy until mail no longer goes to it: its MX record goes first, and the
//! policy drops it only once resolvers can no longer hold the old MX set.

use serde::{Deserialize, Serialize};

use crate::policy::{Mode, MxPattern, Policy, PolicyError};
use crate::tlsrpt::SenderPolicy;
use crate::DomainName;

/// How long resolvers may keep the MX set seen before a change: a day covers the TTLs MX records
/// are usually published with.
pub const MX_CACHE_SECONDS: i64 = 86_400;
/// Hosts one plan may add, and retire.
pub const MAX_PLAN_HOSTS: usize = 10;

/// A stored version with the time it was served: from its save until the next save.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedVersion {
    pub policy_id: String,
    pub policy: Policy,
    pub from: i64,
    /// `None` for the version served now.
    pub until: Option<i64>,
}

impl ServedVersion {
    /// Lines up `(policy_id, body, created_at)` versions, given in the order they were saved, as
    /// served one after the other (by time; versions saved in the same second keep their order);
    /// bodies that do not read as a policy are left out (they list no host anyway).
    pub fn history(versions: &[(String, String, i64)]) -> Vec<Self> {
        let mut sorted: Vec<&(String, String, i64)> = versions.iter().collect();
        sorted.sort_by_key(|v| v.2);
        let untils: Vec<Option<i64>> = sorted.iter().skip(1).map(|v| Some(v.2)).chain([None]).collect();
        sorted
            .into_iter()
            .zip(untils)
            .filter_map(|((id, body, from), until)| {
                Some(Self {
                    policy_id: id.clone(),
                    policy: Policy::parse(body).ok()?,
                    from: *from,
                    until,
                })
            })
            .collect()
    }
}

/// What one DNS check saw of the MX hosts and the `_mta-sts` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxCheck {
    pub checked_at: i64,
    pub live_mx: Vec<String>,
    /// Whether the `_mta-sts` record carried the id served at the time of the check.
    pub sts_ok: bool,
}

/// The hosts a plan adds and retires: both validated host names, lower case, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRequest {
    pub add: Vec<String>,
    pub retire: Vec<String>,
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("name an MX host to add or to retire")]
    Empty,
    #[error("a plan takes at most {MAX_PLAN_HOSTS} hosts to add and {MAX_PLAN_HOSTS} to retire")]
    TooMany,
    #[error("{host:?} is not a valid MX host name: {reason}")]
    InvalidHost { host: String, reason: String },
    #[error("{0} is both added and retired")]
    Both(String),
    #[error("the domain has no testing or enforce policy: write one before planning MX changes")]
    NoPolicy,
    #[error("{0} is neither a live MX host (as of the latest DNS check) nor listed in the policy: nothing to retire")]
    UnknownRetire(String),
    #[error("retiring {0} leaves no MX host to deliver to: add the new host in the same plan (a provider switch)")]
    NothingLeft(String),
    #[error("the planned policy is not valid: {0}")]
    Policy(String),
}

impl MigrationRequest {
    /// Reads host names as typed (any case, IDN, trailing dot), one per entry.
    pub fn parse(add: &[String], retire: &[String]) -> Result<Self, PlanError> {
        let read = |hosts: &[String]| -> Result<Vec<String>, PlanError> {
            let mut out: Vec<String> = Vec::new();
            for raw in hosts.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
                let name = DomainName::parse(raw).map_err(|e| PlanError::InvalidHost {
                    host: raw.chars().take(80).collect(),
                    reason: e.to_string(),
                })?;
                if !out.iter().any(|h| h == name.as_str()) {
                    out.push(name.as_str().to_string());
                }
            }
            if out.len() > MAX_PLAN_HOSTS {
                return Err(PlanError::TooMany);
            }
            Ok(out)
        };
        let (add, retire) = (read(add)?, read(retire)?);
        if add.is_empty() && retire.is_empty() {
            return Err(PlanError::Empty);
        }
        if let Some(both) = add.iter().find(|h| retire.contains(h)) {
            return Err(PlanError::Both(both.clone()));
        }
        Ok(Self { add, retire })
    }

    pub fn kind(&self) -> &'static str {
        match (self.add.is_empty(), self.retire.is_empty()) {
            (false, true) => "add",
            (true, false) => "retire",
            _ => "switch",
        }
    }

    /// The policy after the plan: the current one with the added hosts listed (unless a pattern
    /// already covers them) and the retired hosts' exact patterns removed. A wildcard that also
    /// covers a retired host stays: other hosts may need it.
    pub fn planned_policy(&self, current: &Policy) -> Result<Policy, PlanError> {
        let mut mx: Vec<MxPattern> = current
            .mx()
            .iter()
            .filter(|p| p.is_wildcard() || !self.retire.iter().any(|h| h == p.as_str()))
            .cloned()
            .collect();
        for host in &self.add {
            if !mx.iter().any(|p| p.matches(host)) {
                mx.push(MxPattern::parse(host).map_err(|e| PlanError::InvalidHost {
                    host: host.clone(),
                    reason: e.to_string(),
                })?);
            }
        }
        Policy::new(current.mode(), current.max_age(), mx).map_err(|e: PolicyError| PlanError::Policy(e.to_string()))
    }

    /// Checks the plan against the domain as it is: a policy to change, hosts to retire that
    /// exist, and an MX host left to deliver to.
    pub fn validate(&self, current: Option<&Policy>, live_mx: &[String]) -> Result<Policy, PlanError> {
        let current = current.filter(|p| p.mode() != Mode::None).ok_or(PlanError::NoPolicy)?;
        if let Some(unknown) = self
            .retire
            .iter()
            .find(|h| !live_mx.contains(h) && !current.mx().iter().any(|p| p.as_str() == h.as_str()))
        {
            return Err(PlanError::UnknownRetire(unknown.clone()));
        }
        let left = live_mx.iter().any(|h| !self.retire.contains(h)) || !self.add.is_empty();
        if !left {
            return Err(PlanError::NothingLeft(self.retire.join(", ")));
        }
        self.planned_policy(current)
    }
}

/// The steps of a plan, in their safe order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepCode {
    /// List the new hosts in the policy (a new id).
    ListNew,
    /// Publish that id in the `_mta-sts` TXT record.
    PublishListed,
    /// Change the MX records: add the new hosts, remove the retired ones.
    ChangeMx,
    /// Drop the retired hosts from the policy (a new id).
    UnlistOld,
    /// Publish that id.
    PublishUnlisted,
}

impl StepCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListNew => "list_new",
            Self::PublishListed => "publish_listed",
            Self::ChangeMx => "change_mx",
            Self::UnlistOld => "unlist_old",
            Self::PublishUnlisted => "publish_unlisted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Done,
    /// Safe to do now.
    Ready,
    /// The step before it is done, but its earliest safe moment has not come.
    Waiting,
    /// A step before it is not done yet.
    Blocked,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Ready => "ready",
            Self::Waiting => "waiting",
            Self::Blocked => "blocked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    pub code: StepCode,
    pub title: String,
    /// What to do, and why now and not sooner.
    pub detail: String,
    pub state: StepState,
    /// The earliest safe moment (Unix seconds). For a step whose predecessor is not done yet it
    /// is projected as if that were done now, and `projected` says so.
    pub earliest: Option<i64>,
    pub projected: bool,
    /// When the step was seen done: the policy save, or the DNS check that saw it.
    pub done_at: Option<i64>,
    /// Things to look at before doing it, or done out of order.
    pub warnings: Vec<String>,
}

/// Everything the planner reads about the domain.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub request: &'a MigrationRequest,
    pub created_at: i64,
    pub now: i64,
    /// Oldest first; the last is the version served now.
    pub history: &'a [ServedVersion],
    /// Newest first.
    pub checks: &'a [MxCheck],
    /// The sender policy tracker over recent weeks.
    pub senders: &'a [SenderPolicy],
    /// Whether Portcullis publishes the `_mta-sts` id itself (delegated or pushed DNS).
    pub id_automatic: bool,
}

fn covers_all(policy: &Policy, hosts: &[String]) -> bool {
    hosts.iter().all(|h| policy.allows_mx(h))
}

fn lists_exactly(policy: &Policy, host: &str) -> bool {
    policy.mx().iter().any(|p| !p.is_wildcard() && p.as_str() == host)
}

/// The start of the newest run of versions that all satisfy `ok`, if the served one does.
fn run_start(history: &[ServedVersion], ok: impl Fn(&Policy) -> bool) -> Option<i64> {
    let mut start = None;
    for v in history.iter().rev() {
        if !ok(&v.policy) {
            break;
        }
        start = Some(v.from);
    }
    start
}

/// When the last enforce policy not covering `hosts` can have left every sender's cache: its
/// last moment served plus its max_age. `None` when no such policy was ever served, and the
/// served one's expiry counted from `now` when it is such a policy itself.
fn caches_clear(history: &[ServedVersion], hosts: &[String], now: i64) -> Option<i64> {
    history
        .iter()
        .filter(|v| v.policy.mode() == Mode::Enforce && !covers_all(&v.policy, hosts))
        .map(|v| v.until.unwrap_or(now) + v.policy.max_age() as i64)
        .max()
}

fn day_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Senders whose latest report applied an enforce policy that does not cover `hosts`: they
/// would refuse the new hosts if mail went there before their cache expires.
fn laggards(senders: &[SenderPolicy], hosts: &[String]) -> Vec<String> {
    senders
        .iter()
        .filter(|s| {
            let Some(run) = s.runs.last() else { return false };
            match Policy::parse(&run.policy_string.join("\n")) {
                Ok(p) => p.mode() == Mode::Enforce && !covers_all(&p, hosts),
                Err(_) => false,
            }
        })
        .map(|s| format!("{} (last report {})", s.organization, day_time(s.last_report_at)))
        .collect()
}

/// A publish step: done once a check after `changed_at` saw the served id.
fn publish_step(code: StepCode, changed_at: Option<i64>, input: &PlanInput<'_>) -> PlanStep {
    let seen = changed_at.and_then(|at| {
        input
            .checks
            .iter()
            .filter(|c| c.checked_at >= at && c.sts_ok)
            .map(|c| c.checked_at)
            .min()
    });
    let how = if input.id_automatic {
        "Portcullis publishes the new id itself (delegated or pushed DNS); the DNS check confirms it."
    } else {
        "Update the _mta-sts TXT record to the new id (v=STSv1; id=…), then run the DNS check: senders that do not see a new id keep their cached policy."
    };
    let (state, earliest) = match (changed_at, seen) {
        (_, Some(_)) => (StepState::Done, changed_at),
        (Some(at), None) => (StepState::Ready, Some(at)),
        (None, None) => (StepState::Blocked, None),
    };
    PlanStep {
        code,
        title: "Publish the new policy id".into(),
        detail: how.into(),
        state,
        earliest,
        projected: false,
        done_at: seen,
        warnings: Vec::new(),
    }
}

/// The plan's steps, in order, with their state and earliest safe moments.
pub fn plan_steps(input: &PlanInput<'_>) -> Vec<PlanStep> {
    let req = input.request;
    let now = input.now;
    let Some(served) = input.history.last() else {
        return Vec::new();
    };
    let mut steps = Vec::new();
    // Whether every step so far is done, and when the last of them was.
    let mut before_done: Option<i64> = Some(input.created_at);

    if !req.add.is_empty() {
        let listed = run_start(input.history, |p| covers_all(p, &req.add));
        steps.push(PlanStep {
            code: StepCode::ListNew,
            title: format!("List {} in the policy", req.add.join(", ")),
            detail: format!(
                "Add mx: {} in the policy editor and save: the policy gets a new id. Senders that \
                 see the id change fetch the new policy; until then they may refuse {} in enforce.",
                req.add.join(", mx: "),
                if req.add.len() == 1 { "it" } else { "them" }
            ),
            state: if listed.is_some() {
                StepState::Done
            } else {
                StepState::Ready
            },
            earliest: Some(input.created_at),
            projected: false,
            done_at: listed,
            warnings: Vec::new(),
        });
        let publish = publish_step(StepCode::PublishListed, listed, input);
        before_done = publish.done_at;
        steps.push(publish);
    }

    // The MX change. Mail may go to the new hosts once no sender can hold an enforce policy
    // without them.
    let last_check = input.checks.first();
    let mx_done = last_check.filter(|c| mx_changed(c, req));
    let mx_done_at = mx_done.map(|_| first_seen(input.checks, req));
    let (clear, projected) = if req.add.is_empty() {
        (None, false)
    } else if covers_all(&served.policy, &req.add) {
        (caches_clear(input.history, &req.add, now), false)
    } else {
        // Not listed yet: once it is (now at the earliest), the served policy starts expiring.
        (caches_clear(input.history, &req.add, now), true)
    };
    let earliest = [before_done.or(Some(now)), clear].into_iter().flatten().max();
    let mut warnings = Vec::new();
    if !req.add.is_empty() {
        let behind = laggards(input.senders, &req.add);
        if !behind.is_empty() {
            warnings.push(format!(
                "Senders whose latest report applied an enforce policy without {}: {}. Their cached copy expires by the time above; a new report from each confirms it.",
                req.add.join(", "),
                behind.join("; ")
            ));
        }
    }
    let title = match (req.add.is_empty(), req.retire.is_empty()) {
        (false, true) => format!("Add MX records for {}", req.add.join(", ")),
        (true, false) => format!("Remove the MX records for {}", req.retire.join(", ")),
        _ => format!(
            "Point MX at {} instead of {}",
            req.add.join(", "),
            req.retire.join(", ")
        ),
    };
    let plural = if req.add.len() == 1 { "" } else { "s" };
    let why = match clear {
        Some(t) if !req.add.is_empty() && (t > now || projected) => format!(
            " Not before {}: the last enforce policy without the new host{plural} can stay in senders' caches until then (the last moment it was served plus its max_age).",
            day_time(t)
        ),
        Some(t) if !req.add.is_empty() => format!(
            " The last enforce policy without the new host{plural} has left every sender's cache (since {}).",
            day_time(t)
        ),
        _ if !req.add.is_empty() => " No enforce policy without the new hosts was ever served, so no sender can refuse them.".into(),
        _ => " The hosts stay in the policy for now, so senders still holding the old MX set keep delivering there.".into(),
    };
    let state = match (mx_done, before_done, earliest) {
        (Some(_), _, _) => StepState::Done,
        (None, None, _) => StepState::Blocked,
        (None, Some(_), Some(t)) if t > now => StepState::Waiting,
        _ => StepState::Ready,
    };
    if mx_done.is_some() && before_done.is_none() {
        warnings.push(
            "The DNS check sees the MX change already, before the policy steps above were done: enforce senders refuse hosts their policy does not list. Finish the steps above now.".into(),
        );
    }
    steps.push(PlanStep {
        code: StepCode::ChangeMx,
        title,
        detail: format!("Change the domain's MX records at your DNS host, then run the DNS check.{why}"),
        state,
        earliest,
        projected: projected || before_done.is_none(),
        done_at: mx_done_at,
        warnings,
    });

    if !req.retire.is_empty() {
        let unlisted = run_start(input.history, |p| !req.retire.iter().any(|h| lists_exactly(p, h)));
        let earliest = mx_done_at.map(|t| t + MX_CACHE_SECONDS);
        let mut warnings = Vec::new();
        let still: Vec<&String> = req
            .retire
            .iter()
            .filter(|h| served.policy.allows_mx(h) && !lists_exactly(&served.policy, h))
            .collect();
        if !still.is_empty() {
            warnings.push(format!(
                "{} stays covered by a wildcard pattern other hosts need: nothing to remove for it.",
                still.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        let state = match (unlisted, mx_done_at, earliest) {
            (Some(_), _, _) => StepState::Done,
            (None, None, _) => StepState::Blocked,
            (None, Some(_), Some(t)) if t > now => StepState::Waiting,
            _ => StepState::Ready,
        };
        if unlisted.is_some() && mx_done_at.is_none() {
            warnings.push(
                "The policy no longer lists the retired hosts while the MX records still point at them: enforce senders refuse them. Remove the MX records now.".into(),
            );
        }
        steps.push(PlanStep {
            code: StepCode::UnlistOld,
            title: format!("Remove {} from the policy", req.retire.join(", ")),
            detail: format!(
                "Delete mx: {} in the policy editor and save (a new id). Not before a day after the DNS check saw the MX records gone: resolvers may keep the old MX set that long, and a sender sent there by it must find the host in the policy.",
                req.retire.join(", mx: ")
            ),
            state,
            earliest: earliest.or_else(|| Some(now.max(input.created_at) + MX_CACHE_SECONDS)),
            projected: earliest.is_none(),
            done_at: unlisted,
            warnings,
        });
        steps.push(publish_step(StepCode::PublishUnlisted, unlisted, input));
    }
    steps
}

/// When the checks first saw the MX change in place (of the newest run of checks that see it).
fn first_seen(checks: &[MxCheck], req: &MigrationRequest) -> i64 {
    checks
        .iter()
        .take_while(|c| mx_changed(c, req))
        .last()
        .map_or(i64::MAX, |c| c.checked_at)
}

fn mx_changed(check: &MxCheck, req: &MigrationRequest) -> bool {
    req.add.iter().all(|h| check.live_mx.contains(h)) && !req.retire.iter().any(|h| check.live_mx.contains(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlsrpt::{Adoption, AppliedRun};

    const DAY: i64 = 86_400;
    const D: i64 = 1_000 * DAY;
    const WEEK: u64 = 604_800;

    fn policy(mode: Mode, max_age: u64, mx: &[&str]) -> Policy {
        Policy::new(mode, max_age, mx.iter().map(|m| MxPattern::parse(m).unwrap()).collect()).unwrap()
    }

    fn version(id: &str, p: Policy, from: i64, until: Option<i64>) -> ServedVersion {
        ServedVersion {
            policy_id: id.into(),
            policy: p,
            from,
            until,
        }
    }

    fn check(at: i64, live: &[&str], sts_ok: bool) -> MxCheck {
        MxCheck {
            checked_at: at,
            live_mx: live.iter().map(|s| s.to_string()).collect(),
            sts_ok,
        }
    }

    fn request(add: &[&str], retire: &[&str]) -> MigrationRequest {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        MigrationRequest::parse(&owned(add), &owned(retire)).unwrap()
    }

    fn steps(
        req: &MigrationRequest,
        history: &[ServedVersion],
        checks: &[MxCheck],
        senders: &[SenderPolicy],
        now: i64,
    ) -> Vec<PlanStep> {
        plan_steps(&PlanInput {
            request: req,
            created_at: D,
            now,
            history,
            checks,
            senders,
            id_automatic: false,
        })
    }

    fn states(steps: &[PlanStep]) -> Vec<(StepCode, StepState)> {
        steps.iter().map(|s| (s.code, s.state)).collect()
    }

    #[test]
    fn adding_a_host_waits_for_the_old_enforce_policy_to_expire() {
        use StepCode::*;
        use StepState::*;
        let req = request(&["MX2.Example.NET."], &[]);
        assert_eq!(req.add, vec!["mx2.example.net"]);
        assert_eq!(req.kind(), "add");
        let old = policy(Mode::Enforce, WEEK, &["mx1.example.net"]);
        // Not started: the policy is the first step, the MX change is projected a week after it.
        let history = [version("v1", old.clone(), D - 30 * DAY, None)];
        let s = steps(
            &req,
            &history,
            &[check(D - DAY, &["mx1.example.net"], true)],
            &[],
            D + 3600,
        );
        assert_eq!(
            states(&s),
            vec![(ListNew, Ready), (PublishListed, Blocked), (ChangeMx, Blocked)]
        );
        assert_eq!(s[2].earliest, Some(D + 3600 + 7 * DAY));
        assert!(s[2].projected);

        // Listed a day after the plan, the id published an hour later: the MX change waits for
        // the old policy, served until D+1d, to expire from caches a week later.
        let new = policy(Mode::Enforce, WEEK, &["mx1.example.net", "mx2.example.net"]);
        let history = [
            version("v1", old.clone(), D - 30 * DAY, Some(D + DAY)),
            version("v2", new, D + DAY, None),
        ];
        let checks = [check(D + DAY + 3600, &["mx1.example.net"], true)];
        let s = steps(&req, &history, &checks, &[], D + 3 * DAY);
        assert_eq!(
            states(&s),
            vec![(ListNew, Done), (PublishListed, Done), (ChangeMx, Waiting)]
        );
        assert_eq!(s[0].done_at, Some(D + DAY));
        assert_eq!(s[1].done_at, Some(D + DAY + 3600));
        assert_eq!(s[2].earliest, Some(D + 8 * DAY));
        assert!(!s[2].projected);
        assert!(
            s[2].detail
                .contains("Not before 1972-10-05 00:00 UTC: the last enforce policy"),
            "{}",
            s[2].detail
        );

        // A sender still reporting the old policy is named; after the week the step is ready.
        let sender = SenderPolicy {
            organization: "microsoft.com".into(),
            policy_id: Some("v1".into()),
            mode: Some("enforce".into()),
            since: D - 20 * DAY,
            sessions: 10,
            last_report_at: D + 2 * DAY,
            adoption: Adoption::Older,
            picked_up_within: None,
            runs: vec![AppliedRun {
                policy_id: Some("v1".into()),
                mode: Some("enforce".into()),
                from: D - 20 * DAY,
                to: D + 2 * DAY,
                sessions: 10,
                policy_string: old.render().lines().map(String::from).collect(),
            }],
        };
        let s = steps(&req, &history, &checks, &[sender], D + 8 * DAY);
        assert_eq!(s[2].state, Ready);
        assert!(
            s[2].warnings[0].contains("microsoft.com (last report 1972-09-29"),
            "{:?}",
            s[2].warnings
        );

        // The check sees the new MX: done, at the first check that saw it.
        let checks = [
            check(D + 10 * DAY, &["mx1.example.net", "mx2.example.net"], true),
            check(D + 9 * DAY, &["mx1.example.net", "mx2.example.net"], true),
            check(D + DAY + 3600, &["mx1.example.net"], true),
        ];
        let s = steps(&req, &history, &checks, &[], D + 10 * DAY);
        assert_eq!(s[2].state, Done);
        assert_eq!(s[2].done_at, Some(D + 9 * DAY));
        assert!(s[2].warnings.is_empty());
    }

    #[test]
    fn in_testing_no_sender_refuses_so_the_mx_change_follows_the_id() {
        let req = request(&["mx2.example.net"], &[]);
        let history = [
            version(
                "v1",
                policy(Mode::Testing, WEEK, &["mx1.example.net"]),
                D - 30 * DAY,
                Some(D + DAY),
            ),
            version(
                "v2",
                policy(Mode::Testing, WEEK, &["mx1.example.net", "mx2.example.net"]),
                D + DAY,
                None,
            ),
        ];
        let checks = [check(D + DAY + 600, &["mx1.example.net"], true)];
        let s = steps(&req, &history, &checks, &[], D + 2 * DAY);
        assert_eq!(s[2].state, StepState::Ready);
        assert_eq!(s[2].earliest, Some(D + DAY + 600));
        assert!(s[2].detail.contains("No enforce policy without"), "{}", s[2].detail);
    }

    #[test]
    fn retiring_a_host_removes_its_mx_first_and_its_policy_line_a_day_later() {
        use StepCode::*;
        use StepState::*;
        let req = request(&[], &["mx-old.example.net"]);
        let both = policy(Mode::Enforce, WEEK, &["mx1.example.net", "mx-old.example.net"]);
        let history = [version("v1", both.clone(), D - 30 * DAY, None)];
        let before = check(D - DAY, &["mx1.example.net", "mx-old.example.net"], true);
        let s = steps(&req, &history, std::slice::from_ref(&before), &[], D);
        assert_eq!(
            states(&s),
            vec![(ChangeMx, Ready), (UnlistOld, Blocked), (PublishUnlisted, Blocked)]
        );
        assert_eq!(s[0].earliest, Some(D));

        // MX records gone at the check of D+1d (and still at D+2d): the policy may drop it a
        // day after the first check that saw them gone.
        let checks = [
            check(D + 2 * DAY, &["mx1.example.net"], true),
            check(D + DAY, &["mx1.example.net"], true),
            before.clone(),
        ];
        let s = steps(&req, &history, &checks, &[], D + DAY + 3600);
        assert_eq!(
            states(&s),
            vec![(ChangeMx, Done), (UnlistOld, Waiting), (PublishUnlisted, Blocked)]
        );
        assert_eq!(s[0].done_at, Some(D + DAY));
        assert_eq!(s[1].earliest, Some(D + 2 * DAY));
        let s = steps(&req, &history, &checks, &[], D + 2 * DAY);
        assert_eq!(s[1].state, Ready);

        // Dropped at D+3d, the id seen at D+3d+1h: the plan is complete.
        let history = [
            version("v1", both, D - 30 * DAY, Some(D + 3 * DAY)),
            version(
                "v2",
                policy(Mode::Enforce, WEEK, &["mx1.example.net"]),
                D + 3 * DAY,
                None,
            ),
        ];
        let mut later = vec![check(D + 3 * DAY + 3600, &["mx1.example.net"], true)];
        later.extend(checks.iter().cloned());
        let s = steps(&req, &history, &later, &[], D + 4 * DAY);
        assert!(s.iter().all(|s| s.state == Done), "{:?}", states(&s));
        assert_eq!(s[1].done_at, Some(D + 3 * DAY));
        assert_eq!(s[2].done_at, Some(D + 3 * DAY + 3600));
    }

    #[test]
    fn dropping_the_policy_line_before_the_mx_record_is_flagged() {
        let req = request(&[], &["mx-old.example.net"]);
        let history = [
            version(
                "v1",
                policy(Mode::Enforce, WEEK, &["mx1.example.net", "mx-old.example.net"]),
                D - 9 * DAY,
                Some(D),
            ),
            version("v2", policy(Mode::Enforce, WEEK, &["mx1.example.net"]), D, None),
        ];
        let checks = [check(D + 60, &["mx1.example.net", "mx-old.example.net"], true)];
        let s = steps(&req, &history, &checks, &[], D + 120);
        assert_eq!(s[0].state, StepState::Ready);
        assert_eq!(s[1].state, StepState::Done);
        assert!(
            s[1].warnings[0].contains("enforce senders refuse them"),
            "{:?}",
            s[1].warnings
        );
    }

    #[test]
    fn a_switch_lists_the_new_host_points_mx_and_then_drops_the_old_one() {
        use StepCode::*;
        let req = request(&["mx.new-provider.example"], &["mx.old-provider.example"]);
        assert_eq!(req.kind(), "switch");
        let current = policy(Mode::Enforce, 2 * DAY as u64, &["mx.old-provider.example"]);
        let planned = req
            .validate(Some(&current), &["mx.old-provider.example".into()])
            .unwrap();
        assert_eq!(
            planned.render(),
            "version: STSv1\r\nmode: enforce\r\nmx: mx.new-provider.example\r\nmax_age: 172800\r\n"
        );
        let history = [
            version("v1", current, D - 30 * DAY, Some(D + 3600)),
            version(
                "v2",
                policy(
                    Mode::Enforce,
                    2 * DAY as u64,
                    &["mx.old-provider.example", "mx.new-provider.example"],
                ),
                D + 3600,
                None,
            ),
        ];
        let checks = [check(D + 7200, &["mx.old-provider.example"], true)];
        let s = steps(&req, &history, &checks, &[], D + DAY);
        let codes: Vec<StepCode> = s.iter().map(|s| s.code).collect();
        assert_eq!(
            codes,
            vec![ListNew, PublishListed, ChangeMx, UnlistOld, PublishUnlisted]
        );
        assert_eq!(
            s[2].title,
            "Point MX at mx.new-provider.example instead of mx.old-provider.example"
        );
        assert_eq!(s[2].state, StepState::Waiting);
        assert_eq!(s[2].earliest, Some(D + 3600 + 2 * DAY));
        assert_eq!(s[3].state, StepState::Blocked);
        // Projected: a day after the MX change, if it were seen now.
        assert_eq!(s[3].earliest, Some(D + 2 * DAY));
        assert!(s[3].projected);
    }

    #[test]
    fn versions_saved_in_the_same_second_keep_their_order() {
        let testing = policy(Mode::Testing, WEEK, &["mx1.example.net"]).render();
        let enforce = policy(Mode::Enforce, WEEK, &["mx1.example.net"]).render();
        let h = ServedVersion::history(&[
            ("t".into(), testing, D),
            ("e".into(), enforce, D),
            ("bad".into(), "not a policy".into(), D + 5),
        ]);
        let ids: Vec<(&str, Option<i64>)> = h.iter().map(|v| (v.policy_id.as_str(), v.until)).collect();
        assert_eq!(ids, [("t", Some(D)), ("e", Some(D + 5))]);
    }

    #[test]
    fn plans_that_cannot_work_are_refused_with_the_reason() {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(MigrationRequest::parse(&owned(&[" "]), &[]), Err(PlanError::Empty));
        assert_eq!(
            MigrationRequest::parse(&owned(&["a.example"]), &owned(&["A.example."])),
            Err(PlanError::Both("a.example".into()))
        );
        assert!(matches!(
            MigrationRequest::parse(&owned(&["bad host"]), &[]),
            Err(PlanError::InvalidHost { .. })
        ));
        let many: Vec<String> = (0..11).map(|i| format!("mx{i}.example")).collect();
        assert_eq!(MigrationRequest::parse(&many, &[]), Err(PlanError::TooMany));
        let current = policy(Mode::Enforce, WEEK, &["mx1.example.net", "*.backup.example.net"]);
        let live = vec!["mx1.example.net".to_string()];
        assert_eq!(
            request(&[], &["mx1.example.net"]).validate(Some(&current), &live),
            Err(PlanError::NothingLeft("mx1.example.net".into()))
        );
        assert_eq!(
            request(&[], &["mx9.example.net"]).validate(Some(&current), &live),
            Err(PlanError::UnknownRetire("mx9.example.net".into()))
        );
        assert_eq!(
            request(&["mx2.example.net"], &[]).validate(None, &live),
            Err(PlanError::NoPolicy)
        );
        // A host a wildcard already covers adds no line.
        let planned = request(&["b1.backup.example.net"], &[])
            .validate(Some(&current), &live)
            .unwrap();
        assert_eq!(planned.mx(), current.mx());
    }
}
