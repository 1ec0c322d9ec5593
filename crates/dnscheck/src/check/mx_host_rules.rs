//! What each MX host shows: its alias, addresses, TLSA records and STARTTLS. Pure rules over the
//! look-ups and the probe outcome the checker gathered.

use super::{day, join, lookup_failed, transport_rules::cert_findings};
use crate::settings::CheckSettings;
use crate::smtp_probe::ProbeOutcome;
use crate::DnsError;
use portcullis_domain::dns::{Finding, FindingCode as C, Severity};
use std::net::IpAddr;

/// An MX record that names an address: nothing else about it can be checked.
pub(super) fn mx_is_address(host: &str) -> Finding {
    Finding::new(C::MxIpAddress, Severity::Error, host)
        .seen(format!("MX {host}"))
        .expected("a host name")
        .fix("MX records must name a host; an address can be neither matched by a policy nor verified by certificate")
}

/// What the look-ups and the probe found for one MX host.
pub(super) struct MxHostFacts {
    /// The alias target, when the MX names a CNAME.
    pub cname: Option<String>,
    pub addresses: Result<Vec<IpAddr>, DnsError>,
    /// TLSA records at `_25._tcp.<host>`; `None` when the look-up failed (nothing is said then).
    pub tlsa: Option<usize>,
    /// The STARTTLS probe; `None` when no usable address was probed.
    pub probe: Option<ProbeOutcome>,
}

pub(super) fn mx_host_findings(settings: &CheckSettings, now: i64, host: &str, facts: MxHostFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(target) = &facts.cname {
        out.push(
            Finding::new(C::MxCname, Severity::Warning, host)
                .seen(format!("{host} is a CNAME to {target}"))
                .expected("an MX naming the host itself (RFC 2181 §10.3)")
                .fix(format!(
                    "point the MX at {target} directly; some senders check the certificate against the alias"
                )),
        );
    }
    let addrs = match facts.addresses {
        Ok(a) => a,
        Err(e) => {
            out.push(lookup_failed(host, &e));
            return out;
        }
    };
    if addrs.is_empty() {
        out.push(
            Finding::new(C::MxNoAddress, Severity::Error, host)
                .seen(format!("{host} has no A or AAAA record"))
                .expected("the address of the mail server")
                .fix("publish its address or remove the MX record"),
        );
    } else if let Some(outcome) = facts.probe {
        out.extend(starttls_findings(settings, now, host, outcome));
    } else {
        out.push(
            Finding::new(C::MxPrivateAddress, Severity::Warning, host)
                .seen(format!("{host} resolves to {}", join(&addrs)))
                .expected("a public address")
                .fix("senders on the internet cannot reach it; publish the public address"),
        );
    }
    match facts.tlsa {
        Some(n) if n > 0 => out.push(
            Finding::new(C::DaneTlsaPresent, Severity::Ok, host)
                .seen(format!("{n} TLSA record(s) at _25._tcp.{host}"))
                .expected("DANE is optional; senders that support it use it before MTA-STS"),
        ),
        Some(_) => out.push(
            Finding::new(C::DaneTlsaAbsent, Severity::Ok, host)
                .seen(format!("no TLSA record at _25._tcp.{host}"))
                .expected("DANE is optional (it needs DNSSEC)"),
        ),
        None => {}
    }
    out
}

