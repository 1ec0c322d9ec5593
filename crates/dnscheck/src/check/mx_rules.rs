//! MX coverage: the domain's MX answer against the policy's `mx:` patterns. Pure rules; the
//! look-ups and the STARTTLS probes of each host are in `Checker`.

use super::lookup_failed;
use crate::{DnsError, MxAnswer};
use portcullis_domain::dns::{Finding, FindingCode as C, Severity};
use portcullis_domain::policy::{Mode, Policy};
use std::net::IpAddr;

/// The hosts to probe, and the findings on coverage; no host when the answer names none (a null
/// MX, no MX, no domain, a failed look-up), with the one finding that says so.
pub(super) fn coverage(
    domain: &str,
    answer: Result<&MxAnswer, &DnsError>,
    policy: Option<&Policy>,
) -> (Vec<String>, Vec<Finding>) {
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return (Vec::new(), vec![lookup_failed(domain, e)]),
    };
    let records = match answer {
        MxAnswer::Hosts { records } => records,
        MxAnswer::NullMx => {
            return (
                Vec::new(),
                vec![Finding::new(C::MxNull, Severity::Warning, domain)
                    .seen("MX 0 . (null MX)")
                    .expected("MX records for the hosts that receive mail")
                    .fix("the domain accepts no mail; MTA-STS protects nothing here, so serve mode none or remove it")],
            )
        }
        other => {
            return (
                Vec::new(),
                vec![Finding::new(C::MxNone, Severity::Error, domain)
                    .seen(if *other == MxAnswer::NoDomain {
                        "the domain does not exist (NXDOMAIN)"
                    } else {
                        "no MX records"
                    })
                    .expected("MX records for the hosts that receive mail")
                    .fix("publish MX records; MTA-STS cannot cover delivery to the domain's A/AAAA address")],
            )
        }
    };
    let hosts: Vec<String> = records.iter().map(|r| r.host.clone()).collect();
    let enforce = policy.is_some_and(|p| p.mode() == Mode::Enforce);
    let mut out = Vec::new();
    if let Some(p) = policy.filter(|p| p.mode() != Mode::None) {
        for host in &hosts {
            if host.parse::<IpAddr>().is_ok() {
                continue;
            }
            let pattern = p.mx().iter().find(|pat| pat.matches(host));
            out.push(match pattern {
                Some(pat) => Finding::new(C::MxCovered, Severity::Ok, host)
                    .seen(format!("matched by mx: {pat}"))
                    .expected("a matching mx: pattern"),
                None => Finding::new(
                    C::MxUncovered,
                    if enforce { Severity::Error } else { Severity::Warning },
                    host,
                )
                .seen(format!(
                    "no pattern matches; the policy lists {}",
                    p.mx().iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .expected(format!("a pattern matching {host}"))
                .fix(if enforce {
                    format!("add mx: {host} to the policy now: senders that enforce refuse to deliver to it")
                } else {
                    format!("add mx: {host} to the policy before switching to enforce")
                }),
            });
        }
        for pat in p.mx() {
            if !hosts.iter().any(|h| pat.matches(h)) {
                out.push(
                    Finding::new(C::MxPatternUnused, Severity::Warning, pat.as_str())
                        .seen(format!("mx: {pat} matches none of {}", hosts.join(", ")))
                        .expected("every pattern matching a live MX")
                        .fix("remove the pattern if that host no longer receives mail"),
                );
            }
        }
    }
    (hosts, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MxRecord;

    /// The answer, the policy, how many hosts are left to probe, the findings expected in order.
    type Case<'a> = (
        Result<&'a MxAnswer, &'a DnsError>,
        Option<&'a Policy>,
        usize,
        Vec<(C, Severity)>,
    );

    fn hosts(names: &[&str]) -> MxAnswer {
        MxAnswer::Hosts {
            records: names
                .iter()
                .map(|h| MxRecord {
                    preference: 10,
                    host: h.to_string(),
                })
                .collect(),
        }
    }

    fn policy(mode: &str, mx: &[&str]) -> Policy {
        let lines: String = mx.iter().map(|m| format!("mx: {m}\n")).collect();
        Policy::parse(&format!("version: STSv1\nmode: {mode}\n{lines}max_age: 86400\n")).unwrap()
    }

    #[test]
    fn mx_coverage_rules() {
        let failed = DnsError::Timeout;
        let two = hosts(&["mx1.example.com", "mx2.example.com"]);
        let with_ip = hosts(&["mx1.example.com", "192.0.2.1"]);
        let enforce_one = policy("enforce", &["mx1.example.com"]);
        let testing_one = policy("testing", &["mx1.example.com", "old.example.com"]);
        let testing_all = policy("testing", &["*.example.com"]);
        let none = policy("none", &[]);
        let cases: Vec<Case> = vec![
            (
                Err(&failed),
                Some(&enforce_one),
                0,
                vec![(C::LookupFailed, Severity::Error)],
            ),
            (
                Ok(&MxAnswer::NullMx),
                Some(&enforce_one),
                0,
                vec![(C::MxNull, Severity::Warning)],
            ),
            (Ok(&MxAnswer::NoMx), None, 0, vec![(C::MxNone, Severity::Error)]),
            (Ok(&MxAnswer::NoDomain), None, 0, vec![(C::MxNone, Severity::Error)]),
            (Ok(&two), None, 2, vec![]),
            (Ok(&two), Some(&none), 2, vec![]),
            (
                Ok(&two),
                Some(&testing_all),
                2,
                vec![(C::MxCovered, Severity::Ok), (C::MxCovered, Severity::Ok)],
            ),
            (
                Ok(&two),
                Some(&enforce_one),
                2,
                vec![(C::MxCovered, Severity::Ok), (C::MxUncovered, Severity::Error)],
            ),
            (
                Ok(&two),
                Some(&testing_one),
                2,
                vec![
                    (C::MxCovered, Severity::Ok),
                    (C::MxUncovered, Severity::Warning),
                    (C::MxPatternUnused, Severity::Warning),
                ],
            ),
            // An address is reported per host (mx-ip-address), not as uncovered.
            (Ok(&with_ip), Some(&enforce_one), 2, vec![(C::MxCovered, Severity::Ok)]),
        ];
        for (answer, policy, probed, expected) in cases {
            let (to_probe, found) = coverage("example.com", answer, policy);
            let found: Vec<(String, Severity)> = found.iter().map(|f| (f.code.clone(), f.severity)).collect();
            let expected: Vec<(String, Severity)> =
                expected.into_iter().map(|(c, s)| (c.as_str().to_string(), s)).collect();
            assert_eq!(
                (to_probe.len(), found),
                (probed, expected),
                "{answer:?} with {policy:?}"
            );
        }
    }
}
