//! Every finding code, produced by real peers on loopback: an authoritative DNS server, an HTTPS
//! policy host and SMTP servers with certificates from a test CA.

use portcullis_dnscheck::testing::{PolicyHostBehaviour as B, SmtpTls, TestCa, TestDns, TestPolicyHost, TestSmtp};
use portcullis_dnscheck::{CheckInput, CheckSettings, Checker, CurrentPolicy, Dns, ProofCheck};
use portcullis_domain::dns::{Finding, FindingCode, ProofToken, ReportAddresses, Severity, Status};
use portcullis_domain::policy::{Mode, MxPattern, Policy, PolicyId};
use portcullis_domain::DomainName;
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const OURS: &str = "127.0.0.1";

struct World {
    dns: TestDns,
    ca: TestCa,
    policy_host: TestPolicyHost,
    smtp: TestSmtp,
    checker: Checker,
    _others: (TestSmtp, TestSmtp, tokio::task::JoinHandle<()>),
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn reports() -> ReportAddresses {
    ReportAddresses {
        mailto: Some("tlsrpt@portcullis.test".into()),
        https: Some("https://portcullis.test/tlsrpt".into()),
    }
}

fn policy(mode: Mode, mx: &[&str]) -> Policy {
    Policy::new(mode, 604_800, mx.iter().map(|m| MxPattern::parse(m).unwrap()).collect()).unwrap()
}

fn settings(https_port: u16, smtp_port: u16, ca: &TestCa, allow_private: bool) -> CheckSettings {
    CheckSettings {
        https_port,
        smtp_port,
        allow_private,
        extra_roots: vec![ca.root()],
        connect_timeout: Duration::from_secs(2),
        io_timeout: Duration::from_secs(3),
        ..CheckSettings::default()
    }
}

/// Binds the same port on 127.0.0.1, .2 and .3 (the whole 127/8 is loopback on Linux), so that
/// hosts resolving to different loopback addresses reach differently behaving servers.
async fn start_world() -> World {
    let dns = TestDns::start().await;
    let ca = TestCa::new();
    let (policy_host, old_policy, smtp, plain, old_smtp) = loop {
        let policy_host = TestPolicyHost::start("127.0.0.1:0".parse().unwrap()).await;
        let smtp = TestSmtp::start("127.0.0.1:0".parse().unwrap(), SmtpTls::StartTls).await;
        let (hp, sp) = (policy_host.addr().port(), smtp.addr().port());
        let free = |a: &str, p| std::net::TcpListener::bind((ip(a), p)).is_ok();
        if free("127.0.0.3", hp) && free("127.0.0.2", sp) && free("127.0.0.3", sp) {
            let old_policy = TestPolicyHost::start_old_tls_only(SocketAddr::new(ip("127.0.0.3"), hp)).await;
            let plain = TestSmtp::start(SocketAddr::new(ip("127.0.0.2"), sp), SmtpTls::None).await;
            let old_smtp = TestSmtp::start(SocketAddr::new(ip("127.0.0.3"), sp), SmtpTls::OldVersionsOnly).await;
            break (policy_host, old_policy, smtp, plain, old_smtp);
        }
    };
    dns.set_addr("portcullis.test", &[ip(OURS)]).await;
    let upstream = Dns::new(Some(dns.addr())).unwrap();
    let checker = Checker::new(
        upstream,
        settings(policy_host.addr().port(), smtp.addr().port(), &ca, true),
    )
    .unwrap();
    World {
        dns,
        ca,
        policy_host,
        smtp,
        checker,
        _others: (plain, old_smtp, old_policy),
    }
}

impl World {
    /// A domain published correctly: records, policy host, TLS-RPT, one MX with good STARTTLS.
    async fn good_domain(&self, d: &str, policy: &Policy, id: &str) {
        self.dns
            .set_txt(&format!("_mta-sts.{d}"), &[&format!("v=STSv1; id={id}")])
            .await;
        self.dns.set_addr(&format!("mta-sts.{d}"), &[ip(OURS)]).await;
        self.dns
            .set_txt(
                &format!("_smtp._tls.{d}"),
                &["v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test"],
            )
            .await;
        self.serve(
            d,
            B::Serve {
                content_type: "text/plain; charset=utf-8".into(),
                body: policy.render(),
            },
        );
        let mx = format!("mx.{d}");
        self.dns.set_mx(d, &[(10, &mx)]).await;
        self.dns.set_addr(&mx, &[ip(OURS)]).await;
        self.smtp.set_cert(&mx, self.ca.issue(&[&mx], (-1, 90)));
    }

