//! Which policy each sender really applies. Every `sts` policy block of a report carries the
//! policy the sender used (`policy-string`); matched by content to the domain's stored versions,
//! the blocks of one sending organisation over time show when it picked up each version.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::policy::{Mode, Policy};

/// The `sts` policy blocks of one sending organisation for one UTC day that carried the same
/// policy string, summed (what the store reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedDay {
    pub organization: String,
    pub policy_string: Vec<String>,
    /// Days since 1970-01-01 (UTC) of the reports' period start.
    pub day: i64,
    /// Successful and failed sessions.
    pub sessions: i64,
    /// Earliest report period start and latest end among the blocks (Unix seconds).
    pub first_start: i64,
    pub last_end: i64,
    /// When the latest of these reports arrived.
    pub last_received: i64,
}

/// A stored version of the domain's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownVersion {
    pub policy_id: String,
    pub body: String,
    pub created_at: i64,
}

/// One stretch of time over which a sender applied the same policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRun {
    /// The stored version it matches; `None` for a policy matching no stored version.
    pub policy_id: Option<String>,
    /// `none`, `testing` or `enforce`; `None` when the policy string names no readable mode.
    pub mode: Option<String>,
    /// Start of the first report period and end of the last one (Unix seconds).
    pub from: i64,
    pub to: i64,
    pub sessions: i64,
    /// The policy as the sender wrote it (first seen in the run).
    pub policy_string: Vec<String>,
}

/// Where a sender stands with the served version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adoption {
    /// It applies the served version.
    Current,
    /// It still applies an older stored version, after reporting since the change.
    Older,
    /// It applies a policy matching no stored version.
    Unknown,
    /// Its last report covers a period that ended before the served version existed.
    NotReportedSince,
}

impl Adoption {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Older => "older",
            Self::Unknown => "unknown",
            Self::NotReportedSince => "not_reported_since",
        }
    }
}

/// What one sending organisation applies now, and its history over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderPolicy {
    pub organization: String,
    /// The stored version its latest report applied; `None` when that matches no version.
    pub policy_id: Option<String>,
    pub mode: Option<String>,
    /// Start of the first report period of the current run (the version applied without a
    /// change since).
    pub since: i64,
    /// Sessions over the current run.
    pub sessions: i64,
    pub last_report_at: i64,
    pub adoption: Adoption,
    /// For a sender applying the served version: from the version's creation to the end of the
    /// first report period applying it, in seconds (an upper bound: reports come per period).
    /// `None` when it applied it from before the period shown, or applies another.
    pub picked_up_within: Option<i64>,
    /// Oldest first; the last is the current one.
    pub runs: Vec<AppliedRun>,
}

/// A policy's content, for comparing versions: mode, max_age and the set of mx patterns. Line
/// order, line ends, case and unknown keys do not change how a sender applies a policy.
fn content_key(policy: &Policy) -> String {
    let mut mx: Vec<String> = policy.mx().iter().map(|m| m.as_str().to_ascii_lowercase()).collect();
    mx.sort();
    mx.dedup();
    format!("{}|{}|{}", policy.mode().as_str(), policy.max_age(), mx.join(","))
}

/// How a policy string is told apart from others: its content when it reads as a policy, its
/// text otherwise; and its mode where a `mode:` line names one.
fn read_policy_string(lines: &[String]) -> (String, Option<Mode>) {
    let text = lines.join("\n");
    match Policy::parse(&text) {
        Ok(policy) => (content_key(&policy), Some(policy.mode())),
        Err(_) => {
            let mode = lines.iter().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "mode").then(|| Mode::parse(value.trim()).ok())?
            });
            (format!("text|{}", text.trim().to_ascii_lowercase()), mode)
        }
    }
}

/// The stored versions by content, each content's versions oldest first.
struct VersionIndex<'a> {
    by_content: HashMap<String, Vec<(i64, usize)>>,
    versions: &'a [KnownVersion],
}

impl<'a> VersionIndex<'a> {
    fn new(versions: &'a [KnownVersion]) -> Self {
        let mut by_content: HashMap<String, Vec<(i64, usize)>> = HashMap::new();
        for (i, v) in versions.iter().enumerate() {
            if let Ok(policy) = Policy::parse(&v.body) {
                by_content
                    .entry(content_key(&policy))
                    .or_default()
                    .push((v.created_at, i));
            }
        }
        for list in by_content.values_mut() {
            list.sort();
        }
        Self { by_content, versions }
    }

