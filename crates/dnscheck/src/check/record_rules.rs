//! The `_mta-sts` and `_smtp._tls` records: findings from what the DNS answered. Pure rules;
//! `Checker` does the look-ups.

use super::{lookup_failed, CurrentPolicy};
use crate::{DnsError, TxtAnswer};
use portcullis_domain::dns::{
    is_sts_record, is_tlsrpt_record, Finding, FindingCode as C, ReportAddresses, RuaUri, Severity, StsRecord,
    TlsRptRecord, TlsRptRecordError,
};
use portcullis_domain::DomainName;

/// The `_mta-sts` record: what the DNS answered at `_mta-sts.<domain>` and at the domain itself.
pub(super) fn sts_findings(
    domain: &DomainName,
    policy: Option<&CurrentPolicy>,
    answer: Result<&TxtAnswer, &DnsError>,
    apex: Option<&TxtAnswer>,
) -> Vec<Finding> {
    let name = format!("_mta-sts.{domain}");
    let mut out = Vec::new();
    if let Some(apex) = apex {
        if let Some(r) = apex.records.iter().find(|r| is_sts_record(r)) {
            out.push(
                Finding::new(C::StsRecordAtApex, Severity::Warning, domain.as_str())
                    .seen(format!("TXT \"{r}\" at {}", domain))
                    .expected(format!("the record at {name}, not at the domain itself"))
                    .fix(format!("delete it from {} and publish it at {name}", domain)),
            );
        }
    }
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            out.insert(0, lookup_failed(&name, e));
            return out;
        }
    };
    let expected = policy
        .map(|p| StsRecord::render(&p.id))
        .unwrap_or_else(|| "v=STSv1; id=<the policy id>".into());
    if let Some(target) = &answer.via_cname {
        out.push(
            Finding::new(C::StsRecordCname, Severity::Ok, &name)
                .seen(format!("{name} is a CNAME to {target}; senders follow it"))
                .expected("a TXT record, directly or through a CNAME"),
        );
    }
    let candidates: Vec<&String> = answer.records.iter().filter(|r| is_sts_record(r)).collect();
    let finding = match candidates.as_slice() {
        [] => {
            let seen = if answer.records.is_empty() {
                "no TXT record".to_string()
            } else {
                format!(
                    "TXT records that do not start with v=STSv1: {}",
                    quoted(&answer.records)
                )
            };
            let severity = if policy.is_some() {
                Severity::Error
            } else {
                Severity::Warning
            };
            Finding::new(C::StsRecordMissing, severity, &name)
                .seen(seen)
                .expected(&expected)
                .fix(format!(
                    "publish TXT {name} \"{expected}\"; until then senders ignore the policy"
                ))
        }
        [one] => match StsRecord::parse(one) {
            Err(e) => Finding::new(C::StsRecordSyntax, Severity::Error, &name)
                .seen(format!("\"{one}\": {e}"))
                .expected(&expected)
                .fix(format!("replace the record with \"{expected}\"")),
            Ok(record) => {
                if !record.unknown_tags.is_empty() {
                    out.push(
                        Finding::new(C::StsRecordUnknownTag, Severity::Warning, &name)
                            .seen(format!("\"{one}\" has {}", record.unknown_tags.join(", ")))
                            .expected("only v= and id=")
                            .fix("senders ignore unknown tags; remove them unless you added them on purpose"),
                    );
                }
                match policy {
                    Some(p) if p.id != record.id => Finding::new(C::StsRecordIdMismatch, Severity::Error, &name)
                        .seen(format!("id={}", record.id))
                        .expected(format!("id={}", p.id))
                        .fix(format!(
                            "update the TXT record to \"{expected}\": senders that saw id={} keep their cached \
                             copy of the old policy until the id changes",
                            record.id
                        )),
                    _ => Finding::new(C::StsRecordOk, Severity::Ok, &name)
                        .seen(format!("\"{one}\""))
                        .expected(&expected),
                }
            }
        },
        many => Finding::new(C::StsRecordMultiple, Severity::Error, &name)
            .seen(format!("{} records: {}", many.len(), quoted(&answer.records)))
            .expected(format!("exactly one: \"{expected}\""))
            .fix("delete all but one; with several v=STSv1 records senders treat the domain as having no policy"),
    };
    out.insert(0, finding);
    out
}