    fn serve(&self, d: &str, behaviour: B) {
        let host = format!("mta-sts.{d}");
        self.policy_host
            .set(&host, self.ca.issue(&[&host], (-1, 90)), behaviour);
    }

    async fn check(&self, d: &str, policy: Option<(&Policy, &str)>) -> Vec<Finding> {
        check_with(&self.checker, d, policy).await
    }
}

async fn check_with(checker: &Checker, d: &str, policy: Option<(&Policy, &str)>) -> Vec<Finding> {
    let input = CheckInput {
        domain: DomainName::parse(d).unwrap(),
        policy: policy.map(|(p, id)| CurrentPolicy {
            id: PolicyId::new(id).unwrap(),
            text: p.render(),
        }),
        public_host: Some("portcullis.test".into()),
        reports: reports(),
        fresh: false,
        proof: None,
    };
    checker.check(&input).await
}

fn codes(findings: &[Finding]) -> BTreeSet<&str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

fn find(findings: &[Finding], code: FindingCode) -> &Finding {
    findings
        .iter()
        .find(|f| f.code == code.as_str())
        .unwrap_or_else(|| panic!("no {} in {findings:#?}", code.as_str()))
}

/// The finding codes each area test must produce; together they are every code there is (checked
/// below), so a new code needs a scenario that reproduces it against the real peers.
const AREA_RECORDS: &[FindingCode] = &[
    FindingCode::StsRecordOk,
    FindingCode::StsRecordMissing,
    FindingCode::StsRecordMultiple,
    FindingCode::StsRecordSyntax,
    FindingCode::StsRecordUnknownTag,
    FindingCode::StsRecordIdMismatch,
    FindingCode::StsRecordAtApex,
    FindingCode::StsRecordCname,
    FindingCode::TlsRptRecordOk,
    FindingCode::TlsRptRecordMissing,
    FindingCode::TlsRptRecordMultiple,
    FindingCode::TlsRptRecordSyntax,
    FindingCode::TlsRptRuaInvalid,
    FindingCode::TlsRptRuaElsewhere,
    FindingCode::PolicyHostMissing,
    FindingCode::PolicyFetchOk,
    FindingCode::MxNone,
    FindingCode::DaneTlsaPresent,
];
const AREA_POLICY_HOST: &[FindingCode] = &[
    FindingCode::PolicyHostOk,
    FindingCode::PolicyHostElsewhere,
    FindingCode::PolicyFetchConnect,
    FindingCode::PolicyFetchRedirect,
    FindingCode::PolicyFetchStatus,
    FindingCode::PolicyFetchContentType,
    FindingCode::PolicyFetchTooLarge,
    FindingCode::PolicyFetchInvalid,
    FindingCode::PolicyFetchMismatch,
];
const AREA_CERTIFICATES: &[FindingCode] = &[
    FindingCode::PolicyFetchTlsVersion,
    FindingCode::PolicyFetchCertName,
    FindingCode::PolicyFetchCertExpired,
    FindingCode::PolicyFetchCertUntrusted,
    FindingCode::PolicyFetchCertExpiring,
    FindingCode::StartTlsOk,
    FindingCode::StartTlsCertName,
    FindingCode::StartTlsCertExpired,
    FindingCode::StartTlsCertUntrusted,
    FindingCode::StartTlsCertExpiring,
];
const AREA_MX: &[FindingCode] = &[
    FindingCode::PolicyNotConfigured,
    FindingCode::MxCovered,
    FindingCode::MxUncovered,
    FindingCode::MxPatternUnused,
    FindingCode::MxNull,
    FindingCode::MxIpAddress,
    FindingCode::MxCname,
    FindingCode::MxNoAddress,
    FindingCode::StartTlsConnect,
    FindingCode::StartTlsNotOffered,
    FindingCode::StartTlsHandshake,
    FindingCode::StartTlsTlsVersion,
    FindingCode::DaneTlsaAbsent,
];
const AREA_DELEGATION: &[FindingCode] = &[
    FindingCode::DelegationOk,
    FindingCode::DelegationMissing,
    FindingCode::DelegationWrong,
    FindingCode::ProofMissing,
    FindingCode::ProofByDelegation,
    FindingCode::ProofByTxt,
];
const AREA_SAFETY: &[FindingCode] = &[
    FindingCode::LookupFailed,
    FindingCode::PolicyHostPrivate,
    FindingCode::MxPrivateAddress,
];

fn assert_produced(produced: &BTreeSet<String>, expected: &[FindingCode]) {
    let missing: Vec<&str> = expected
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !produced.contains(*c))
        .collect();
    assert!(missing.is_empty(), "codes not produced: {missing:?}");
}

