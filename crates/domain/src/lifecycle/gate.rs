//! The readiness gate for moving a domain from testing to enforce: each rule is one checklist
//! item with its live status and, when it fails, what is wrong in words the user can act on.

use serde::{Deserialize, Serialize};

use super::replay::ReplayOutcome;
use crate::dns::{Finding, FindingCode, Severity};
use crate::tlsrpt::{ResultCategory, ResultType};

/// The thresholds of the gate (per platform; see docs/configuration.md for the settings).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GateConfig {
    /// Days the domain must have been in testing.
    pub min_testing_days: i64,
    /// Reports received in that window, and distinct organisations sending them.
    pub min_reports: i64,
    pub min_organizations: i64,
    /// Highest share of sessions failing for MTA-STS-relevant reasons, e.g. 0.001 (0.1 %).
    pub max_failure_rate: f64,
    /// A DNS check older than this many hours is too old to vouch for the domain.
    pub max_check_age_hours: i64,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            min_testing_days: 14,
            min_reports: 5,
            min_organizations: 2,
            max_failure_rate: 0.001,
            max_check_age_hours: 24,
        }
    }
}

/// The gate's items, in checklist order. The codes are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateCode {
    DnsChecked,
    StsRecord,
    PolicyFetch,
    TlsRptRecord,
    MxCovered,
    MxCertificates,
    TestingPeriod,
    Reports,
    FailureRate,
    Replay,
}

impl GateCode {
    pub const ALL: [GateCode; 10] = [
        Self::DnsChecked,
        Self::StsRecord,
        Self::PolicyFetch,
        Self::TlsRptRecord,
        Self::MxCovered,
        Self::MxCertificates,
        Self::TestingPeriod,
        Self::Reports,
        Self::FailureRate,
        Self::Replay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DnsChecked => "dns-checked",
            Self::StsRecord => "sts-record",
            Self::PolicyFetch => "policy-fetch",
            Self::TlsRptRecord => "tlsrpt-record",
            Self::MxCovered => "mx-covered",
            Self::MxCertificates => "mx-certificates",
            Self::TestingPeriod => "testing-period",
            Self::Reports => "reports",
            Self::FailureRate => "failure-rate",
            Self::Replay => "replay",
        }
    }

    /// The checklist line.
    pub fn title(self) -> &'static str {
        match self {
            Self::DnsChecked => "DNS checked recently",
            Self::StsRecord => "One valid _mta-sts record with the current policy id",
            Self::PolicyFetch => "Policy fetch works as senders do it",
            Self::TlsRptRecord => "_smtp._tls record is published",
            Self::MxCovered => "Every live MX is covered by the policy",
            Self::MxCertificates => "Every MX offers STARTTLS with a valid certificate, not expiring within 14 days",
            Self::TestingPeriod => "Long enough in testing",
            Self::Reports => "Enough TLS-RPT reports from several senders",
            Self::FailureRate => "Few MTA-STS-relevant failures",
            Self::Replay => "Nothing would have been refused under enforce",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateItem {
    pub code: GateCode,
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub ready: bool,
    pub items: Vec<GateItem>,
}

impl Readiness {
    pub fn failing(&self) -> impl Iterator<Item = &GateItem> {
        self.items.iter().filter(|i| !i.ok)
    }
}

/// Sessions reported in the window: totals and failed sessions per result type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowTotals {
    pub reports: i64,
    pub organizations: i64,
    /// Distinct sources the reports came from: verified DKIM signing domains and network
    /// addresses. Organisation names are whatever a report claims; sources are not, so forged
    /// reports from one place count once.
    #[serde(default)]
    pub sources: i64,
    /// How many of those sources are DKIM-verified signing domains.
    #[serde(default)]
    pub authenticated_sources: i64,
    pub successful: i64,
    pub failed: i64,
    /// (result type, failed sessions).
    pub failed_by_result: Vec<(String, i64)>,
}

