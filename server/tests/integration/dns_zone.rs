//! The built-in DNS server for the delegated zone, started as `portcullis serve` starts it and
//! asked over the wire, UDP and TCP: records for proven domains only, the `_mta-sts` id
//! following a policy save at once, NXDOMAIN and NODATA with the SOA, refusal outside the zone,
//! EDNS, the UDP rate limit; and on PostgreSQL a second instance answers a save made on the
//! first within a second.

use crate::common::TestApp;
use hickory_server::proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_server::proto::rr::{Name, RData, RecordType};
use portcullis_domain::{Mode, PolicySpec};
use portcullis_server::{Application, Config};
use portcullis_service::{Operator, Services};
use portcullis_store::testing::Kind;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ZONE: &str = "sts.test";

/// Serves `services` with the DNS server on; its address.
async fn serve_zone(services: &Services, rate_limit: u32) -> SocketAddr {
    let config = Config {
        http_addr: "127.0.0.1:0".into(),
        dns_addr: Some("127.0.0.1:0".parse().unwrap()),
        dns_zone: Some(ZONE.into()),
        dns_rate_limit: rate_limit,
        public_host: Some("portcullis.test".into()),
        monitor_interval_secs: 0,
        alert_interval_secs: 0,
        ..Config::default()
    };
    let app = Application::with_services(config, services.clone()).await.unwrap();
    let addr = app.dns_addr().expect("dns_addr is configured");
    tokio::spawn(app.run_until(std::future::pending()));
    addr
}

fn question(name: &str, rtype: RecordType, edns: bool) -> Vec<u8> {
    let mut m = Message::new();
    m.set_id(rand_id())
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(Name::from_str(name).unwrap(), rtype));
    if edns {
        let mut e = Edns::new();
        e.set_max_payload(1232);
        m.set_edns(e);
    }
    m.to_vec().unwrap()
}

fn rand_id() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One question over UDP; `None` when no answer came within `wait`.
async fn udp(addr: SocketAddr, name: &str, rtype: RecordType, wait: Duration) -> Option<Message> {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(&question(name, rtype, false), addr).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(wait, socket.recv(&mut buf)).await.ok()?.unwrap();
    Some(Message::from_vec(&buf[..n]).unwrap())
}

async fn ask(addr: SocketAddr, name: &str, rtype: RecordType) -> Message {
    udp(addr, name, rtype, Duration::from_secs(2)).await.expect("an answer")
}

/// One question over TCP (two-byte length prefix), with EDNS.
async fn tcp(addr: SocketAddr, name: &str, rtype: RecordType) -> Message {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let q = question(name, rtype, true);
    stream.write_all(&(q.len() as u16).to_be_bytes()).await.unwrap();
    stream.write_all(&q).await.unwrap();
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.unwrap();
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut buf).await.unwrap();
    Message::from_vec(&buf).unwrap()
}

fn txt(m: &Message) -> Vec<String> {
    m.answers()
        .iter()
        .filter_map(|r| match r.data() {
            RData::TXT(t) => Some(t.to_string()),
            _ => None,
        })
        .collect()
}

fn policy(max_age: u64) -> PolicySpec {
    PolicySpec {
        mode: Mode::Testing,
        max_age,
        mx: vec!["mx1.example.com".into()],
    }
}

async fn served_id(services: &Services, access: &portcullis_store::OrgAccess) -> String {
    services
        .policy_versions(access, "example.com")
        .await
        .unwrap()
        .first()
        .unwrap()
        .policy_id
        .clone()
}

/// Saves a different policy for example.com a second after the last (ids have one-second
/// resolution) and returns its id.
async fn save_new_policy(services: &Services, access: &portcullis_store::OrgAccess) -> String {
    tokio::time::sleep(Duration::from_millis(1100)).await;
    services
        .save_policy(access, "example.com", &policy(604_800), "alice")
        .await
        .unwrap();
    served_id(services, access).await
}