#[test]
fn the_area_tests_together_reproduce_every_finding_code() {
    let covered: BTreeSet<&str> = [
        AREA_RECORDS,
        AREA_POLICY_HOST,
        AREA_CERTIFICATES,
        AREA_MX,
        AREA_SAFETY,
        AREA_DELEGATION,
    ]
    .concat()
    .iter()
    .map(|c| c.as_str())
    .collect();
    let missing: Vec<&str> = FindingCode::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(c))
        .collect();
    assert!(missing.is_empty(), "no area test reproduces {missing:?}");
}

/// Delegation and proof of control, looked up in a real DNS server: the CNAMEs into the zone,
/// the TXT token, and what is missing.
#[tokio::test]
async fn findings_delegation() {
    let w = start_world().await;
    let token = "0123456789abcdef0123456789abcdef";
    let proof = |delegated, proven| ProofCheck {
        token: ProofToken::parse(token).unwrap(),
        zone: Some("sts.portcullis.test".into()),
        delegated,
        proven,
    };
    let check = |d: &'static str, p: ProofCheck| {
        let checker = w.checker.clone();
        async move {
            let input = CheckInput {
                domain: DomainName::parse(d).unwrap(),
                policy: None,
                public_host: Some("portcullis.test".into()),
                reports: reports(),
                fresh: false,
                proof: Some(p),
            };
            checker.check(&input).await
        }
    };
    let mut produced: BTreeSet<String> = BTreeSet::new();

    for prefix in ["_mta-sts", "_smtp._tls", "mta-sts"] {
        let target = format!("{prefix}.{token}.sts.portcullis.test");
        w.dns
            .set_cname(&format!("{prefix}.delegated.test"), Some(&target))
            .await;
    }
    let f = check("delegated.test", proof(true, false)).await;
    produced.extend(f.iter().map(|f| f.code.clone()));
    assert!(has(&f, "delegation-ok") && has(&f, "proof-delegation"), "{f:#?}");

    w.dns
        .set_cname(
            "_mta-sts.half.test",
            Some(&format!("_mta-sts.{token}.sts.portcullis.test")),
        )
        .await;
    w.dns
        .set_cname("_smtp._tls.half.test", Some("rua.elsewhere.test"))
        .await;
    let f = check("half.test", proof(true, false)).await;
    produced.extend(f.iter().map(|f| f.code.clone()));
    let missing = f.iter().find(|f| f.code == "delegation-missing").unwrap();
    assert_eq!(missing.subject, "mta-sts.half.test");
    assert!(
        missing.fix.contains(&format!("mta-sts.{token}.sts.portcullis.test.")),
        "{}",
        missing.fix
    );
    assert_eq!(
        f.iter().find(|f| f.code == "delegation-wrong").unwrap().subject,
        "_smtp._tls.half.test"
    );
    assert!(has(&f, "proof-delegation"), "one CNAME naming the token is proof");

    w.dns
        .set_txt(
            "_portcullis-challenge.txt.test",
            &[&format!("portcullis-proof={token}")],
        )
        .await;
    let f = check("txt.test", proof(false, false)).await;
    produced.extend(f.iter().map(|f| f.code.clone()));
    assert!(has(&f, "proof-txt") && !has(&f, "delegation-missing"), "{f:#?}");

    w.dns
        .set_txt(
            "_portcullis-challenge.squat.test",
            &["portcullis-proof=ffffffffffffffffffffffffffffffff"],
        )
        .await;
    let f = check("squat.test", proof(false, false)).await;
    produced.extend(f.iter().map(|f| f.code.clone()));
    let missing = f.iter().find(|f| f.code == "proof-missing").unwrap();
    assert_eq!(missing.severity, Severity::Error);
    assert!(!has(&f, "proof-txt"), "another registration's token proves nothing");

    assert_produced(&produced, AREA_DELEGATION);
}

