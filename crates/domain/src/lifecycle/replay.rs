//! "What would break": the failed sessions of a testing window replayed against a candidate
//! enforce policy and the live MX set. In testing mode a sender that fails to validate TLS still
//! delivers; under enforce it refuses. Zero refused sessions is the goal before enforcing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::{Mode, Policy};
use crate::tlsrpt::ResultType;

/// One failure detail of the window, as stored (summed per day and source is fine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowFailure {
    /// `YYYY-MM-DD` (UTC), the report's day.
    pub day: String,
    pub organization: String,
    pub result_type: String,
    pub sending_ip: Option<String>,
    pub receiving_mx: Option<String>,
    pub failed: i64,
}

/// Why a session would have been refused under the candidate policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Refusal {
    /// The session reached an MX host the candidate policy does not list.
    MxNotInPolicy { mx: String },
    /// TLS to a listed MX failed validation (no STARTTLS, bad or expired certificate, ...).
    TlsFailure { result_type: String },
    /// A result type this version does not know: counted as refused, to be safe.
    Unknown { result_type: String },
}

impl Refusal {
    pub fn describe(&self) -> String {
        match self {
            Self::MxNotInPolicy { mx } => format!("{mx} is not listed in the policy"),
            Self::TlsFailure { result_type } => format!("TLS failed validation ({result_type})"),
            Self::Unknown { result_type } => format!("unknown failure {result_type:?}, counted to be safe"),
        }
    }
}

/// The replay's answer: refused sessions in all and broken down the ways the user fixes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayOutcome {
    pub refused_sessions: i64,
    /// Failed sessions that would still have been delivered (policy fetch problems, DANE), which
    /// the sender reports but does not refuse for under MTA-STS.
    pub delivered_despite_failure: i64,
    /// (day, sessions), by day.
    pub by_day: Vec<(String, i64)>,
    /// (sending organisation, sessions), most first.
    pub by_sender: Vec<(String, i64)>,
    /// (receiving MX, sessions), most first; `(not reported)` when the detail has none.
    pub by_mx: Vec<(String, i64)>,
    /// (reason, sessions), most first.
    pub by_reason: Vec<(Refusal, i64)>,
    /// Live MX hosts the candidate policy does not cover: every MTA-STS sender would skip them.
    pub uncovered_live_mx: Vec<String>,
}

impl ReplayOutcome {
    /// Nothing would have been refused and every live MX is covered.
    pub fn is_clean(&self) -> bool {
        self.refused_sessions == 0 && self.uncovered_live_mx.is_empty()
    }
}

/// Whether a session that failed with `result_type` to `mx` is refused under `policy`.
pub fn refusal(policy: &Policy, result_type: &str, mx: Option<&str>) -> Option<Refusal> {
    if policy.mode() != Mode::Enforce {
        return None;
    }
    if let Some(mx) = mx.map(|m| m.trim().trim_end_matches('.').to_ascii_lowercase()) {
        if !mx.is_empty() && !policy.mx().iter().any(|p| p.matches(&mx)) {
            return Some(Refusal::MxNotInPolicy { mx });
        }
    }
    match ResultType::parse(result_type) {
        ResultType::StarttlsNotSupported
        | ResultType::CertificateHostMismatch
        | ResultType::CertificateExpired
        | ResultType::CertificateNotTrusted
        | ResultType::ValidationFailure => Some(Refusal::TlsFailure {
            result_type: result_type.to_string(),
        }),
        // A sender that cannot fetch or validate the policy falls back to its cached policy or
        // to none (RFC 8461 §5): the fetch failure itself refuses nothing. DANE failures are
        // DANE's to enforce, whatever MTA-STS says.
        ResultType::StsPolicyFetchError
        | ResultType::StsPolicyInvalid
        | ResultType::StsWebpkiInvalid
        | ResultType::TlsaInvalid
        | ResultType::DnssecInvalid
        | ResultType::DaneRequired => None,
        ResultType::Other(_) => Some(Refusal::Unknown {
            result_type: result_type.to_string(),
        }),
    }
}

const NOT_REPORTED: &str = "(not reported)";

fn ranked<K: Ord>(map: BTreeMap<K, i64>) -> Vec<(K, i64)> {
    let mut v: Vec<(K, i64)> = map.into_iter().collect();
    // Stable: equal counts keep key order.
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    v
}

