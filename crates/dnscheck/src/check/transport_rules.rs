//! What TLS showed: a policy host's or MX's certificate, and the policy fetch as senders make
//! it. Pure rules over the facts the fetch and the probes gathered.

use super::{day, CurrentPolicy};
use crate::fetch::{FetchOutcome, MAX_POLICY_BODY};
use crate::settings::CheckSettings;
use crate::tls::{CertVerdict, TlsFacts};
use portcullis_domain::dns::{Finding, FindingCode as C, Severity};
use portcullis_domain::policy::Policy;

/// What a policy host's (or, with `starttls`, an MX's) certificate shows, at `now`.
pub(super) fn cert_findings(
    settings: &CheckSettings,
    now: i64,
    subject: &str,
    facts: &TlsFacts,
    starttls: bool,
) -> Vec<Finding> {
    let (name, expired, untrusted, expiring) = if starttls {
        (
            C::StartTlsCertName,
            C::StartTlsCertExpired,
            C::StartTlsCertUntrusted,
            C::StartTlsCertExpiring,
        )
    } else {
        (
            C::PolicyFetchCertName,
            C::PolicyFetchCertExpired,
            C::PolicyFetchCertUntrusted,
            C::PolicyFetchCertExpiring,
        )
    };
    let who = if starttls { "MX" } else { "policy host" };
    let covers = if facts.names.is_empty() {
        "no DNS names".to_string()
    } else {
        facts.names.join(", ")
    };
    let until = facts.not_after.map(day).unwrap_or_default();
    let mut out = Vec::new();
    match &facts.verdict {
        CertVerdict::WrongName => out.push(
            Finding::new(name, Severity::Error, subject)
                .seen(format!("the certificate covers {covers}"))
                .expected(format!("a certificate valid for {subject}"))
                .fix(if starttls {
                    format!("install a certificate naming {subject} on the MX, or make the policy's mx pattern match a name the certificate has")
                } else {
                    format!("serve a certificate for {subject} (this server obtains one by ACME once the name points here)")
                }),
        ),
        CertVerdict::Expired => out.push(
            Finding::new(expired, Severity::Error, subject)
                .seen(format!("the certificate expired on {until}"))
                .expected("a current certificate")
                .fix(format!("renew the {who}'s certificate; senders refuse expired ones")),
        ),
        CertVerdict::Untrusted(why) => out.push(
            Finding::new(untrusted, Severity::Error, subject)
                .seen(format!("the certificate does not chain to a public root: {why}"))
                .expected("a certificate from a publicly trusted CA, with its intermediates")
                .fix(format!("use a certificate from a public CA on the {who} and send the full chain")),
        ),
        CertVerdict::Valid => {
            if let Some(t) = facts.not_after {
                let days = (t - now) / 86_400;
                if days < settings.expiry_warning_days {
                    out.push(
                        Finding::new(expiring, Severity::Warning, subject)
                            .seen(format!("the certificate expires on {until} ({days} days)"))
                            .expected(format!(
                                "at least {} days of validity",
                                settings.expiry_warning_days
                            ))
                            .fix(format!("renew the {who}'s certificate now")),
                    );
                }
            }
        }
    }
    out
}

