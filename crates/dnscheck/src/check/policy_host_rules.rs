//! Where `mta-sts.<domain>` points: a pure rule over the name's addresses and this server's.

use super::{join, usable};
use crate::settings::CheckSettings;
use portcullis_domain::dns::{Finding, FindingCode as C, Severity};
use std::net::IpAddr;

/// Where `mta-sts.<domain>` points. `ours` are this server's addresses (empty when no public host
/// is configured). The fetch follows only when some address is usable.
pub(super) fn policy_host_findings(
    settings: &CheckSettings,
    host: &str,
    public_host: Option<&str>,
    addrs: &[IpAddr],
    ours: &[IpAddr],
) -> Vec<Finding> {
    let target = public_host.unwrap_or("this server's public host name");
    if addrs.is_empty() {
        return vec![Finding::new(C::PolicyHostMissing, Severity::Error, host)
            .seen(format!("{host} does not resolve"))
            .expected(format!("a CNAME to {target}"))
            .fix(format!(
                "publish {host} CNAME {target}; senders cannot fetch the policy without it"
            ))];
    }
    let mut out = Vec::new();
    let shown = join(addrs);
    if let Some(public) = public_host {
        if !addrs.iter().any(|a| ours.contains(a)) {
            out.push(
                Finding::new(C::PolicyHostElsewhere, Severity::Error, host)
                    .seen(format!("{host} resolves to {shown}"))
                    .expected(format!("{public} ({})", join(ours)))
                    .fix(format!(
                        "point {host} at {public} (CNAME); otherwise senders fetch a policy this server does \
                         not control"
                    )),
            );
        }
    }
    if usable(settings, addrs, settings.https_port).is_empty() {
        out.push(
            Finding::new(C::PolicyHostPrivate, Severity::Error, host)
                .seen(format!("{host} resolves to {shown}"))
                .expected("a public address")
                .fix("senders on the internet cannot reach a private address; point the name at the public host"),
        );
    } else if out.is_empty() {
        out.push(
            Finding::new(C::PolicyHostOk, Severity::Ok, host)
                .seen(format!("{host} resolves to {shown}"))
                .expected(format!("this server ({target})")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    const PUBLIC: &str = "93.184.215.14";
    const OTHER: &str = "151.101.2.15";
    const PRIVATE: &str = "10.0.0.5";

    type Expected = Vec<(C, Severity)>;
    /// (public host configured, the name's addresses, this server's addresses, findings)
    type Case = (Option<&'static str>, Vec<&'static str>, Vec<&'static str>, Expected);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn codes(found: &[Finding]) -> Vec<(String, Severity)> {
        found.iter().map(|f| (f.code.clone(), f.severity)).collect()
    }

    fn expect(list: &[(C, Severity)]) -> Vec<(String, Severity)> {
        list.iter().map(|(c, s)| (c.as_str().to_string(), *s)).collect()
    }

    #[test]
    fn where_the_policy_host_points() {
        let settings = CheckSettings::default();
        let cases: [Case; 6] = [
            (
                Some("sts.example.net"),
                vec![],
                vec![PUBLIC],
                vec![(C::PolicyHostMissing, Severity::Error)],
            ),
            (None, vec![], vec![], vec![(C::PolicyHostMissing, Severity::Error)]),
            (
                Some("sts.example.net"),
                vec![PUBLIC],
                vec![PUBLIC],
                vec![(C::PolicyHostOk, Severity::Ok)],
            ),
            (None, vec![OTHER], vec![], vec![(C::PolicyHostOk, Severity::Ok)]),
            (
                Some("sts.example.net"),
                vec![OTHER],
                vec![PUBLIC],
                vec![(C::PolicyHostElsewhere, Severity::Error)],
            ),
            (
                Some("sts.example.net"),
                vec![PRIVATE],
                vec![PUBLIC],
                vec![
                    (C::PolicyHostElsewhere, Severity::Error),
                    (C::PolicyHostPrivate, Severity::Error),
                ],
            ),
        ];
        for (public, addrs, ours, expected) in cases {
            let addrs: Vec<IpAddr> = addrs.into_iter().map(ip).collect();
            let ours: Vec<IpAddr> = ours.into_iter().map(ip).collect();
            let found = policy_host_findings(&settings, "mta-sts.example.com", public, &addrs, &ours);
            assert_eq!(codes(&found), expect(&expected), "{public:?} {addrs:?} {ours:?}");
        }
    }

    #[test]
    fn private_addresses_are_usable_only_when_tests_allow_them() {
        let addrs = [ip(PRIVATE), ip(PUBLIC)];
        let strict = CheckSettings::default();
        assert_eq!(usable(&strict, &addrs, 25), vec![SocketAddr::new(ip(PUBLIC), 25)]);
        let lax = CheckSettings {
            allow_private: true,
            ..CheckSettings::default()
        };
        assert_eq!(usable(&lax, &addrs, 25).len(), 2);
        let found = policy_host_findings(&lax, "mta-sts.example.com", None, &[ip(PRIVATE)], &[]);
        assert_eq!(codes(&found), expect(&[(C::PolicyHostOk, Severity::Ok)]));
    }
}