/// Replays `failures` and the live MX hosts against `candidate`.
pub fn replay(candidate: &Policy, failures: &[WindowFailure], live_mx: &[String]) -> ReplayOutcome {
    let mut out = ReplayOutcome::default();
    let (mut by_day, mut by_sender, mut by_mx, mut by_reason) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for f in failures {
        let failed = f.failed.max(0);
        match refusal(candidate, &f.result_type, f.receiving_mx.as_deref()) {
            None => out.delivered_despite_failure += failed,
            Some(reason) => {
                out.refused_sessions += failed;
                *by_day.entry(f.day.clone()).or_insert(0) += failed;
                *by_sender.entry(f.organization.clone()).or_insert(0) += failed;
                let mx = f.receiving_mx.clone().unwrap_or_else(|| NOT_REPORTED.to_string());
                *by_mx.entry(mx).or_insert(0) += failed;
                *by_reason.entry(reason).or_insert(0) += failed;
            }
        }
    }
    if candidate.mode() != Mode::Enforce {
        out.delivered_despite_failure = failures.iter().map(|f| f.failed.max(0)).sum();
    }
    out.by_day = by_day.into_iter().collect();
    out.by_sender = ranked(by_sender);
    out.by_mx = ranked(by_mx);
    out.by_reason = ranked(by_reason);
    let mut uncovered: Vec<String> = live_mx
        .iter()
        .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| !h.is_empty() && !candidate.mx().iter().any(|p| p.matches(h)))
        .collect();
    uncovered.sort();
    uncovered.dedup();
    out.uncovered_live_mx = uncovered;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::MxPattern;

    fn policy(mode: Mode, mx: &[&str]) -> Policy {
        Policy::new(mode, 604_800, mx.iter().map(|m| MxPattern::parse(m).unwrap()).collect()).unwrap()
    }

    fn failure(day: &str, org: &str, result: &str, mx: Option<&str>, failed: i64) -> WindowFailure {
        WindowFailure {
            day: day.into(),
            organization: org.into(),
            result_type: result.into(),
            sending_ip: Some("192.0.2.1".into()),
            receiving_mx: mx.map(str::to_string),
            failed,
        }
    }

    #[test]
    fn tls_failures_to_listed_mx_are_refused() {
        let p = policy(Mode::Enforce, &["mx1.example.com", "*.mx.example.com"]);
        for t in [
            "starttls-not-supported",
            "certificate-host-mismatch",
            "certificate-expired",
            "certificate-not-trusted",
            "validation-failure",
        ] {
            assert_eq!(
                refusal(&p, t, Some("mx1.example.com")),
                Some(Refusal::TlsFailure { result_type: t.into() }),
                "{t}"
            );
        }
    }

    #[test]
    fn fetch_and_dane_failures_are_not_refusals() {
        let p = policy(Mode::Enforce, &["mx1.example.com"]);
        for t in [
            "sts-policy-fetch-error",
            "sts-policy-invalid",
            "sts-webpki-invalid",
            "tlsa-invalid",
            "dnssec-invalid",
            "dane-required",
        ] {
            assert_eq!(refusal(&p, t, Some("mx1.example.com")), None, "{t}");
        }
    }

    #[test]
    fn an_mx_outside_the_policy_is_refused_whatever_the_result() {
        let p = policy(Mode::Enforce, &["*.mx.example.com"]);
        assert_eq!(
            refusal(&p, "sts-policy-fetch-error", Some("Backup.Example.NET.")),
            Some(Refusal::MxNotInPolicy {
                mx: "backup.example.net".into()
            })
        );
        // A wildcard covers one label only.
        assert!(matches!(
            refusal(&p, "certificate-expired", Some("a.b.mx.example.com")),
            Some(Refusal::MxNotInPolicy { .. })
        ));
        assert!(matches!(
            refusal(&p, "certificate-expired", Some("a.mx.example.com")),
            Some(Refusal::TlsFailure { .. })
        ));
    }

    #[test]
    fn unknown_results_count_as_refused_to_be_safe() {
        let p = policy(Mode::Enforce, &["mx1.example.com"]);
        assert_eq!(
            refusal(&p, "quantum-handshake-failure", None),
            Some(Refusal::Unknown {
                result_type: "quantum-handshake-failure".into()
            })
        );
    }

    #[test]
    fn nothing_is_refused_outside_enforce() {
        let failures = [failure(
            "2026-11-01",
            "Google",
            "certificate-expired",
            Some("mx9.other.net"),
            7,
        )];
        for mode in [Mode::Testing, Mode::None] {
            let out = replay(
                &policy(mode, &["mx1.example.com"]),
                &failures,
                &["mx9.other.net".into()],
            );
            assert_eq!(out.refused_sessions, 0);
            assert_eq!(out.delivered_despite_failure, 7);
        }
    }

    #[test]
    fn replay_sums_by_day_sender_mx_and_reason() {
        let p = policy(Mode::Enforce, &["mx1.example.com", "mx2.example.com"]);
        let failures = [
            failure(
                "2026-11-02",
                "Google",
                "certificate-expired",
                Some("mx1.example.com"),
                5,
            ),
            failure(
                "2026-11-01",
                "Microsoft",
                "starttls-not-supported",
                Some("mx2.example.com"),
                3,
            ),
            failure("2026-11-01", "Google", "sts-policy-fetch-error", None, 10),
            failure(
                "2026-11-02",
                "Yahoo",
                "validation-failure",
                Some("old-mx.example.com"),
                2,
            ),
            failure("2026-11-02", "Google", "certificate-expired", None, 1),
        ];
        let live = ["MX1.example.com.".to_string(), "mx3.example.com".into()];
        let out = replay(&p, &failures, &live);
        assert_eq!(out.refused_sessions, 11);
        assert_eq!(out.delivered_despite_failure, 10);
        assert_eq!(
            out.by_day,
            [("2026-11-01".to_string(), 3), ("2026-11-02".to_string(), 8)]
        );
        assert_eq!(
            out.by_sender,
            [
                ("Google".to_string(), 6),
                ("Microsoft".to_string(), 3),
                ("Yahoo".to_string(), 2)
            ]
        );
        assert_eq!(
            out.by_mx,
            [
                ("mx1.example.com".to_string(), 5),
                ("mx2.example.com".to_string(), 3),
                ("old-mx.example.com".to_string(), 2),
                ("(not reported)".to_string(), 1)
            ]
        );
        assert_eq!(
            out.by_reason[0],
            (
                Refusal::TlsFailure {
                    result_type: "certificate-expired".into()
                },
                6
            )
        );
        assert_eq!(out.uncovered_live_mx, ["mx3.example.com"]);
        assert!(!out.is_clean());
    }

    #[test]
    fn a_clean_window_is_clean() {
        let p = policy(Mode::Enforce, &["mx1.example.com"]);
        let failures = [failure("2026-11-01", "Google", "sts-policy-fetch-error", None, 4)];
        let out = replay(&p, &failures, &["mx1.example.com".into()]);
        assert!(out.is_clean(), "{out:?}");
        assert_eq!(out.delivered_despite_failure, 4);
        assert!(replay(&p, &[], &[]).is_clean());
    }
}
