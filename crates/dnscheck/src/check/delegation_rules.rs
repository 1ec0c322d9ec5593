//! Delegation and proof of control: where the three delegation CNAMEs point, and whether the
//! organisation has shown it controls the domain (one delegation CNAME naming its token, or the
//! token in a TXT record). Pure rules; `Checker` does the look-ups.

use super::lookup_failed;
use crate::{DnsError, TxtAnswer};
use portcullis_domain::dns::{
    challenge_record, Delegated, Finding, FindingCode as C, ProofToken, Severity, CHALLENGE_PREFIX,
};
use portcullis_domain::DomainName;

/// What the check knows of the registration: its token, the delegated zone (when this server
/// runs one), whether the owner chose delegation, and whether control is already proven.
#[derive(Debug, Clone)]
pub struct ProofCheck {
    pub token: ProofToken,
    pub zone: Option<String>,
    pub delegated: bool,
    pub proven: bool,
}

/// What the DNS answered for the delegation names and the TXT proof.
pub(super) struct DelegationAnswers<'a> {
    /// The CNAME at each of [`Delegated::ALL`]'s owner names.
    pub cnames: &'a [Result<Option<String>, DnsError>; 3],
    /// The TXT records at the challenge name; `None` when not looked up (already proven).
    pub challenge: Option<&'a Result<TxtAnswer, DnsError>>,
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