/// Everything the gate looks at, gathered by the caller.
#[derive(Debug, Clone)]
pub struct GateInput<'a> {
    pub now: i64,
    /// The latest DNS check's findings and time; `None` when never checked.
    pub dns: Option<(&'a [Finding], i64)>,
    /// When the current testing period began; `None` when the domain is not in testing.
    pub testing_since: Option<i64>,
    /// Reports of the last `min_testing_days` days.
    pub window: &'a WindowTotals,
    pub replay: &'a ReplayOutcome,
}

/// Whether a result type counts against the failure rate: TLS negotiation and MTA-STS policy
/// failures (DANE's are not MTA-STS's concern).
pub fn is_sts_relevant(result_type: &str) -> bool {
    matches!(
        ResultType::parse(result_type).category(),
        ResultCategory::Negotiation | ResultCategory::MtaSts | ResultCategory::Other
    )
}

fn with_codes<'a>(findings: &'a [Finding], codes: &'a [FindingCode]) -> impl Iterator<Item = &'a Finding> + 'a {
    findings
        .iter()
        .filter(move |f| codes.iter().any(|c| c.as_str() == f.code))
}

fn title(f: &Finding) -> &str {
    FindingCode::parse(&f.code)
        .map(FindingCode::title)
        .unwrap_or(f.code.as_str())
}

/// Problems that count against `gate` (errors, and warnings when `warnings` is set), as one
/// line, or `None`.
fn problems(findings: &[Finding], gate: GateCode, warnings: bool) -> Option<String> {
    let bad: Vec<String> = findings
        .iter()
        .filter(|f| FindingCode::parse(&f.code).and_then(gate_item_of) == Some(gate))
        .filter(|f| f.severity == Severity::Error || (warnings && f.severity == Severity::Warning))
        .map(|f| format!("{} ({})", title(f), f.subject))
        .collect();
    (!bad.is_empty()).then(|| bad.join("; "))
}

fn item(code: GateCode, ok: bool, detail: impl Into<String>) -> GateItem {
    GateItem {
        code,
        ok,
        detail: detail.into(),
    }
}

/// The readiness item whose problems a finding counts as, if any. Exhaustive on purpose: a new
/// finding code does not compile until someone decides where the gate puts it.
fn gate_item_of(code: FindingCode) -> Option<GateCode> {
    use FindingCode::*;
    match code {
        StsRecordOk | StsRecordMissing | StsRecordMultiple | StsRecordSyntax | StsRecordUnknownTag
        | StsRecordIdMismatch | StsRecordAtApex | StsRecordCname => Some(GateCode::StsRecord),
        // A delegation that is broken shows in the records themselves (missing or stale); proof
        // decides whether anything is served at all, which the policy fetch shows.
        DelegationOk | DelegationMissing | DelegationWrong | ProofMissing | ProofByDelegation | ProofByTxt => None,
        PolicyNotConfigured
        | PolicyHostMissing
        | PolicyHostElsewhere
        | PolicyHostPrivate
        | PolicyFetchOk
        | PolicyFetchConnect
        | PolicyFetchTlsVersion
        | PolicyFetchCertName
        | PolicyFetchCertExpired
        | PolicyFetchCertUntrusted
        | PolicyFetchCertExpiring
        | PolicyFetchRedirect
        | PolicyFetchStatus
        | PolicyFetchContentType
        | PolicyFetchTooLarge
        | PolicyFetchInvalid
        | PolicyFetchMismatch => Some(GateCode::PolicyFetch),
        TlsRptRecordOk | TlsRptRecordMissing | TlsRptRecordMultiple | TlsRptRecordSyntax | TlsRptRuaInvalid => {
            Some(GateCode::TlsRptRecord)
        }
        MxUncovered | MxNull | MxNone | MxIpAddress | MxNoAddress => Some(GateCode::MxCovered),
        StartTlsConnect
        | StartTlsNotOffered
        | StartTlsHandshake
        | StartTlsTlsVersion
        | StartTlsCertName
        | StartTlsCertExpired
        | StartTlsCertUntrusted
        | StartTlsCertExpiring => Some(GateCode::MxCertificates),
        // Informational, or counted by the items above in their own way (covered MX hosts and
        // hosts with working STARTTLS are counted; reports sent elsewhere still mean a record).
        LookupFailed | PolicyHostOk | TlsRptRuaElsewhere | MxCovered | MxPatternUnused | MxCname | MxPrivateAddress
        | StartTlsOk | DaneTlsaPresent | DaneTlsaAbsent => None,
    }
}