fn has(findings: &[Finding], code: &str) -> bool {
    findings.iter().any(|f| f.code == code)
}

/// The _mta-sts and _smtp._tls records.
#[tokio::test]
async fn findings_records() {
    let w = start_world().await;
    let mut produced: BTreeSet<String> = BTreeSet::new();
    let mut note = |f: &[Finding]| produced.extend(f.iter().map(|f| f.code.clone()));

    // A correct domain: nothing but ok findings, and the DANE records are reported.
    let p = policy(Mode::Testing, &["mx.good.test"]);
    w.good_domain("good.test", &p, "1").await;
    w.dns.set_tlsa("_25._tcp.mx.good.test", 2).await;
    let f = w.check("good.test", Some((&p, "1"))).await;
    note(&f);
    assert_eq!(
        codes(&f),
        BTreeSet::from([
            "sts-record-ok",
            "policy-host-ok",
            "policy-fetch-ok",
            "tlsrpt-record-ok",
            "mx-covered",
            "starttls-ok",
            "dane-tlsa-present"
        ]),
        "{f:#?}"
    );
    assert_eq!(Status::of(&f), Status::Ok);
    assert!(find(&f, FindingCode::PolicyFetchOk).seen.contains("TLS 1.3"));

    // Nothing published at all.
    let p = policy(Mode::Testing, &["mx.missing.test"]);
    let f = w.check("missing.test", Some((&p, "1"))).await;
    note(&f);
    for c in [
        "sts-record-missing",
        "policy-host-missing",
        "tlsrpt-record-missing",
        "mx-none",
    ] {
        assert!(codes(&f).contains(c), "{c} in {f:#?}");
    }
    assert_eq!(find(&f, FindingCode::StsRecordMissing).severity, Severity::Error);
    assert_eq!(Status::of(&f), Status::Error);

    // Duplicated records: senders see neither policy nor reporting.
    let p = policy(Mode::Testing, &["mx.dup.test"]);
    w.good_domain("dup.test", &p, "1").await;
    w.dns
        .set_txt("_mta-sts.dup.test", &["v=STSv1; id=1", "v=STSv1; id=2"])
        .await;
    w.dns
        .set_txt(
            "_smtp._tls.dup.test",
            &["v=TLSRPTv1; rua=mailto:a@dup.test", "v=TLSRPTv1; rua=mailto:b@dup.test"],
        )
        .await;
    let f = w.check("dup.test", Some((&p, "1"))).await;
    note(&f);
    assert!(codes(&f).contains("sts-record-multiple") && codes(&f).contains("tlsrpt-record-multiple"));

    // Wrong id, a stray record at the apex, reports going elsewhere.
    let p = policy(Mode::Testing, &["mx.wrongid.test"]);
    w.good_domain("wrongid.test", &p, "2").await;
    w.dns.set_txt("wrongid.test", &["v=spf1 -all", "v=STSv1; id=2"]).await;
    w.dns
        .set_txt(
            "_smtp._tls.wrongid.test",
            &["v=TLSRPTv1; rua=mailto:reports@elsewhere.test"],
        )
        .await;
    let f = w.check("wrongid.test", Some((&p, "3"))).await;
    note(&f);
    let mismatch = find(&f, FindingCode::StsRecordIdMismatch);
    assert_eq!((mismatch.seen.as_str(), mismatch.expected.as_str()), ("id=2", "id=3"));
    assert!(mismatch.fix.contains("v=STSv1; id=3"));
    assert!(codes(&f).contains("sts-record-at-apex") && codes(&f).contains("tlsrpt-rua-elsewhere"));

    // Syntax errors in both records.
    let p = policy(Mode::Testing, &["mx.syntax.test"]);
    w.good_domain("syntax.test", &p, "1").await;
    w.dns.set_txt("_mta-sts.syntax.test", &["v=STSv1; id=2026-11-28"]).await;
    w.dns.set_txt("_smtp._tls.syntax.test", &["v=TLSRPTv1; rua"]).await;
    let f = w.check("syntax.test", Some((&p, "1"))).await;
    note(&f);
    assert!(codes(&f).contains("sts-record-syntax") && codes(&f).contains("tlsrpt-record-syntax"));

    // An unknown tag (valid otherwise), a CNAME'd _mta-sts, an http: report address.
    let p = policy(Mode::Testing, &["mx.tags.test"]);
    w.good_domain("tags.test", &p, "7").await;
    w.dns
        .clear("_mta-sts.tags.test", portcullis_dnscheck::testing::RecordType::TXT)
        .await;
    w.dns.set_cname("_mta-sts.tags.test", Some("sts.provider.test")).await;
    w.dns.set_txt("sts.provider.test", &["v=STSv1; id=7; foo=bar"]).await;
    w.dns
        .set_txt(
            "_smtp._tls.tags.test",
            &["v=TLSRPTv1; rua=http://portcullis.test/tlsrpt"],
        )
        .await;
    let f = w.check("tags.test", Some((&p, "7"))).await;
    note(&f);
    for c in [
        "sts-record-cname",
        "sts-record-unknown-tag",
        "sts-record-ok",
        "tlsrpt-rua-invalid",
    ] {
        assert!(codes(&f).contains(c), "{c} in {f:#?}");
    }

    assert_produced(&produced, AREA_RECORDS);
}

