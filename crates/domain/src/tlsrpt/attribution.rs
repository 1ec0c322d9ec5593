//! Which policy domain each part of a report is about. A report may cover several domains, each
//! perhaps owned by a different organisation; each owner gets only its own policies.

use std::collections::HashMap;

use super::model::{PolicyResult, Report};

/// The policies of one report that concern one domain.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainShare<'a> {
    /// Lower-case, without a trailing dot.
    pub domain: String,
    pub policies: Vec<&'a PolicyResult>,
}

impl DomainShare<'_> {
    pub fn totals(&self) -> (u64, u64) {
        self.policies.iter().fold((0, 0), |(ok, failed), p| {
            (
                ok.saturating_add(p.summary.total_successful_session_count),
                failed.saturating_add(p.summary.total_failure_session_count),
            )
        })
    }
}

/// The report split by domain. A policy that names no domain belongs to `hint` (the mail's
/// `TLS-Report-Domain` or the attachment name), or else to the report's only named domain.
/// Returns the shares and how many policies could not be placed.
pub fn split_by_domain<'a>(report: &'a Report, hint: Option<&str>) -> (Vec<DomainShare<'a>>, usize) {
    let named = report.policy_domains();
    let fallback = hint
        .map(normalise)
        .filter(|h| !h.is_empty())
        .or_else(|| (named.len() == 1).then(|| named[0].clone()));
    let mut shares: Vec<DomainShare<'a>> = Vec::new();
    // Where each domain's share sits in `shares`: one hash look-up per policy, however many
    // domains a report names.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut unplaced = 0;
    for policy in &report.policies {
        let domain = match policy.policy.policy_domain.as_deref() {
            Some(name) => normalise(name),
            None => match &fallback {
                Some(name) => name.clone(),
                None => {
                    unplaced += 1;
                    continue;
                }
            },
        };
        match index.get(&domain) {
            Some(&at) => shares[at].policies.push(policy),
            None => {
                index.insert(domain.clone(), shares.len());
                shares.push(DomainShare {
                    domain,
                    policies: vec![policy],
                });
            }
        }
    }
    if report.policies.is_empty() {
        if let Some(domain) = fallback {
            shares.push(DomainShare {
                domain,
                policies: vec![],
            });
        }
    }
    (shares, unplaced)
}

fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlsrpt::parse_report;

    fn report(policies: &str) -> Report {
        parse_report(
            format!(
                r#"{{"organization-name":"O","report-id":"r","date-range":{{"start-datetime":"2026-01-01T00:00:00Z","end-datetime":"2026-01-02T00:00:00Z"}},"policies":[{policies}]}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    fn policy(domain: Option<&str>, ok: u64) -> String {
        let domain = domain.map(|d| format!(r#","policy-domain":"{d}""#)).unwrap_or_default();
        format!(r#"{{"policy":{{"policy-type":"sts"{domain}}},"summary":{{"total-successful-session-count":{ok}}}}}"#)
    }

    #[test]
    fn policies_are_grouped_per_domain_case_insensitively() {
        let r = report(
            &[
                policy(Some("A.example."), 1),
                policy(Some("b.example"), 2),
                policy(Some("a.example"), 4),
            ]
            .join(","),
        );
        let (shares, unplaced) = split_by_domain(&r, None);
        assert_eq!(unplaced, 0);
        assert_eq!(shares.len(), 2);
        assert_eq!(shares[0].domain, "a.example");
        assert_eq!(shares[0].totals(), (5, 0));
        assert_eq!(shares[1].domain, "b.example");
        assert_eq!(shares[1].totals(), (2, 0));
    }

    #[test]
    fn unnamed_policies_follow_the_hint_or_the_only_named_domain() {
        let r = report(&[policy(None, 1), policy(Some("a.example"), 2)].join(","));
        let (shares, unplaced) = split_by_domain(&r, None);
        assert_eq!((shares.len(), unplaced), (1, 0));
        assert_eq!(shares[0].totals(), (3, 0));

        let r = report(
            &[
                policy(None, 1),
                policy(Some("a.example"), 2),
                policy(Some("b.example"), 4),
            ]
            .join(","),
        );
        let (shares, unplaced) = split_by_domain(&r, None);
        assert_eq!((shares.len(), unplaced), (2, 1));
        let (shares, unplaced) = split_by_domain(&r, Some("B.example"));
        assert_eq!(unplaced, 0);
        assert_eq!(
            shares.iter().find(|s| s.domain == "b.example").unwrap().totals(),
            (5, 0)
        );

        let r = report(&policy(None, 1));
        assert_eq!(split_by_domain(&r, None), (vec![], 1));
    }

    #[test]
    fn an_empty_report_belongs_to_its_hint_if_any() {
        let r = report("");
        assert_eq!(split_by_domain(&r, None), (vec![], 0));
        let (shares, _) = split_by_domain(&r, Some("a.example"));
        assert_eq!(
            shares,
            vec![DomainShare {
                domain: "a.example".into(),
                policies: vec![]
            }]
        );
    }
}