async fn the_zone_answers_for_proven_domains(kind: Kind) {
    let app = TestApp::new(kind).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let row = app.services.add_domain(&org, "example.com").await.unwrap();
    app.services
        .save_policy(&org, "example.com", &policy(86_400), "alice")
        .await
        .unwrap();
    let addr = serve_zone(&app.services, 0).await;
    let token = &row.proof_token;
    let sts = format!("_mta-sts.{token}.{ZONE}.");

    // Unproven: nothing is served, the zone knows no such name.
    let m = ask(addr, &sts, RecordType::TXT).await;
    assert_eq!(m.response_code(), ResponseCode::NXDomain);
    assert!(app.services.served_policy("example.com").is_none());

    let operator = Operator::new(app.db.store.clone());
    assert!(app.services.prove_as_operator(&operator, "example.com").await.unwrap());
    assert!(
        !app.services.prove_as_operator(&operator, "example.com").await.unwrap(),
        "once"
    );
    assert!(
        app.services.served_policy("example.com").is_some(),
        "served once proven"
    );
    let m = ask(addr, &sts, RecordType::TXT).await;
    assert_eq!(m.response_code(), ResponseCode::NoError);
    assert!(m.authoritative() && !m.recursion_available());
    let first = served_id(&app.services, &org).await;
    assert_eq!(txt(&m), vec![format!("v=STSv1; id={first}")]);
    assert_eq!(m.answers()[0].ttl(), 60);

    // A new policy changes the answer at once (ids have one-second resolution).
    let second = save_new_policy(&app.services, &org).await;
    assert_ne!(first, second);
    assert_eq!(
        txt(&ask(addr, &sts, RecordType::TXT).await),
        vec![format!("v=STSv1; id={second}")]
    );

    let rpt = ask(addr, &format!("_smtp._tls.{token}.{ZONE}."), RecordType::TXT).await;
    assert_eq!(
        txt(&rpt),
        vec!["v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test,https://portcullis.test/tlsrpt".to_string()]
    );
    let host = ask(addr, &format!("mta-sts.{token}.{ZONE}."), RecordType::A).await;
    match host.answers()[0].data() {
        RData::CNAME(target) => assert_eq!(target.0.to_ascii(), "portcullis.test."),
        other => panic!("{other:?}"),
    }

    // NODATA and NXDOMAIN carry the SOA; names outside the zone are refused.
    let nodata = ask(addr, &sts, RecordType::AAAA).await;
    assert_eq!(
        (nodata.response_code(), nodata.answers().len()),
        (ResponseCode::NoError, 0)
    );
    assert_eq!(nodata.name_servers()[0].record_type(), RecordType::SOA);
    let nx = ask(addr, &format!("www.{ZONE}."), RecordType::A).await;
    assert_eq!(nx.response_code(), ResponseCode::NXDomain);
    assert_eq!(nx.name_servers()[0].record_type(), RecordType::SOA);
    let refused = ask(addr, "_mta-sts.example.com.", RecordType::TXT).await;
    assert_eq!(refused.response_code(), ResponseCode::Refused);
    assert!(refused.answers().is_empty(), "no recursion");
    let soa = ask(addr, &format!("{ZONE}."), RecordType::SOA).await;
    assert_eq!(soa.answers()[0].record_type(), RecordType::SOA);
    let ns = ask(addr, &format!("{ZONE}."), RecordType::NS).await;
    assert_eq!(ns.answers()[0].record_type(), RecordType::NS);

    // TCP answers the same, and EDNS is answered with EDNS.
    let over_tcp = tcp(addr, &sts, RecordType::TXT).await;
    assert_eq!(txt(&over_tcp), vec![format!("v=STSv1; id={second}")]);
    assert!(over_tcp.extensions().is_some(), "EDNS in, EDNS out");

    app.cleanup().await;
}

#[tokio::test]
async fn the_zone_answers_for_proven_domains_sqlite() {
    the_zone_answers_for_proven_domains(Kind::Sqlite).await;
}

/// Past its rate a client network gets every second answer truncated (it may ask again over
/// TCP, which is answered) and the others dropped.
#[tokio::test]
async fn udp_answers_are_rate_limited_per_client_network() {
    let app = TestApp::new(Kind::Sqlite).await;
    let addr = serve_zone(&app.services, 5).await;
    let apex = format!("{ZONE}.");
    // Fifteen questions at once from one client.
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for _ in 0..15 {
        socket
            .send_to(&question(&apex, RecordType::SOA, false), addr)
            .await
            .unwrap();
    }
    let (mut full, mut truncated) = (0, 0);
    let mut buf = vec![0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(500), socket.recv(&mut buf)).await {
        match Message::from_vec(&buf[..n]).unwrap() {
            m if m.truncated() => truncated += 1,
            _ => full += 1,
        }
    }
    let dropped = 15 - full - truncated;
    assert_eq!(
        (full, truncated, dropped),
        (5, 5, 5),
        "the burst answered, then every second slipped"
    );
    assert_eq!(
        tcp(addr, &apex, RecordType::SOA).await.answers().len(),
        1,
        "TCP is not limited"
    );
    app.cleanup().await;
}