fn starttls_findings(settings: &CheckSettings, now: i64, host: &str, outcome: ProbeOutcome) -> Vec<Finding> {
    let port = settings.smtp_port;
    match outcome {
        ProbeOutcome::Connect(m) => vec![Finding::new(C::StartTlsConnect, Severity::Error, host)
            .seen(m)
            .expected(format!("an SMTP server on port {port}"))
            .fix("check that the MX accepts connections on port 25 from the internet")],
        ProbeOutcome::NoStartTls { address } => {
            vec![Finding::new(C::StartTlsNotOffered, Severity::Error, host)
            .seen(format!("{address} answers EHLO without STARTTLS"))
            .expected("STARTTLS in the EHLO reply")
            .fix("enable STARTTLS with a certificate for this host; in enforce mode senders cannot deliver without it")]
        }
        ProbeOutcome::Handshake {
            address,
            old_version,
            message,
            facts,
        } => {
            let mut out = facts
                .as_ref()
                .map(|f| cert_findings(settings, now, host, f, true))
                .unwrap_or_default();
            if old_version {
                out.push(
                    Finding::new(C::StartTlsTlsVersion, Severity::Error, host)
                        .seen(format!("{address}: {message}"))
                        .expected("TLS 1.2 or 1.3")
                        .fix("enable TLS 1.2 or later on the MX"),
                );
            } else if out.is_empty() {
                out.push(
                    Finding::new(C::StartTlsHandshake, Severity::Error, host)
                        .seen(format!("{address}: {message}"))
                        .expected("a TLS handshake after STARTTLS")
                        .fix("check the MX's TLS configuration and certificate"),
                );
            }
            out
        }
        ProbeOutcome::Tls { address, facts } => {
            let mut out = cert_findings(settings, now, host, &facts, true);
            if out.iter().all(|f| f.severity == Severity::Ok) {
                out.push(
                    Finding::new(C::StartTlsOk, Severity::Ok, host)
                        .seen(format!(
                            "{address}: STARTTLS, {}, certificate valid for {host} until {}",
                            facts.version,
                            facts.not_after.map(day).unwrap_or_default()
                        ))
                        .expected("STARTTLS with a certificate valid for the MX name"),
                );
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::{CertVerdict, TlsFacts};
    use std::net::SocketAddr;

    const NOW: i64 = 1_796_000_000;
    const PUBLIC: &str = "93.184.215.14";
    const PRIVATE: &str = "10.0.0.5";

    type Expected = Vec<(C, Severity)>;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn codes(found: &[Finding]) -> Vec<(String, Severity)> {
        found.iter().map(|f| (f.code.clone(), f.severity)).collect()
    }

    fn expect(list: &[(C, Severity)]) -> Vec<(String, Severity)> {
        list.iter().map(|(c, s)| (c.as_str().to_string(), *s)).collect()
    }

    fn tls(verdict: CertVerdict, days: i64) -> TlsFacts {
        TlsFacts {
            version: "TLSv1.3".into(),
            verdict,
            not_after: Some(NOW + days * 86_400),
            names: vec!["mx.example.com".into()],
        }
    }

    fn facts(addresses: Result<Vec<&str>, DnsError>, probe: Option<ProbeOutcome>) -> MxHostFacts {
        MxHostFacts {
            cname: None,
            addresses: addresses.map(|a| a.into_iter().map(ip).collect()),
            tlsa: Some(0),
            probe,
        }
    }

    #[test]
    fn what_an_mx_host_shows() {
        let settings = CheckSettings::default();
        let at: SocketAddr = "192.0.2.10:25".parse().unwrap();
        let good = || {
            Some(ProbeOutcome::Tls {
                address: at,
                facts: tls(CertVerdict::Valid, 90),
            })
        };
        let absent = (C::DaneTlsaAbsent, Severity::Ok);
        let cases: Vec<(&str, MxHostFacts, Expected)> = vec![
            (
                "healthy",
                facts(Ok(vec![PUBLIC]), good()),
                vec![(C::StartTlsOk, Severity::Ok), absent],
            ),
            (
                "alias",
                MxHostFacts {
                    cname: Some("real.example.com".into()),
                    ..facts(Ok(vec![PUBLIC]), good())
                },
                vec![(C::MxCname, Severity::Warning), (C::StartTlsOk, Severity::Ok), absent],
            ),
            (
                "look-up failed",
                facts(Err(DnsError::Timeout), None),
                vec![(C::LookupFailed, Severity::Error)],
            ),
            (
                "no address",
                facts(Ok(vec![]), None),
                vec![(C::MxNoAddress, Severity::Error), absent],
            ),
            (
                "only private addresses (not probed)",
                facts(Ok(vec![PRIVATE]), None),
                vec![(C::MxPrivateAddress, Severity::Warning), absent],
            ),
            (
                "with DANE",
                MxHostFacts {
                    tlsa: Some(2),
                    ..facts(Ok(vec![PUBLIC]), good())
                },
                vec![(C::StartTlsOk, Severity::Ok), (C::DaneTlsaPresent, Severity::Ok)],
            ),
            (
                "TLSA look-up failed",
                MxHostFacts {
                    tlsa: None,
                    ..facts(Ok(vec![PUBLIC]), good())
                },
                vec![(C::StartTlsOk, Severity::Ok)],
            ),
            (
                "refuses connections",
                facts(Ok(vec![PUBLIC]), Some(ProbeOutcome::Connect("refused".into()))),
                vec![(C::StartTlsConnect, Severity::Error), absent],
            ),
            (
                "no STARTTLS",
                facts(Ok(vec![PUBLIC]), Some(ProbeOutcome::NoStartTls { address: at })),
                vec![(C::StartTlsNotOffered, Severity::Error), absent],
            ),
            (
                "old TLS",
                facts(
                    Ok(vec![PUBLIC]),
                    Some(ProbeOutcome::Handshake {
                        address: at,
                        old_version: true,
                        message: "protocol version".into(),
                        facts: None,
                    }),
                ),
                vec![(C::StartTlsTlsVersion, Severity::Error), absent],
            ),
            (
                "handshake failed, no certificate seen",
                facts(
                    Ok(vec![PUBLIC]),
                    Some(ProbeOutcome::Handshake {
                        address: at,
                        old_version: false,
                        message: "reset".into(),
                        facts: None,
                    }),
                ),
                vec![(C::StartTlsHandshake, Severity::Error), absent],
            ),
            (
                "handshake failed on the certificate",
                facts(
                    Ok(vec![PUBLIC]),
                    Some(ProbeOutcome::Handshake {
                        address: at,
                        old_version: false,
                        message: "bad certificate".into(),
                        facts: Some(tls(CertVerdict::WrongName, 90)),
                    }),
                ),
                vec![(C::StartTlsCertName, Severity::Error), absent],
            ),
            (
                "certificate expiring",
                facts(
                    Ok(vec![PUBLIC]),
                    Some(ProbeOutcome::Tls {
                        address: at,
                        facts: tls(CertVerdict::Valid, 3),
                    }),
                ),
                vec![(C::StartTlsCertExpiring, Severity::Warning), absent],
            ),
        ];
        for (label, facts, expected) in cases {
            let found = mx_host_findings(&settings, NOW, "mx.example.com", facts);
            assert_eq!(codes(&found), expect(&expected), "{label}");
        }
        let found = [mx_is_address("192.0.2.1")];
        assert_eq!(codes(&found), expect(&[(C::MxIpAddress, Severity::Error)]));
    }
}