/// The policy fetch as senders make it, from its outcome.
pub(super) fn fetch_findings(
    settings: &CheckSettings,
    now: i64,
    host: &str,
    outcome: FetchOutcome,
    current: &CurrentPolicy,
    policy: Option<&Policy>,
) -> Vec<Finding> {
    let url = format!("https://{host}/.well-known/mta-sts.txt");
    let response = match outcome {
        FetchOutcome::Connect(m) => {
            return vec![Finding::new(C::PolicyFetchConnect, Severity::Error, &url)
                .seen(m)
                .expected(format!("an HTTPS server on port {}", settings.https_port))
                .fix("make sure this server's HTTPS listener (or your proxy) is reachable on port 443")]
        }
        FetchOutcome::Tls(failure) => {
            let mut out = failure
                .facts
                .as_ref()
                .map(|f| cert_findings(settings, now, host, f, false))
                .unwrap_or_default();
            if failure.old_version {
                out.push(
                    Finding::new(C::PolicyFetchTlsVersion, Severity::Error, &url)
                        .seen(failure.message)
                        .expected("TLS 1.2 or 1.3")
                        .fix("enable TLS 1.2 or later on the policy host"),
                );
            } else if out.is_empty() {
                out.push(
                    Finding::new(C::PolicyFetchConnect, Severity::Error, &url)
                        .seen(format!("TLS handshake failed: {}", failure.message))
                        .expected(format!("a TLS certificate for {host}"))
                        .fix("make sure the HTTPS listener has a certificate for this name"),
                );
            }
            return out;
        }
        FetchOutcome::Http { tls, message } => {
            let mut out = cert_findings(settings, now, host, &tls, false);
            out.push(
                Finding::new(C::PolicyFetchConnect, Severity::Error, &url)
                    .seen(format!("the HTTP request failed: {message}"))
                    .expected("an HTTP/1.1 answer")
                    .fix("check the policy host's logs"),
            );
            return out;
        }
        FetchOutcome::Response(r) => r,
    };
    let mut out = cert_findings(settings, now, host, &response.tls, false);
    let status = response.status;
    if (300..400).contains(&status) {
        out.push(
            Finding::new(C::PolicyFetchRedirect, Severity::Error, &url)
                .seen(format!(
                    "HTTP {status} to {}",
                    response.location.as_deref().unwrap_or("(no Location)")
                ))
                .expected("HTTP 200 with the policy; senders never follow redirects")
                .fix("serve the policy at this exact URL; remove the redirect (often an HTTPS or www redirect on a proxy)"),
        );
        return out;
    }
    if status != 200 {
        out.push(
            Finding::new(C::PolicyFetchStatus, Severity::Error, &url)
                .seen(format!("HTTP {status}"))
                .expected("HTTP 200")
                .fix("make the policy host serve the policy; if a proxy sits in front, check that it forwards the Host header"),
        );
        return out;
    }
    let media = response
        .content_type
        .as_deref()
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    if media.as_deref() != Some("text/plain") {
        out.push(
            Finding::new(C::PolicyFetchContentType, Severity::Error, &url)
                .seen(format!(
                    "Content-Type: {}",
                    response.content_type.as_deref().unwrap_or("(none)")
                ))
                .expected("Content-Type: text/plain")
                .fix("serve the policy as text/plain; senders reject other types"),
        );
    }
    let Some(body) = response.body else {
        out.push(
            Finding::new(C::PolicyFetchTooLarge, Severity::Error, &url)
                .seen(format!("more than {MAX_POLICY_BODY} bytes"))
                .expected(format!("at most {MAX_POLICY_BODY} bytes"))
                .fix("serve the policy itself, not another page"),
        );
        return out;
    };
    let text = String::from_utf8_lossy(&body);
    match Policy::parse(&text) {
        Err(e) => out.push(
            Finding::new(C::PolicyFetchInvalid, Severity::Error, &url)
                .seen(format!("{e}"))
                .expected("a policy starting \"version: STSv1\"")
                .fix("serve the policy text; senders treat an unparseable policy as none"),
        ),
        Ok(served) => {
            if text != current.text {
                let what = match policy {
                    Some(p) if p == &served => "the same policy written differently".to_string(),
                    Some(p) => {
                        format!("mode {} / {} MX patterns", served.mode().as_str(), served.mx().len())
                            + &format!(" instead of mode {} / {}", p.mode().as_str(), p.mx().len())
                    }
                    None => "a different policy".into(),
                };
                out.push(
                    Finding::new(C::PolicyFetchMismatch, Severity::Error, &url)
                        .seen(format!("the served policy is {what}"))
                        .expected(format!("the current policy (id {})", current.id))
                        .fix("something other than this server answers for the policy host: point it here, or wait a minute after saving"),
                );
            }
        }
    }
    if out.iter().all(|f| f.severity == Severity::Ok) {
        out.push(
            Finding::new(C::PolicyFetchOk, Severity::Ok, &url)
                .seen(format!(
                    "HTTP 200, text/plain, {} bytes, {}, certificate valid until {}",
                    body.len(),
                    response.tls.version,
                    response.tls.not_after.map(day).unwrap_or_default()
                ))
                .expected("what senders require (RFC 8461 §3.3)"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000;
    const DAY: i64 = 86_400;

    fn facts(verdict: CertVerdict, expires_in_days: i64) -> TlsFacts {
        TlsFacts {
            version: "TLSv1.3".into(),
            verdict,
            not_after: Some(NOW + expires_in_days * DAY),
            names: vec!["mta-sts.example.com".into()],
        }
    }

    #[test]
    fn certificate_rules_for_the_policy_host_and_for_mx_hosts() {
        let settings = CheckSettings::default();
        let soon = settings.expiry_warning_days - 1;
        let later = settings.expiry_warning_days + 30;
        // (certificate, days to expiry, over STARTTLS, the finding expected; None: nothing to say)
        let cases = [
            (CertVerdict::Valid, later, false, None),
            (CertVerdict::Valid, later, true, None),
            (
                CertVerdict::Valid,
                soon,
                false,
                Some((C::PolicyFetchCertExpiring, Severity::Warning)),
            ),
            (
                CertVerdict::Valid,
                soon,
                true,
                Some((C::StartTlsCertExpiring, Severity::Warning)),
            ),
            (
                CertVerdict::WrongName,
                later,
                false,
                Some((C::PolicyFetchCertName, Severity::Error)),
            ),
            (
                CertVerdict::WrongName,
                later,
                true,
                Some((C::StartTlsCertName, Severity::Error)),
            ),
            (
                CertVerdict::Expired,
                -1,
                false,
                Some((C::PolicyFetchCertExpired, Severity::Error)),
            ),
            (
                CertVerdict::Expired,
                -1,
                true,
                Some((C::StartTlsCertExpired, Severity::Error)),
            ),
            (
                CertVerdict::Untrusted("self-signed".into()),
                later,
                false,
                Some((C::PolicyFetchCertUntrusted, Severity::Error)),
            ),
            (
                CertVerdict::Untrusted("self-signed".into()),
                later,
                true,
                Some((C::StartTlsCertUntrusted, Severity::Error)),
            ),
        ];
        for (verdict, days, starttls, expected) in cases {
            let label = format!("{verdict:?}, {days} days, starttls {starttls}");
            let found = cert_findings(&settings, NOW, "mta-sts.example.com", &facts(verdict, days), starttls);
            let found: Vec<(String, Severity)> = found.iter().map(|f| (f.code.clone(), f.severity)).collect();
            let expected: Vec<(String, Severity)> =
                expected.into_iter().map(|(c, s)| (c.as_str().to_string(), s)).collect();
            assert_eq!(found, expected, "{label}");
        }
    }
}