/// Where mta-sts.<domain> points and what a sender's policy fetch meets.
#[tokio::test]
async fn findings_policy_host() {
    let w = start_world().await;
    let mut produced: BTreeSet<String> = BTreeSet::new();
    let mut note = |f: &[Finding]| produced.extend(f.iter().map(|f| f.code.clone()));

    // The policy host points elsewhere (and nothing answers there).
    let p = policy(Mode::Testing, &["mx.elsewhere.test"]);
    w.good_domain("elsewhere.test", &p, "1").await;
    w.dns.set_addr("mta-sts.elsewhere.test", &[ip("127.0.0.9")]).await;
    let f = w.check("elsewhere.test", Some((&p, "1"))).await;
    note(&f);
    assert!(codes(&f).contains("policy-host-elsewhere") && codes(&f).contains("policy-fetch-connect"));
    assert!(find(&f, FindingCode::PolicyHostElsewhere).seen.contains("127.0.0.9"));

    // What senders refuse on the policy host.
    let cases: Vec<(&str, B, FindingCode)> = vec![
        (
            "redirect.test",
            B::Redirect("https://www.redirect.test/".into()),
            FindingCode::PolicyFetchRedirect,
        ),
        ("status.test", B::Status(404), FindingCode::PolicyFetchStatus),
        (
            "ctype.test",
            B::Serve {
                content_type: "text/html".into(),
                body: String::new(),
            },
            FindingCode::PolicyFetchContentType,
        ),
        ("huge.test", B::Huge, FindingCode::PolicyFetchTooLarge),
        (
            "invalid.test",
            B::Serve {
                content_type: "text/plain".into(),
                body: "<html>hello</html>".into(),
            },
            FindingCode::PolicyFetchInvalid,
        ),
        (
            "mismatch.test",
            B::Serve {
                content_type: "text/plain".into(),
                body: policy(Mode::Enforce, &["mx.mismatch.test"]).render(),
            },
            FindingCode::PolicyFetchMismatch,
        ),
    ];
    for (d, behaviour, code) in cases {
        let p = policy(Mode::Testing, &[&format!("mx.{d}")]);
        w.good_domain(d, &p, "1").await;
        w.serve(d, behaviour);
        let f = w.check(d, Some((&p, "1"))).await;
        note(&f);
        let got = find(&f, code);
        assert_eq!(got.severity, Severity::Error, "{got:?}");
        assert!(!codes(&f).contains("policy-fetch-ok"), "{d}: {f:#?}");
    }

    assert_produced(&produced, AREA_POLICY_HOST);
}