/// The `_smtp._tls` record, and whether its `rua` addresses reach this server (`reports`).
pub(super) fn tlsrpt_findings(
    domain: &DomainName,
    reports: &ReportAddresses,
    answer: Result<&TxtAnswer, &DnsError>,
) -> Vec<Finding> {
    let name = format!("_smtp._tls.{domain}");
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return vec![lookup_failed(&name, e)],
    };
    let ours = reports.uris();
    let expected = if ours.is_empty() {
        "v=TLSRPTv1; rua=mailto:<your report address>".to_string()
    } else {
        TlsRptRecord::render(&ours)
    };
    let candidates: Vec<&String> = answer.records.iter().filter(|r| is_tlsrpt_record(r)).collect();
    let finding = match candidates.as_slice() {
        [] => Finding::new(C::TlsRptRecordMissing, Severity::Warning, &name)
            .seen(if answer.records.is_empty() {
                "no TXT record".to_string()
            } else {
                format!("TXT records that do not start with v=TLSRPTv1: {}", quoted(&answer.records))
            })
            .expected(&expected)
            .fix(format!(
                "publish TXT {name} \"{expected}\" to receive reports of failed deliveries"
            )),
        [one] => match TlsRptRecord::parse(one) {
            Err(e @ (TlsRptRecordError::BadUri(_) | TlsRptRecordError::Scheme(_))) => {
                Finding::new(C::TlsRptRuaInvalid, Severity::Error, &name)
                    .seen(format!("\"{one}\": {e}"))
                    .expected(&expected)
                    .fix("use mailto:<local part>@<domain> or https://<host>/<path> addresses")
            }
            Err(e) => Finding::new(C::TlsRptRecordSyntax, Severity::Error, &name)
                .seen(format!("\"{one}\": {e}"))
                .expected(&expected)
                .fix(format!("replace the record with \"{expected}\"")),
            Ok(record) => {
                let here = record.rua.iter().any(|uri| points_here(uri, reports));
                if ours.is_empty() || here {
                    Finding::new(C::TlsRptRecordOk, Severity::Ok, &name)
                        .seen(format!("\"{one}\""))
                        .expected(&expected)
                } else {
                    Finding::new(C::TlsRptRuaElsewhere, Severity::Warning, &name)
                        .seen(format!(
                            "reports go to {}",
                            record.rua.iter().map(RuaUri::as_uri).collect::<Vec<_>>().join(", ")
                        ))
                        .expected(format!("one of {}", ours.join(", ")))
                        .fix(format!(
                            "add this server's address to rua (\"{expected}\") to see the reports here"
                        ))
                }
            }
        },
        many => Finding::new(C::TlsRptRecordMultiple, Severity::Error, &name)
            .seen(format!("{} records: {}", many.len(), quoted(&answer.records)))
            .expected(format!("exactly one: \"{expected}\""))
            .fix("merge them into one record (rua takes several addresses, comma-separated); with several, senders send no reports"),
    };
    vec![finding]
}

fn points_here(uri: &RuaUri, ours: &ReportAddresses) -> bool {
    match uri {
        RuaUri::Mailto { address } => ours.mailto.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(address)),
        RuaUri::Https { url, .. } => ours
            .https
            .as_deref()
            .is_some_and(|h| h.trim_end_matches('/') == url.trim_end_matches('/')),
    }
}