    /// The version a sender applying `content` in a period ending at `seen_by` used: of the
    /// versions with that content (a policy can come back with a new id, say testing → enforce →
    /// testing), the newest that existed by then; the oldest when none did (clocks differ).
    fn matching(&self, content: &str, seen_by: i64) -> Option<&'a KnownVersion> {
        let list = self.by_content.get(content)?;
        let at = list
            .iter()
            .rev()
            .find(|(created, _)| *created <= seen_by)
            .or_else(|| list.first())?;
        self.versions.get(at.1)
    }
}

/// One day's blocks of a sender with what they applied.
struct Block<'a> {
    /// Within a day: the version's creation (or the period's start for unknown versions).
    order: i64,
    /// The version's id, or the content of a policy matching none.
    identity: String,
    version: Option<&'a KnownVersion>,
    mode: Option<Mode>,
    day: &'a AppliedDay,
}

/// Every sender seen in `days`, most sessions in its current run first, then by name.
/// `versions` are the domain's stored versions; `served` the id of the one served now.
pub fn track(days: &[AppliedDay], versions: &[KnownVersion], served: Option<&str>) -> Vec<SenderPolicy> {
    let index = VersionIndex::new(versions);
    let served = served.and_then(|id| versions.iter().find(|v| v.policy_id == id));
    let mut read: HashMap<&[String], (String, Option<Mode>)> = HashMap::new();
    let mut blocks: Vec<Block> = Vec::with_capacity(days.len());
    for d in days {
        let (content, mode) = read
            .entry(d.policy_string.as_slice())
            .or_insert_with(|| read_policy_string(&d.policy_string))
            .clone();
        let version = index.matching(&content, d.last_end);
        let identity = match version {
            Some(v) => format!("id|{}", v.policy_id),
            None => content,
        };
        // On a day a sender switched, its report holds both policies: the older version first.
        let order = version.map(|v| v.created_at).unwrap_or(d.first_start);
        blocks.push(Block {
            order,
            identity,
            version,
            mode,
            day: d,
        });
    }
    blocks.sort_by(|a, b| {
        (&a.day.organization, a.day.day, a.order, &a.identity).cmp(&(
            &b.day.organization,
            b.day.day,
            b.order,
            &b.identity,
        ))
    });

    let mut senders: Vec<SenderPolicy> = Vec::new();
    let mut identities: Vec<String> = Vec::new();
    for Block {
        identity,
        version,
        mode,
        day: d,
        ..
    } in blocks
    {
        let org = d.organization.as_str();
        let fresh = senders.last().is_none_or(|s| s.organization != org);
        if fresh {
            senders.push(SenderPolicy {
                organization: org.to_string(),
                policy_id: None,
                mode: None,
                since: 0,
                sessions: 0,
                last_report_at: d.last_received,
                adoption: Adoption::Unknown,
                picked_up_within: None,
                runs: Vec::new(),
            });
            identities.clear();
        }
        let sender = senders.last_mut().expect("pushed above");
        sender.last_report_at = sender.last_report_at.max(d.last_received);
        match sender.runs.last_mut() {
            Some(run) if identities.last() == Some(&identity) => {
                run.from = run.from.min(d.first_start);
                run.to = run.to.max(d.last_end);
                run.sessions += d.sessions;
            }
            _ => {
                identities.push(identity);
                sender.runs.push(AppliedRun {
                    policy_id: version.map(|v| v.policy_id.clone()),
                    mode: mode.map(|m| m.as_str().to_string()),
                    from: d.first_start,
                    to: d.last_end,
                    sessions: d.sessions,
                    policy_string: d.policy_string.clone(),
                });
            }
        }
    }
    for sender in &mut senders {
        let Some(current) = sender.runs.last() else { continue };
        sender.policy_id = current.policy_id.clone();
        sender.mode = current.mode.clone();
        sender.since = current.from;
        sender.sessions = current.sessions;
        sender.adoption = match (served, &current.policy_id) {
            (Some(s), Some(id)) if *id == s.policy_id => Adoption::Current,
            (Some(s), _) if current.to <= s.created_at => Adoption::NotReportedSince,
            (_, None) => Adoption::Unknown,
            (_, Some(_)) => Adoption::Older,
        };
        if sender.adoption == Adoption::Current && sender.runs.len() > 1 {
            // The first report period of the run ends after the sender fetched the version.
            let first_end = first_period_end(days, &sender.organization, current.from);
            sender.picked_up_within = served.map(|s| (first_end - s.created_at).max(0));
        }
    }
    senders.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then_with(|| a.organization.cmp(&b.organization))
    });
    senders
}