/// Certificates on the policy host and on MX hosts, and old TLS.
#[tokio::test]
async fn findings_certificates() {
    let w = start_world().await;
    let mut produced: BTreeSet<String> = BTreeSet::new();
    let mut note = |f: &[Finding]| produced.extend(f.iter().map(|f| f.code.clone()));

    // Certificates on the policy host and on MX hosts.
    let other_ca = TestCa::new();
    type CertCase<'a> = (&'a str, (i64, i64), Option<&'a str>, bool, FindingCode, FindingCode);
    let cert_cases: Vec<CertCase> = vec![
        (
            "expired.test",
            (-30, -1),
            None,
            false,
            FindingCode::PolicyFetchCertExpired,
            FindingCode::StartTlsCertExpired,
        ),
        (
            "expiring.test",
            (-30, 5),
            None,
            false,
            FindingCode::PolicyFetchCertExpiring,
            FindingCode::StartTlsCertExpiring,
        ),
        (
            "wrongname.test",
            (-1, 90),
            Some("other.test"),
            false,
            FindingCode::PolicyFetchCertName,
            FindingCode::StartTlsCertName,
        ),
        (
            "untrusted.test",
            (-1, 90),
            None,
            true,
            FindingCode::PolicyFetchCertUntrusted,
            FindingCode::StartTlsCertUntrusted,
        ),
    ];
    for (d, validity, name, foreign, policy_code, mx_code) in cert_cases {
        let p = policy(Mode::Testing, &[&format!("mx.{d}")]);
        w.good_domain(d, &p, "1").await;
        let ca = if foreign { &other_ca } else { &w.ca };
        let (host, mx) = (format!("mta-sts.{d}"), format!("mx.{d}"));
        let body = B::Serve {
            content_type: "text/plain".into(),
            body: p.render(),
        };
        w.policy_host
            .set(&host, ca.issue(&[name.unwrap_or(&host)], validity), body);
        w.smtp.set_cert(&mx, ca.issue(&[name.unwrap_or(&mx)], validity));
        let f = w.check(d, Some((&p, "1"))).await;
        note(&f);
        find(&f, policy_code);
        find(&f, mx_code);
    }
    let f = w
        .check(
            "expiring.test",
            Some((&policy(Mode::Testing, &["mx.expiring.test"]), "1")),
        )
        .await;
    assert_eq!(find(&f, FindingCode::StartTlsCertExpiring).severity, Severity::Warning);

    // A policy host that speaks only old TLS.
    let p = policy(Mode::Testing, &["mx.oldtls.test"]);
    w.good_domain("oldtls.test", &p, "1").await;
    w.dns.set_addr("mta-sts.oldtls.test", &[ip("127.0.0.3")]).await;
    w.dns.set_addr("portcullis.test", &[ip(OURS), ip("127.0.0.3")]).await;
    let f = w.check("oldtls.test", Some((&p, "1"))).await;
    note(&f);
    find(&f, FindingCode::PolicyFetchTlsVersion);
    w.dns.set_addr("portcullis.test", &[ip(OURS)]).await;

    assert_produced(&produced, AREA_CERTIFICATES);
}

/// MX coverage, MX transport, null MX, a policy announced but not hosted.
#[tokio::test]
async fn findings_mx() {
    let w = start_world().await;
    let mut produced: BTreeSet<String> = BTreeSet::new();
    let mut note = |f: &[Finding]| produced.extend(f.iter().map(|f| f.code.clone()));

    // MX coverage and MX transport problems.
    let p = policy(Mode::Enforce, &["mx.mx.test", "*.unused.test"]);
    w.good_domain("mx.test", &p, "1").await;
    w.dns
        .set_mx(
            "mx.test",
            &[
                (10, "mx.mx.test"),
                (20, "plain.mx.test"),
                (30, "old.mx.test"),
                (40, "down.mx.test"),
                (50, "noaddr.mx.test"),
                (60, "alias.mx.test"),
                (70, "nocert.mx.test"),
                (80, "192.0.2.1"),
            ],
        )
        .await;
    w.dns.set_addr("plain.mx.test", &[ip("127.0.0.2")]).await;
    w.dns.set_addr("old.mx.test", &[ip("127.0.0.3")]).await;
    w.dns.set_addr("down.mx.test", &[ip("127.0.0.9")]).await;
    w.dns.set_cname("alias.mx.test", Some("mx.mx.test")).await;
    w.dns.set_addr("nocert.mx.test", &[ip(OURS)]).await;
    let f = w.check("mx.test", Some((&p, "1"))).await;
    note(&f);
    let uncovered = f
        .iter()
        .find(|x| x.code == "mx-uncovered" && x.subject == "plain.mx.test")
        .expect("plain.mx.test uncovered");
    assert_eq!(
        uncovered.severity,
        Severity::Error,
        "enforce makes an uncovered MX an error"
    );
    let expect = [
        ("mx-covered", "mx.mx.test"),
        ("mx-pattern-unused", "*.unused.test"),
        ("starttls-not-offered", "plain.mx.test"),
        ("starttls-tls-version", "old.mx.test"),
        ("starttls-connect", "down.mx.test"),
        ("mx-no-address", "noaddr.mx.test"),
        ("mx-cname", "alias.mx.test"),
        ("starttls-handshake", "nocert.mx.test"),
        ("mx-ip-address", "192.0.2.1"),
        ("dane-tlsa-absent", "mx.mx.test"),
    ];
    for (code, subject) in expect {
        assert!(
            f.iter().any(|x| x.code == code && x.subject == subject),
            "{code} for {subject} in {f:#?}"
        );
    }

    // Testing mode: an uncovered MX is a warning, not an error.
    let p = policy(Mode::Testing, &["mx.mx.test"]);
    let f = w.check("mx.test", Some((&p, "1"))).await;
    assert!(f
        .iter()
        .any(|x| x.code == "mx-uncovered" && x.severity == Severity::Warning));

    // Null MX, and a domain without a policy whose DNS already announces one.
    w.dns.set_mx("nullmx.test", &[(0, ".")]).await;
    let f = w.check("nullmx.test", None).await;
    note(&f);
    find(&f, FindingCode::MxNull);
    assert_eq!(find(&f, FindingCode::PolicyNotConfigured).severity, Severity::Warning);
    w.dns.set_txt("_mta-sts.nullmx.test", &["v=STSv1; id=1"]).await;
    let f = w.check("nullmx.test", None).await;
    assert_eq!(find(&f, FindingCode::PolicyNotConfigured).severity, Severity::Error);

    assert_produced(&produced, AREA_MX);
}