fn dns_items(findings: &[Finding], items: &mut Vec<GateItem>) {
    let present = |code: FindingCode| findings.iter().any(|f| f.code == code.as_str());
    let sts = match problems(findings, GateCode::StsRecord, true) {
        Some(p) => item(GateCode::StsRecord, false, p),
        None if present(FindingCode::StsRecordOk) => item(GateCode::StsRecord, true, "Published with the current id."),
        None => item(GateCode::StsRecord, false, "The last check did not confirm the record."),
    };
    items.push(sts);
    let fetch = match problems(findings, GateCode::PolicyFetch, true) {
        Some(p) => item(GateCode::PolicyFetch, false, p),
        None if present(FindingCode::PolicyFetchOk) => item(
            GateCode::PolicyFetch,
            true,
            "Fetched over HTTPS with a valid certificate.",
        ),
        None => item(GateCode::PolicyFetch, false, "The last check did not fetch the policy."),
    };
    items.push(fetch);
    let tlsrpt = match problems(findings, GateCode::TlsRptRecord, false) {
        Some(p) => item(GateCode::TlsRptRecord, false, p),
        None if present(FindingCode::TlsRptRecordOk) || present(FindingCode::TlsRptRuaElsewhere) => {
            item(GateCode::TlsRptRecord, true, "Senders know where to report.")
        }
        None => item(GateCode::TlsRptRecord, false, "The last check did not find the record."),
    };
    items.push(tlsrpt);
    let covered = with_codes(findings, &[FindingCode::MxCovered]).count();
    let mx = match problems(findings, GateCode::MxCovered, false) {
        Some(p) => item(GateCode::MxCovered, false, p),
        None if covered > 0 => item(GateCode::MxCovered, true, format!("{covered} MX host(s), all listed.")),
        None => item(GateCode::MxCovered, false, "The last check found no MX host to cover."),
    };
    items.push(mx);
    let ok_hosts = with_codes(findings, &[FindingCode::StartTlsOk]).count();
    let certs = match problems(findings, GateCode::MxCertificates, true) {
        Some(p) => item(GateCode::MxCertificates, false, p),
        None if ok_hosts > 0 => item(
            GateCode::MxCertificates,
            true,
            format!("{ok_hosts} MX host(s) with valid STARTTLS."),
        ),
        None => item(GateCode::MxCertificates, false, "The last check probed no MX host."),
    };
    items.push(certs);
}

