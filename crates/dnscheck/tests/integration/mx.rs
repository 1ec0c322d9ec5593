//! MX look-ups against a real DNS server on loopback.

use portcullis_dnscheck::testing::TestDns;
use portcullis_dnscheck::{Dns, MxAnswer, MxRecord};
use portcullis_domain::DomainName;

fn domain(s: &str) -> DomainName {
    DomainName::parse(s).unwrap()
}

#[tokio::test]
async fn mx_answers_tell_hosts_null_mx_no_mx_and_nxdomain_apart() {
    let server = TestDns::start().await;
    let dns = Dns::new(Some(server.addr())).unwrap();

    server
        .set_mx("hosts.test", &[(20, "MX2.Hosts.test."), (10, "mx1.hosts.test")])
        .await;
    assert_eq!(
        dns.mx(&domain("hosts.test")).await.unwrap(),
        MxAnswer::Hosts {
            records: vec![
                MxRecord {
                    preference: 10,
                    host: "mx1.hosts.test".into()
                },
                MxRecord {
                    preference: 20,
                    host: "mx2.hosts.test".into()
                },
            ]
        }
    );

    server.set_mx("null.test", &[(0, ".")]).await;
    assert_eq!(dns.mx(&domain("null.test")).await.unwrap(), MxAnswer::NullMx);

    server.set_txt("nomx.test", &["v=spf1 -all"]).await;
    assert_eq!(dns.mx(&domain("nomx.test")).await.unwrap(), MxAnswer::NoMx);

    assert_eq!(dns.mx(&domain("absent.test")).await.unwrap(), MxAnswer::NoDomain);
    assert!(MxAnswer::NoDomain.explain().unwrap().contains("NXDOMAIN"));

    // A change in DNS is seen at once: nothing is cached.
    server.set_mx("hosts.test", &[(5, "new.hosts.test")]).await;
    assert_eq!(
        dns.mx(&domain("hosts.test")).await.unwrap().hosts(),
        vec!["new.hosts.test"]
    );
}

#[tokio::test]
async fn addresses_follow_the_test_zone() {
    let server = TestDns::start().await;
    let dns = Dns::new(Some(server.addr())).unwrap();
    let v4: std::net::IpAddr = "192.0.2.10".parse().unwrap();
    let v6: std::net::IpAddr = "2001:db8::10".parse().unwrap();
    server.set_addr("mta-sts.example.test", &[v4, v6]).await;
    assert_eq!(dns.addresses("mta-sts.example.test").await.unwrap(), vec![v4, v6]);
    assert!(dns.addresses("missing.example.test").await.unwrap().is_empty());
}