/// Private addresses refused outside tests, and a DNS server that does not answer.
#[tokio::test]
async fn findings_safety() {
    let w = start_world().await;
    let mut produced: BTreeSet<String> = BTreeSet::new();
    let mut note = |f: &[Finding]| produced.extend(f.iter().map(|f| f.code.clone()));
    let p = policy(Mode::Testing, &["mx.good.test"]);
    w.good_domain("good.test", &p, "1").await;

    // Private addresses are refused outside tests (SSRF), and nothing is fetched or probed.
    let strict = Checker::new(
        Dns::new(Some(w.dns.addr())).unwrap(),
        settings(w.policy_host.addr().port(), w.smtp.addr().port(), &w.ca, false),
    )
    .unwrap();
    let p = policy(Mode::Testing, &["mx.good.test"]);
    let f = check_with(&strict, "good.test", Some((&p, "1"))).await;
    note(&f);
    for c in ["policy-host-private", "mx-private-address"] {
        assert!(codes(&f).contains(c), "{c} in {f:#?}");
    }
    for c in ["policy-fetch-ok", "starttls-ok"] {
        assert!(!codes(&f).contains(c), "{c} must not run against a private address");
    }

    // A DNS server that cannot be reached.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let broken = Checker::new(Dns::new(Some(closed)).unwrap(), CheckSettings::default()).unwrap();
    let f = check_with(&broken, "good.test", Some((&p, "1"))).await;
    note(&f);
    find(&f, FindingCode::LookupFailed);
    assert_produced(&produced, AREA_SAFETY);
}

#[tokio::test]
async fn probes_are_cached_until_asked_fresh() {
    let w = start_world().await;
    let p = policy(Mode::Testing, &["mx.cache.test"]);
    w.good_domain("cache.test", &p, "1").await;
    let f = w.check("cache.test", Some((&p, "1"))).await;
    find(&f, FindingCode::StartTlsOk);
    // The MX now serves a certificate for the wrong name; the cached probe still says ok...
    w.smtp.set_cert("mx.cache.test", w.ca.issue(&["other.test"], (-1, 90)));
    let f = w.check("cache.test", Some((&p, "1"))).await;
    find(&f, FindingCode::StartTlsOk);
    // ...until "check now" asks for a fresh probe.
    let input = CheckInput {
        domain: DomainName::parse("cache.test").unwrap(),
        policy: Some(CurrentPolicy {
            id: PolicyId::new("1").unwrap(),
            text: p.render(),
        }),
        public_host: Some("portcullis.test".into()),
        reports: reports(),
        fresh: true,
        proof: None,
    };
    let f = w.checker.check(&input).await;
    find(&f, FindingCode::StartTlsCertName);
}