/// The end of the earliest period of `organization` that starts at `from`.
fn first_period_end(days: &[AppliedDay], organization: &str, from: i64) -> i64 {
    days.iter()
        .filter(|d| d.organization == organization && d.first_start == from)
        .map(|d| d.last_end)
        .min()
        .unwrap_or(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    /// 2026-11-01 00:00 UTC.
    const NOV_1: i64 = 1_793_491_200;

    fn lines(mode: &str, mx: &[&str], max_age: u64) -> Vec<String> {
        let mut l = vec!["version: STSv1".to_string(), format!("mode: {mode}")];
        l.extend(mx.iter().map(|m| format!("mx: {m}")));
        l.push(format!("max_age: {max_age}"));
        l
    }

    fn version(id: &str, mode: &str, mx: &[&str], created_at: i64) -> KnownVersion {
        let mut body = format!("version: STSv1\r\nmode: {mode}\r\n");
        for m in mx {
            body.push_str(&format!("mx: {m}\r\n"));
        }
        body.push_str("max_age: 604800\r\n");
        KnownVersion {
            policy_id: id.into(),
            body,
            created_at,
        }
    }

    /// A daily report of `org` for day `n` of November (0-based) applying `policy`.
    fn day(org: &str, n: i64, policy: Vec<String>, sessions: i64) -> AppliedDay {
        let start = NOV_1 + n * DAY;
        AppliedDay {
            organization: org.into(),
            policy_string: policy,
            day: start / DAY,
            sessions,
            first_start: start,
            last_end: start + DAY,
            last_received: start + DAY + 3_600,
        }
    }

    /// v1 (testing) from 1 Nov, v2 (enforce) from 10 Nov 12:00: one sender picks it up on the
    /// 11th, another keeps v1, a third applies a policy never stored, a fourth stopped reporting.
    #[test]
    fn a_change_picked_up_by_one_sender_and_not_another() {
        let mx = ["mx1.example.com", "*.mx.example.com"];
        let v1 = version("20261101T000000", "testing", &mx, NOV_1);
        let v2 = version("20261110T120000", "enforce", &mx, NOV_1 + 9 * DAY + 12 * 3_600);
        let versions = vec![v1.clone(), v2.clone()];
        let testing = lines("testing", &mx, 604_800);
        // The same content written differently still matches: order, case, CRLF.
        let enforce = vec![
            "version: STSv1".into(),
            "mx: *.MX.example.com".into(),
            "max_age: 604800".into(),
            "mode: enforce".into(),
            "mx: mx1.example.com".into(),
        ];
        let mut days = Vec::new();
        for n in 5..14 {
            // google: v1 up to the 10th, v2 from the 11th (index 10).
            let applied = if n < 10 { testing.clone() } else { enforce.clone() };
            days.push(day("google.com", n, applied, 100));
            days.push(day("microsoft.com", n, testing.clone(), 10));
        }
        days.push(day("stale.example", 3, testing.clone(), 7));
        days.push(day(
            "old-host.example",
            12,
            lines("enforce", &["mail.other.example"], 86_400),
            5,
        ));

        let senders = track(&days, &versions, Some(&v2.policy_id));
        let names: Vec<&str> = senders.iter().map(|s| s.organization.as_str()).collect();
        // Ranked by sessions in the current run: google 4 days × 100, microsoft 9 × 10.
        assert_eq!(
            names,
            ["google.com", "microsoft.com", "stale.example", "old-host.example"]
        );

        let google = &senders[0];
        assert_eq!(google.policy_id.as_deref(), Some("20261110T120000"));
        assert_eq!(google.mode.as_deref(), Some("enforce"));
        assert_eq!(google.adoption, Adoption::Current);
        assert_eq!(google.since, NOV_1 + 10 * DAY);
        assert_eq!(google.sessions, 400);
        assert_eq!(google.last_report_at, NOV_1 + 14 * DAY + 3_600);
        // v2 at 10 Nov 12:00; the first period applying it ends 12 Nov 00:00: 36 hours.
        assert_eq!(google.picked_up_within, Some(36 * 3_600));
        assert_eq!(google.runs.len(), 2);
        assert_eq!(google.runs[0].policy_id.as_deref(), Some("20261101T000000"));
        assert_eq!(
            (google.runs[0].from, google.runs[0].to),
            (NOV_1 + 5 * DAY, NOV_1 + 10 * DAY)
        );
        assert_eq!(google.runs[0].sessions, 500);

        let microsoft = &senders[1];
        assert_eq!(microsoft.adoption, Adoption::Older);
        assert_eq!(microsoft.policy_id.as_deref(), Some("20261101T000000"));
        assert_eq!((microsoft.since, microsoft.sessions), (NOV_1 + 5 * DAY, 90));
        assert_eq!(microsoft.picked_up_within, None);

        let stale = &senders[2];
        assert_eq!(stale.adoption, Adoption::NotReportedSince);
        assert_eq!(stale.policy_id.as_deref(), Some("20261101T000000"));

        let unknown = &senders[3];
        assert_eq!(unknown.adoption, Adoption::Unknown);
        assert_eq!(unknown.policy_id, None);
        assert_eq!(unknown.mode.as_deref(), Some("enforce"));
        assert_eq!(unknown.runs[0].policy_string[2], "mx: mail.other.example");
    }

    /// testing → enforce → testing again: the third version has the first's content. A sender
    /// applying that content is matched to the version that existed at the time.
    #[test]
    fn the_same_content_under_two_ids_matches_the_version_of_its_time() {
        let mx = ["mx.example.com"];
        let a = version("a", "testing", &mx, NOV_1);
        let b = version("b", "enforce", &mx, NOV_1 + 5 * DAY);
        let c = version("c", "testing", &mx, NOV_1 + 10 * DAY);
        let versions = vec![a, b, c];
        let testing = lines("testing", &mx, 604_800);
        let enforce = lines("enforce", &mx, 604_800);
        let days = vec![
            day("x.example", 2, testing.clone(), 1),
            day("x.example", 7, enforce, 2),
            day("x.example", 12, testing, 4),
        ];
        let s = &track(&days, &versions, Some("c"))[0];
        let ids: Vec<Option<&str>> = s.runs.iter().map(|r| r.policy_id.as_deref()).collect();
        assert_eq!(ids, [Some("a"), Some("b"), Some("c")]);
        assert_eq!(s.adoption, Adoption::Current);
        // c at 11 Nov 00:00; first period applying it ends 14 Nov 00:00.
        assert_eq!(s.picked_up_within, Some(3 * DAY));
        assert_eq!((s.sessions, s.since), (4, NOV_1 + 12 * DAY));
    }

    /// On the day of a switch a report holds both policies; the run of the new one starts that
    /// day, and gaps without reports do not break a run.
    #[test]
    fn a_switch_within_one_report_and_gaps_between_reports() {
        let a = version("a", "testing", &["mx.example.com"], NOV_1);
        let b = version("b", "enforce", &["mx.example.com"], NOV_1 + 4 * DAY + 6 * 3_600);
        let versions = vec![a, b];
        let days = vec![
            day("y.example", 1, lines("testing", &["mx.example.com"], 604_800), 5),
            day("y.example", 4, lines("enforce", &["mx.example.com"], 604_800), 3),
            day("y.example", 4, lines("testing", &["mx.example.com"], 604_800), 2),
            day("y.example", 9, lines("enforce", &["mx.example.com"], 604_800), 6),
        ];
        let s = &track(&days, &versions, Some("b"))[0];
        assert_eq!(s.runs.len(), 2);
        assert_eq!(s.runs[0].sessions, 7);
        assert_eq!((s.since, s.sessions), (NOV_1 + 4 * DAY, 9));
        assert_eq!(s.picked_up_within, Some(18 * 3_600));
    }

    /// A policy string that does not read as a policy is an unknown version, told apart by its
    /// text; one seen from the start of the period has no pick-up time.
    #[test]
    fn unreadable_policy_strings_and_senders_current_from_the_start() {
        let v = version("v", "enforce", &["mx.example.com"], NOV_1);
        let days = vec![
            day("z.example", 2, vec!["garbage".into(), "mode: testing".into()], 1),
            day("w.example", 2, lines("enforce", &["mx.example.com"], 604_800), 1),
        ];
        let senders = track(&days, &[v], Some("v"));
        let z = senders.iter().find(|s| s.organization == "z.example").unwrap();
        assert_eq!((z.policy_id.as_deref(), z.mode.as_deref()), (None, Some("testing")));
        assert_eq!(z.adoption, Adoption::Unknown);
        let w = senders.iter().find(|s| s.organization == "w.example").unwrap();
        assert_eq!(w.adoption, Adoption::Current);
        assert_eq!(w.picked_up_within, None);
        assert!(track(&[], &[], None).is_empty());
    }
}