/// Two instances on one PostgreSQL database, each with its DNS server: a policy saved on one
/// changes the other's answer within a second.
#[tokio::test]
async fn every_instance_answers_a_save_within_a_second_postgres() {
    let app = TestApp::new(Kind::Postgres).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let row = app.services.add_domain(&org, "example.com").await.unwrap();
    let operator = Operator::new(app.db.store.clone());
    app.services.prove_as_operator(&operator, "example.com").await.unwrap();
    app.services
        .save_policy(&org, "example.com", &policy(86_400), "alice")
        .await
        .unwrap();
    let other = Services::new(portcullis_store::Store::connect(&app.db.url).await.unwrap())
        .await
        .unwrap();
    let addr = serve_zone(&other, 0).await;
    let sts = format!("_mta-sts.{}.{ZONE}.", row.proof_token);
    let first = served_id(&app.services, &org).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while txt(&ask(addr, &sts, RecordType::TXT).await) != vec![format!("v=STSv1; id={first}")] {
        assert!(Instant::now() < deadline, "the other instance loads the proven domain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = save_new_policy(&app.services, &org).await;
    let saved = Instant::now();
    while txt(&ask(addr, &sts, RecordType::TXT).await) != vec![format!("v=STSv1; id={second}")] {
        assert!(saved.elapsed() < Duration::from_secs(1), "answered within a second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.cleanup().await;
}

/// `dig` with `args`, its standard output (awaited: the servers asked run on this runtime).
async fn dig(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("dig")
            .args(["+time=2", "+tries=1"])
            .args(&args)
            .output()
            .expect("dig (dnsutils) is installed by make setup")
    })
    .await
    .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A real recursive resolver (unbound) whose stub zones send the delegated zone to the built-in
/// server and the owners' zones to the test DNS holding their records; it caches for a second
/// at most, so a change shows quickly.
struct Unbound {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Unbound {
    fn start(port: u16, zone_server: SocketAddr, owners: SocketAddr) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let conf = format!(
            "server:\n  interface: 127.0.0.1\n  port: {port}\n  do-not-query-localhost: no\n  \
             access-control: 127.0.0.0/8 allow\n  username: \"\"\n  chroot: \"\"\n  directory: \"{dir}\"\n  \
             pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  module-config: \"iterator\"\n  \
             cache-max-ttl: 1\n  cache-max-negative-ttl: 1\n  qname-minimisation: no\n  \
             do-ip6: no\n  verbosity: 0\n  local-zone: \"test.\" nodefault\n\
             stub-zone:\n  name: \"{ZONE}\"\n  stub-addr: {z}@{zp}\n\
             stub-zone:\n  name: \"example.com\"\n  stub-addr: {o}@{op}\n\
             stub-zone:\n  name: \"test\"\n  stub-addr: {o}@{op}\n",
            dir = dir.path().display(),
            z = zone_server.ip(),
            zp = zone_server.port(),
            o = owners.ip(),
            op = owners.port(),
        );
        let path = dir.path().join("unbound.conf");
        std::fs::write(&path, conf).unwrap();
        let child = std::process::Command::new("/usr/sbin/unbound")
            .args(["-d", "-c"])
            .arg(&path)
            .spawn()
            .expect("unbound is installed by make setup");
        Self { child, _dir: dir }
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The owner publishes the three CNAMEs once; a real resolver then reaches the records through
/// the built-in server, `dig` gets authoritative answers from it over UDP and TCP, the project's
/// own DNS check sees the delegation and the current id, and a policy save shows through the
/// resolver as soon as its (one-second) cache allows.
#[tokio::test]
async fn real_clients_resolve_a_delegated_domain() {
    use portcullis_dnscheck::testing::TestDns;
    use portcullis_dnscheck::{CheckSettings, Checker, Dns};
    use portcullis_domain::dns::ReportAddresses;

    let owners = TestDns::start().await;
    let unbound_port = crate::common::free_port();
    let resolver: SocketAddr = format!("127.0.0.1:{unbound_port}").parse().unwrap();
    let settings = CheckSettings {
        allow_private: true,
        connect_timeout: Duration::from_millis(500),
        io_timeout: Duration::from_millis(500),
        ..CheckSettings::default()
    };
    let checker = Checker::new(Dns::new(Some(resolver)).unwrap(), settings).unwrap();
    let config = portcullis_service::DnsConfig {
        public_host: Some("portcullis.test".into()),
        reports: ReportAddresses {
            mailto: Some("tlsrpt@portcullis.test".into()),
            https: Some("https://portcullis.test/tlsrpt".into()),
        },
        zone: Some(ZONE.into()),
    };
    let app = TestApp::with_checker(Kind::Sqlite, checker, config).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    app.proven_domain(&org, "example.com").await;
    let token = app.services.domain_in(&org, "example.com").await.unwrap().proof_token;
    app.services
        .save_policy(&org, "example.com", &policy(86_400), "alice")
        .await
        .unwrap();
    let zone_server = serve_zone(&app.services, 0).await;

    for prefix in ["_mta-sts", "_smtp._tls", "mta-sts"] {
        let target = format!("{prefix}.{token}.{ZONE}");
        owners.set_cname(&format!("{prefix}.example.com"), Some(&target)).await;
    }
    owners.set_mx("example.com", &[(10, "mx.example.com")]).await;
    owners.set_addr("mx.example.com", &["127.0.0.1".parse().unwrap()]).await;
    owners
        .set_addr("portcullis.test", &["127.0.0.1".parse().unwrap()])
        .await;
    let _unbound = Unbound::start(unbound_port, zone_server, owners.addr());
    let port = unbound_port.to_string();
    let through = |name: String, rtype: &'static str| {
        let port = port.clone();
        async move { dig(&["@127.0.0.1", "-p", &port, &name, rtype, "+short"]).await }
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !through(format!("{ZONE}."), "SOA").await.contains("hostmaster") {
        assert!(
            Instant::now() < deadline,
            "unbound answers: {}",
            dig(&["@127.0.0.1", "-p", &port, &format!("{ZONE}."), "SOA"]).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Through the resolver: CNAME, then the TXT behind it in the built-in zone.
    let first = served_id(&app.services, &org).await;
    let answer = through("_mta-sts.example.com".into(), "TXT").await;
    assert!(
        answer.contains(&format!("_mta-sts.{token}.{ZONE}.")),
        "{answer}\n{}\n{}",
        dig(&["@127.0.0.1", "-p", &port, "_mta-sts.example.com", "TXT"]).await,
        dig(&[
            "@127.0.0.1",
            "-p",
            &owners.addr().port().to_string(),
            "_mta-sts.example.com",
            "TXT",
            "+norec"
        ])
        .await
    );
    assert!(answer.contains(&format!("\"v=STSv1; id={first}\"")), "{answer}");
    let answer = through("_smtp._tls.example.com".into(), "TXT").await;
    assert!(
        answer.contains("v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test"),
        "{answer}"
    );
    let answer = through("mta-sts.example.com".into(), "A").await;
    assert!(
        answer.contains("portcullis.test.") && answer.contains("127.0.0.1"),
        "{answer}"
    );

    // Straight at the built-in server: authoritative, over UDP and TCP.
    let server_port = zone_server.port().to_string();
    let sts = format!("_mta-sts.{token}.{ZONE}");
    for transport in ["+notcp", "+tcp"] {
        let full = dig(&["@127.0.0.1", "-p", &server_port, &sts, "TXT", "+norec", transport]).await;
        assert!(
            full.contains("status: NOERROR") && full.contains("flags: qr aa"),
            "{transport}: {full}"
        );
        assert!(full.contains(&format!("v=STSv1; id={first}")), "{transport}: {full}");
    }
    let refused = dig(&["@127.0.0.1", "-p", &server_port, "example.com", "TXT"]).await;
    assert!(refused.contains("status: REFUSED"), "{refused}");

    // The project's own check, through the same resolver, sees the delegation and the id.
    let run = app.services.check_dns(&org, "example.com", "test").await.unwrap();
    let codes: Vec<&str> = run.findings.iter().map(|f| f.code.as_str()).collect();
    for code in ["delegation-ok", "sts-record-ok", "sts-record-cname", "tlsrpt-record-ok"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }

    // A save shows through the resolver at once, give or take the second it may cache the old
    // answer (the built-in server itself answers the new id at once: see the tests above).
    let second = save_new_policy(&app.services, &org).await;
    let saved = Instant::now();
    while !through("_mta-sts.example.com".into(), "TXT")
        .await
        .contains(&format!("id={second}"))
    {
        assert!(
            saved.elapsed() < Duration::from_secs(2),
            "through the resolver within its one-second cache and a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.cleanup().await;
}