fn quoted(records: &[String]) -> String {
    records
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_domain::policy::PolicyId;

    /// What the DNS answered, the apex TXT, whether a policy is hosted, the findings expected.
    type StsCase<'a> = (
        Result<TxtAnswer, &'a DnsError>,
        Option<TxtAnswer>,
        bool,
        Vec<(C, Severity)>,
    );
    /// What the DNS answered, this server's addresses, the finding expected.
    type TlsRptCase<'a> = (Result<TxtAnswer, &'a DnsError>, &'a ReportAddresses, (C, Severity));

    fn txt(records: &[&str]) -> TxtAnswer {
        TxtAnswer {
            records: records.iter().map(|r| r.to_string()).collect(),
            via_cname: None,
        }
    }

    fn codes(findings: &[Finding]) -> Vec<(String, Severity)> {
        findings.iter().map(|f| (f.code.clone(), f.severity)).collect()
    }

    #[test]
    fn sts_record_rules() {
        let domain = DomainName::parse("example.com").unwrap();
        let current = CurrentPolicy {
            id: PolicyId::new("20261201T000000").unwrap(),
            text: String::new(),
        };
        let failed = DnsError::Timeout;
        let mut via_cname = txt(&["v=STSv1; id=20261201T000000"]);
        via_cname.via_cname = Some("sts.example.net".into());
        let cases: Vec<StsCase> = vec![
            (
                Ok(txt(&[])),
                None,
                false,
                vec![(C::StsRecordMissing, Severity::Warning)],
            ),
            (Ok(txt(&[])), None, true, vec![(C::StsRecordMissing, Severity::Error)]),
            (
                Ok(txt(&["v=spf1 -all"])),
                None,
                true,
                vec![(C::StsRecordMissing, Severity::Error)],
            ),
            (
                Ok(txt(&["v=STSv1; id=20261201T000000"])),
                None,
                true,
                vec![(C::StsRecordOk, Severity::Ok)],
            ),
            (
                Ok(txt(&["v=STSv1; id=20250101T000000"])),
                None,
                true,
                vec![(C::StsRecordIdMismatch, Severity::Error)],
            ),
            (
                Ok(txt(&["v=STSv1; id=20250101T000000"])),
                None,
                false,
                vec![(C::StsRecordOk, Severity::Ok)],
            ),
            (
                Ok(txt(&["v=STSv1; id="])),
                None,
                true,
                vec![(C::StsRecordSyntax, Severity::Error)],
            ),
            (
                Ok(txt(&["v=STSv1; id=20261201T000000; x=1"])),
                None,
                true,
                vec![
                    (C::StsRecordOk, Severity::Ok),
                    (C::StsRecordUnknownTag, Severity::Warning),
                ],
            ),
            (
                Ok(txt(&["v=STSv1; id=1", "v=STSv1; id=2"])),
                None,
                true,
                vec![(C::StsRecordMultiple, Severity::Error)],
            ),
            (
                Ok(via_cname),
                None,
                true,
                vec![(C::StsRecordOk, Severity::Ok), (C::StsRecordCname, Severity::Ok)],
            ),
            (
                Ok(txt(&["v=STSv1; id=20261201T000000"])),
                Some(txt(&["v=STSv1; id=20261201T000000"])),
                true,
                vec![(C::StsRecordOk, Severity::Ok), (C::StsRecordAtApex, Severity::Warning)],
            ),
            (
                Err(&failed),
                Some(txt(&["v=STSv1; id=1"])),
                true,
                vec![
                    (C::LookupFailed, Severity::Error),
                    (C::StsRecordAtApex, Severity::Warning),
                ],
            ),
        ];
        for (answer, apex, hosted, expected) in cases {
            let policy = hosted.then_some(&current);
            let found = sts_findings(&domain, policy, answer.as_ref().map_err(|e| *e), apex.as_ref());
            let expected: Vec<(String, Severity)> =
                expected.into_iter().map(|(c, s)| (c.as_str().to_string(), s)).collect();
            assert_eq!(
                codes(&found),
                expected,
                "answer {answer:?}, apex {apex:?}, hosted {hosted}"
            );
        }
    }

    #[test]
    fn tlsrpt_record_rules() {
        let domain = DomainName::parse("example.com").unwrap();
        let ours = ReportAddresses {
            mailto: Some("tlsrpt@reports.example.net".into()),
            https: Some("https://reports.example.net/tlsrpt".into()),
        };
        let none = ReportAddresses {
            mailto: None,
            https: None,
        };
        let failed = DnsError::Failed("SERVFAIL".into());
        let cases: Vec<TlsRptCase> = vec![
            (Ok(txt(&[])), &ours, (C::TlsRptRecordMissing, Severity::Warning)),
            (
                Ok(txt(&["v=TLSRPTv1; rua=mailto:tlsrpt@reports.example.net"])),
                &ours,
                (C::TlsRptRecordOk, Severity::Ok),
            ),
            (
                Ok(txt(&["v=TLSRPTv1; rua=https://reports.example.net/tlsrpt/"])),
                &ours,
                (C::TlsRptRecordOk, Severity::Ok),
            ),
            (
                Ok(txt(&["v=TLSRPTv1; rua=mailto:other@example.org"])),
                &ours,
                (C::TlsRptRuaElsewhere, Severity::Warning),
            ),
            (
                Ok(txt(&["v=TLSRPTv1; rua=mailto:other@example.org"])),
                &none,
                (C::TlsRptRecordOk, Severity::Ok),
            ),
            (
                Ok(txt(&["v=TLSRPTv1; rua=ftp://example.org/x"])),
                &ours,
                (C::TlsRptRuaInvalid, Severity::Error),
            ),
            (
                Ok(txt(&["v=TLSRPTv1"])),
                &ours,
                (C::TlsRptRecordSyntax, Severity::Error),
            ),
            (
                Ok(txt(&[
                    "v=TLSRPTv1; rua=mailto:a@example.org",
                    "v=TLSRPTv1; rua=mailto:b@example.org",
                ])),
                &ours,
                (C::TlsRptRecordMultiple, Severity::Error),
            ),
            (Err(&failed), &ours, (C::LookupFailed, Severity::Error)),
        ];
        for (answer, reports, (code, severity)) in cases {
            let found = tlsrpt_findings(&domain, reports, answer.as_ref().map_err(|e| *e));
            assert_eq!(
                codes(&found),
                vec![(code.as_str().to_string(), severity)],
                "answer {answer:?}"
            );
        }
    }
}