pub(super) fn delegation_findings(
    domain: &DomainName,
    proof: &ProofCheck,
    answers: DelegationAnswers<'_>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut delegated = 0;
    if let Some(zone) = &proof.zone {
        for (kind, answer) in Delegated::ALL.into_iter().zip(answers.cnames) {
            let owner = kind.owner_name(domain);
            let expected = kind.target(&proof.token, zone);
            match answer {
                Ok(Some(target)) if same_name(target, &expected) => delegated += 1,
                // A hand-published setup may alias these names elsewhere on purpose; the record
                // checks judge what they lead to.
                _ if !proof.delegated => {}
                Ok(Some(target)) => out.push(
                    Finding::new(C::DelegationWrong, Severity::Error, &owner)
                        .seen(format!("{owner} is a CNAME to {target}"))
                        .expected(format!("{owner} CNAME {expected}."))
                        .fix(format!("change the CNAME at {owner} to {expected}.")),
                ),
                Ok(None) => out.push(
                    Finding::new(C::DelegationMissing, Severity::Error, &owner)
                        .seen(format!("no CNAME at {owner}"))
                        .expected(format!("{owner} CNAME {expected}."))
                        .fix(format!(
                            "publish {owner} CNAME {expected}. (and remove any other record at that name)"
                        )),
                ),
                Err(e) => out.push(lookup_failed(&owner, e)),
            }
        }
        if delegated == Delegated::ALL.len() {
            out.push(
                Finding::new(C::DelegationOk, Severity::Ok, domain.as_str())
                    .seen(format!(
                        "_mta-sts, _smtp._tls and mta-sts.{domain} are CNAMEs into {zone}: this server keeps the records behind them current"
                    ))
                    .expected("the three delegation CNAMEs"),
            );
        }
    }
    if proof.proven {
        return out;
    }
    let txt = challenge_record(domain, &proof.token);
    let by_txt = matches!(answers.challenge, Some(Ok(found)) if found.records.iter().any(|r| r.trim() == txt.value));
    if delegated > 0 {
        out.push(
            Finding::new(C::ProofByDelegation, Severity::Ok, domain.as_str())
                .seen("a delegation CNAME names this registration's token")
                .expected("a delegation CNAME or the TXT token"),
        );
    } else if by_txt {
        out.push(
            Finding::new(C::ProofByTxt, Severity::Ok, &txt.name)
                .seen(format!("TXT \"{}\" at {}", txt.value, txt.name))
                .expected("a delegation CNAME or the TXT token"),
        );
    } else {
        let seen = match answers.challenge {
            Some(Ok(found)) if !found.records.is_empty() => format!(
                "no delegation CNAME, and the TXT records at {} do not hold this registration's token ({CHALLENGE_PREFIX}…)",
                txt.name
            ),
            _ => format!("no delegation CNAME and no TXT record at {}", txt.name),
        };
        let expected = match &proof.zone {
            Some(zone) => format!(
                "{} CNAME {}. (the delegation), or TXT \"{}\" at {}",
                Delegated::StsRecord.owner_name(domain),
                Delegated::StsRecord.target(&proof.token, zone),
                txt.value,
                txt.name
            ),
            None => format!("TXT \"{}\" at {}", txt.value, txt.name),
        };
        out.push(
            Finding::new(C::ProofMissing, Severity::Error, domain.as_str())
                .seen(seen)
                .expected(expected)
                .fix("publish one of them and check again: until control is proven no policy is served, no certificate is ordered and no report is attributed"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn proof(delegated: bool, proven: bool) -> ProofCheck {
        ProofCheck {
            token: ProofToken::parse(TOKEN).unwrap(),
            zone: Some("sts.msp.test".into()),
            delegated,
            proven,
        }
    }

    fn codes(findings: &[Finding]) -> Vec<(&str, Severity)> {
        findings.iter().map(|f| (f.code.as_str(), f.severity)).collect()
    }

    fn target(prefix: &str) -> Result<Option<String>, DnsError> {
        Ok(Some(format!("{prefix}.{TOKEN}.STS.msp.test")))
    }

    fn txt(records: &[&str]) -> Result<TxtAnswer, DnsError> {
        Ok(TxtAnswer {
            records: records.iter().map(|r| r.to_string()).collect(),
            via_cname: None,
        })
    }

    /// What is asked, the proof state, the CNAMEs, the TXT answer, and the findings expected.
    type Case<'a> = (
        &'a str,
        ProofCheck,
        &'a [Result<Option<String>, DnsError>; 3],
        Option<&'a Result<TxtAnswer, DnsError>>,
        Vec<(&'a str, Severity)>,
    );

    #[test]
    fn table() {
        let d = DomainName::parse("example.com").unwrap();
        let all = [target("_mta-sts"), target("_smtp._tls"), target("mta-sts")];
        let none = [Ok(None), Ok(None), Ok(None)];
        let wrong = [target("_mta-sts"), Ok(Some("elsewhere.example".into())), Ok(None)];
        let token_txt = txt(&[&format!("portcullis-proof={TOKEN}")]);
        let other_txt = txt(&["portcullis-proof=ffffffffffffffffffffffffffffffff"]);
        let empty_txt = txt(&[]);
        let cases: Vec<Case<'_>> = vec![
            (
                "all three delegated, unproven",
                proof(true, false),
                &all,
                Some(&other_txt),
                vec![("delegation-ok", Severity::Ok), ("proof-delegation", Severity::Ok)],
            ),
            (
                "delegated and proven",
                proof(true, true),
                &all,
                None,
                vec![("delegation-ok", Severity::Ok)],
            ),
            (
                "delegation chosen, one wrong, one missing; one CNAME is enough proof",
                proof(true, false),
                &wrong,
                None,
                vec![
                    ("delegation-wrong", Severity::Error),
                    ("delegation-missing", Severity::Error),
                    ("proof-delegation", Severity::Ok),
                ],
            ),
            (
                "manual setup: other CNAMEs are not judged here",
                proof(false, true),
                &wrong,
                None,
                vec![],
            ),
            (
                "TXT proof",
                proof(false, false),
                &none,
                Some(&token_txt),
                vec![("proof-txt", Severity::Ok)],
            ),
            (
                "another registration's token proves nothing",
                proof(false, false),
                &none,
                Some(&other_txt),
                vec![("proof-missing", Severity::Error)],
            ),
            (
                "nothing published",
                proof(true, false),
                &none,
                Some(&empty_txt),
                vec![
                    ("delegation-missing", Severity::Error),
                    ("delegation-missing", Severity::Error),
                    ("delegation-missing", Severity::Error),
                    ("proof-missing", Severity::Error),
                ],
            ),
        ];
        for (what, p, cnames, challenge, want) in cases {
            let found = delegation_findings(&d, &p, DelegationAnswers { cnames, challenge });
            assert_eq!(codes(&found), want, "{what}");
        }
    }

    #[test]
    fn without_a_zone_only_the_txt_proves() {
        let d = DomainName::parse("example.com").unwrap();
        let p = ProofCheck {
            zone: None,
            ..proof(false, false)
        };
        let found = delegation_findings(
            &d,
            &p,
            DelegationAnswers {
                cnames: &[target("_mta-sts"), Ok(None), Ok(None)],
                challenge: Some(&txt(&[])),
            },
        );
        assert_eq!(codes(&found), vec![("proof-missing", Severity::Error)]);
        assert!(
            found[0].expected.starts_with("TXT \"portcullis-proof="),
            "{}",
            found[0].expected
        );
    }
}