/// Evaluates every rule; `ready` only when all pass.
pub fn evaluate(config: &GateConfig, input: &GateInput<'_>) -> Readiness {
    let mut items = Vec::with_capacity(GateCode::ALL.len());
    match input.dns {
        None => {
            items.push(item(GateCode::DnsChecked, false, "Never checked: run a DNS check."));
            for code in [
                GateCode::StsRecord,
                GateCode::PolicyFetch,
                GateCode::TlsRptRecord,
                GateCode::MxCovered,
                GateCode::MxCertificates,
            ] {
                items.push(item(code, false, "Unknown until the DNS has been checked."));
            }
        }
        Some((findings, checked_at)) => {
            let age_hours = (input.now - checked_at).max(0) / 3600;
            items.push(if age_hours > config.max_check_age_hours {
                item(
                    GateCode::DnsChecked,
                    false,
                    format!("Last checked {age_hours} hours ago: check again."),
                )
            } else {
                item(
                    GateCode::DnsChecked,
                    true,
                    format!(
                        "Checked {age_hours} hours ago (at most {} allowed).",
                        config.max_check_age_hours
                    ),
                )
            });
            dns_items(findings, &mut items);
        }
    }

    let days = config.min_testing_days;
    items.push(match input.testing_since {
        None => item(GateCode::TestingPeriod, false, "The domain is not in testing mode."),
        Some(since) => {
            let elapsed = (input.now - since).max(0) / 86_400;
            if elapsed >= days {
                item(GateCode::TestingPeriod, true, format!("{elapsed} days in testing."))
            } else {
                item(
                    GateCode::TestingPeriod,
                    false,
                    format!("{elapsed} of {days} days in testing: {} to go.", days - elapsed),
                )
            }
        }
    });

    let w = input.window;
    let enough = w.reports >= config.min_reports
        && w.organizations >= config.min_organizations
        && w.sources >= config.min_organizations;
    items.push(item(
        GateCode::Reports,
        enough,
        format!(
            "{} report(s) from {} organisation(s) through {} distinct source(s), {} DKIM-authenticated, in the last {days} days (at least {} from {} organisations and as many sources needed).",
            w.reports, w.organizations, w.sources, w.authenticated_sources, config.min_reports, config.min_organizations
        ),
    ));

    let relevant: Vec<&(String, i64)> = w
        .failed_by_result
        .iter()
        .filter(|(t, n)| *n > 0 && is_sts_relevant(t))
        .collect();
    let relevant_failed: i64 = relevant.iter().map(|(_, n)| n).sum();
    let sessions = w.successful + w.failed;
    let listed = relevant
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    items.push(if sessions == 0 {
        item(GateCode::FailureRate, false, "No sessions reported yet.")
    } else {
        let rate = relevant_failed as f64 / sessions as f64;
        let ok = rate < config.max_failure_rate;
        let mut detail = format!(
            "{:.3} % of {sessions} sessions (limit {:.3} %)",
            rate * 100.0,
            config.max_failure_rate * 100.0
        );
        if !listed.is_empty() {
            detail.push_str(&format!(": {listed}"));
        }
        detail.push('.');
        item(GateCode::FailureRate, ok, detail)
    });

    let r = input.replay;
    items.push(if r.is_clean() {
        item(GateCode::Replay, true, "No reported session would have been refused.")
    } else {
        let mut parts = Vec::new();
        if r.refused_sessions > 0 {
            parts.push(format!(
                "{} session(s) would have been refused, from {}",
                r.refused_sessions,
                r.by_sender
                    .iter()
                    .map(|(s, n)| format!("{s} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !r.uncovered_live_mx.is_empty() {
            parts.push(format!("live MX not in the policy: {}", r.uncovered_live_mx.join(", ")));
        }
        item(GateCode::Replay, false, parts.join("; ") + ".")
    });

    Readiness {
        ready: items.iter().all(|i| i.ok),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn ok_findings() -> Vec<Finding> {
        vec![
            Finding::new(FindingCode::StsRecordOk, Severity::Ok, "_mta-sts.example.com"),
            Finding::new(FindingCode::PolicyFetchOk, Severity::Ok, "mta-sts.example.com"),
            Finding::new(FindingCode::TlsRptRecordOk, Severity::Ok, "_smtp._tls.example.com"),
            Finding::new(FindingCode::MxCovered, Severity::Ok, "mx1.example.com"),
            Finding::new(FindingCode::StartTlsOk, Severity::Ok, "mx1.example.com"),
        ]
    }

    fn window() -> WindowTotals {
        WindowTotals {
            reports: 9,
            organizations: 3,
            sources: 3,
            authenticated_sources: 1,
            successful: 100_000,
            failed: 12,
            failed_by_result: vec![("sts-policy-fetch-error".into(), 5), ("tlsa-invalid".into(), 7)],
        }
    }

    fn run(findings: Option<&[Finding]>, since: Option<i64>, w: &WindowTotals, r: &ReplayOutcome) -> Readiness {
        evaluate(
            &GateConfig::default(),
            &GateInput {
                now: NOW,
                dns: findings.map(|f| (f, NOW - 3600)),
                testing_since: since,
                window: w,
                replay: r,
            },
        )
    }

    fn failing(r: &Readiness) -> Vec<&'static str> {
        r.failing().map(|i| i.code.as_str()).collect()
    }

    #[test]
    fn everything_in_order_is_ready() {
        let f = ok_findings();
        let r = run(Some(&f), Some(NOW - 15 * DAY), &window(), &ReplayOutcome::default());
        assert!(r.ready, "{r:#?}");
        assert_eq!(r.items.len(), GateCode::ALL.len());
        let codes: Vec<GateCode> = r.items.iter().map(|i| i.code).collect();
        assert_eq!(codes, GateCode::ALL);
        // 5 of 100,012 sessions are MTA-STS-relevant (DANE's 7 are not).
        let rate = r.items.iter().find(|i| i.code == GateCode::FailureRate).unwrap();
        assert_eq!(
            rate.detail,
            "0.005 % of 100012 sessions (limit 0.100 %): sts-policy-fetch-error 5."
        );
    }

    #[test]
    fn never_checked_fails_every_dns_item() {
        let r = run(None, Some(NOW - 20 * DAY), &window(), &ReplayOutcome::default());
        assert!(!r.ready);
        assert_eq!(
            failing(&r),
            [
                "dns-checked",
                "sts-record",
                "policy-fetch",
                "tlsrpt-record",
                "mx-covered",
                "mx-certificates"
            ]
        );
    }

    #[test]
    fn a_stale_check_fails() {
        let f = ok_findings();
        let r = evaluate(
            &GateConfig::default(),
            &GateInput {
                now: NOW,
                dns: Some((&f, NOW - 30 * 3600)),
                testing_since: Some(NOW - 20 * DAY),
                window: &window(),
                replay: &ReplayOutcome::default(),
            },
        );
        assert_eq!(failing(&r), ["dns-checked"]);
        assert_eq!(r.items[0].detail, "Last checked 30 hours ago: check again.");
    }

    #[test]
    fn each_dns_problem_fails_its_own_item() {
        let cases = [
            (FindingCode::StsRecordIdMismatch, Severity::Error, "sts-record"),
            (FindingCode::StsRecordMultiple, Severity::Error, "sts-record"),
            (FindingCode::PolicyFetchCertExpiring, Severity::Warning, "policy-fetch"),
            (FindingCode::PolicyFetchConnect, Severity::Error, "policy-fetch"),
            (FindingCode::TlsRptRecordMissing, Severity::Error, "tlsrpt-record"),
            (FindingCode::MxUncovered, Severity::Error, "mx-covered"),
            (FindingCode::StartTlsCertExpiring, Severity::Warning, "mx-certificates"),
            (FindingCode::StartTlsCertName, Severity::Error, "mx-certificates"),
            (FindingCode::StartTlsNotOffered, Severity::Error, "mx-certificates"),
        ];
        for (code, severity, item) in cases {
            let mut f = ok_findings();
            f.push(Finding::new(code, severity, "mx2.example.com"));
            let r = run(Some(&f), Some(NOW - 20 * DAY), &window(), &ReplayOutcome::default());
            assert_eq!(failing(&r), [item], "{code:?}");
            let detail = &r.items.iter().find(|i| i.code.as_str() == item).unwrap().detail;
            assert!(
                detail.contains(code.title()) && detail.contains("mx2.example.com"),
                "{detail}"
            );
        }
        // A missing ok finding is a failure too (the check did not get that far).
        let f: Vec<Finding> = ok_findings()
            .into_iter()
            .filter(|f| f.code != FindingCode::StartTlsOk.as_str())
            .collect();
        let r = run(Some(&f), Some(NOW - 20 * DAY), &window(), &ReplayOutcome::default());
        assert_eq!(failing(&r), ["mx-certificates"]);
    }

    #[test]
    fn testing_period_counts_whole_days() {
        let f = ok_findings();
        let r = run(
            Some(&f),
            Some(NOW - 13 * DAY - 3600),
            &window(),
            &ReplayOutcome::default(),
        );
        assert_eq!(failing(&r), ["testing-period"]);
        let item = r.items.iter().find(|i| i.code == GateCode::TestingPeriod).unwrap();
        assert_eq!(item.detail, "13 of 14 days in testing: 1 to go.");
        let r = run(Some(&f), None, &window(), &ReplayOutcome::default());
        assert_eq!(failing(&r), ["testing-period"]);
        let r = run(Some(&f), Some(NOW - 14 * DAY), &window(), &ReplayOutcome::default());
        assert!(r.ready);
    }

    #[test]
    fn reports_need_volume_and_two_senders() {
        let f = ok_findings();
        for (reports, orgs, ok) in [(4, 2, false), (5, 1, false), (5, 2, true)] {
            let w = WindowTotals {
                reports,
                organizations: orgs,
                sources: orgs,
                ..window()
            };
            let r = run(Some(&f), Some(NOW - 20 * DAY), &w, &ReplayOutcome::default());
            assert_eq!(r.ready, ok, "{reports} reports from {orgs}");
        }
    }

    #[test]
    fn reports_claiming_many_senders_from_one_source_do_not_open_the_gate() {
        let f = ok_findings();
        // Nine reports naming three organisations, all POSTed from one address, none signed.
        let forged = WindowTotals {
            sources: 1,
            authenticated_sources: 0,
            ..window()
        };
        let r = run(Some(&f), Some(NOW - 20 * DAY), &forged, &ReplayOutcome::default());
        assert_eq!(failing(&r), ["reports"]);
        let item = r.items.iter().find(|i| i.code == GateCode::Reports).unwrap();
        assert!(
            item.detail
                .starts_with("9 report(s) from 3 organisation(s) through 1 distinct source(s), 0 DKIM-authenticated"),
            "{}",
            item.detail
        );
        let two = WindowTotals { sources: 2, ..forged };
        assert!(run(Some(&f), Some(NOW - 20 * DAY), &two, &ReplayOutcome::default()).ready);
    }

    #[test]
    fn failure_rate_threshold_is_strict_and_lists_failures() {
        let f = ok_findings();
        // 10 of 10,000 = exactly 0.1 %: not below the limit.
        let w = WindowTotals {
            successful: 9_990,
            failed: 10,
            failed_by_result: vec![("certificate-expired".into(), 6), ("starttls-not-supported".into(), 4)],
            ..window()
        };
        let r = run(Some(&f), Some(NOW - 20 * DAY), &w, &ReplayOutcome::default());
        assert_eq!(failing(&r), ["failure-rate"]);
        let item = r.items.iter().find(|i| i.code == GateCode::FailureRate).unwrap();
        assert!(
            item.detail.contains("certificate-expired 6, starttls-not-supported 4"),
            "{}",
            item.detail
        );
        let w = WindowTotals {
            successful: 10_000,
            failed: 9,
            failed_by_result: vec![("certificate-expired".into(), 9)],
            ..window()
        };
        assert!(run(Some(&f), Some(NOW - 20 * DAY), &w, &ReplayOutcome::default()).ready);
        let none = WindowTotals::default();
        let r = run(Some(&f), Some(NOW - 20 * DAY), &none, &ReplayOutcome::default());
        assert_eq!(failing(&r), ["reports", "failure-rate"]);
    }

    #[test]
    fn replay_refusals_fail_the_gate_with_senders_named() {
        let f = ok_findings();
        let replay = ReplayOutcome {
            refused_sessions: 4,
            by_sender: vec![("Google".into(), 3), ("Yahoo".into(), 1)],
            uncovered_live_mx: vec!["mx3.example.com".into()],
            ..ReplayOutcome::default()
        };
        let r = run(Some(&f), Some(NOW - 20 * DAY), &window(), &replay);
        assert_eq!(failing(&r), ["replay"]);
        assert_eq!(
            r.items.last().unwrap().detail,
            "4 session(s) would have been refused, from Google (3), Yahoo (1); live MX not in the policy: mx3.example.com."
        );
    }

    #[test]
    fn relevance_of_result_types() {
        assert!(is_sts_relevant("certificate-expired"));
        assert!(is_sts_relevant("sts-policy-fetch-error"));
        assert!(is_sts_relevant("something-new"));
        assert!(!is_sts_relevant("tlsa-invalid"));
        assert!(!is_sts_relevant("dane-required"));
    }
}
