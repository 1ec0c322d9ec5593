//! `make bench-dns`: the full live check of N domains (default 1,000) against loopback peers —
//! an authoritative DNS server, an HTTPS policy host and an SMTP server with STARTTLS, each
//! domain with its own policy host certificate and its own MX host (no probe is shared, so the
//! MX probe cache does not flatter the figure).
//!
//! `cargo run --release --example bench_dns --features testing -- [DOMAINS] [CONCURRENCY]`

use portcullis_dnscheck::testing::{PolicyHostBehaviour, SmtpTls, TestCa, TestDns, TestPolicyHost, TestSmtp};
use portcullis_dnscheck::{CheckInput, CheckSettings, Checker, CurrentPolicy, Dns};
use portcullis_domain::dns::{ReportAddresses, Status};
use portcullis_domain::policy::{Mode, MxPattern, Policy, PolicyId};
use portcullis_domain::DomainName;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let setup = Instant::now();
    let dns = TestDns::start().await;
    let ca = TestCa::new();
    let host = TestPolicyHost::start("127.0.0.1:0".parse().unwrap()).await;
    let smtp = TestSmtp::start("127.0.0.1:0".parse().unwrap(), SmtpTls::StartTls).await;
    let ip = "127.0.0.1".parse().unwrap();
    dns.set_addr("portcullis.test", &[ip]).await;
    let reports = ReportAddresses {
        mailto: Some("tlsrpt@portcullis.test".into()),
        https: Some("https://portcullis.test/tlsrpt".into()),
    };
    let mut inputs = Vec::with_capacity(n);
    for i in 0..n {
        let d = format!("d{i}.bench.test");
        let mx = format!("mx.{d}");
        let policy = Policy::new(Mode::Testing, 604_800, vec![MxPattern::parse(&mx).unwrap()]).unwrap();
        let id = format!("2026112{}", i % 10);
        dns.set_txt(&format!("_mta-sts.{d}"), &[&format!("v=STSv1; id={id}")])
            .await;
        dns.set_cname(&format!("mta-sts.{d}"), Some("portcullis.test")).await;
        dns.set_txt(
            &format!("_smtp._tls.{d}"),
            &["v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test"],
        )
        .await;
        dns.set_mx(&d, &[(10, &mx)]).await;
        dns.set_addr(&mx, &[ip]).await;
        let policy_host = format!("mta-sts.{d}");
        host.set(
            &policy_host,
            ca.issue(&[&policy_host], (-1, 90)),
            PolicyHostBehaviour::Serve {
                content_type: "text/plain".into(),
                body: policy.render(),
            },
        );
        smtp.set_cert(&mx, ca.issue(&[&mx], (-1, 90)));
        inputs.push(CheckInput {
            domain: DomainName::parse(&d).unwrap(),
            policy: Some(CurrentPolicy {
                id: PolicyId::new(&id).unwrap(),
                text: policy.render(),
            }),
            public_host: Some("portcullis.test".into()),
            reports: reports.clone(),
            fresh: false,
            proof: None,
        });
    }
    let settings = CheckSettings {
        https_port: host.addr().port(),
        smtp_port: smtp.addr().port(),
        allow_private: true,
        extra_roots: vec![ca.root()],
        probe_concurrency: concurrency,
        ..CheckSettings::default()
    };
    let checker = Checker::new(Dns::new(Some(dns.addr())).unwrap(), settings).unwrap();
    eprintln!("setup: {n} domains in {:.1}s", setup.elapsed().as_secs_f64());

    let start = Instant::now();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for input in inputs {
        let (checker, semaphore) = (checker.clone(), semaphore.clone());
        tasks.spawn(async move {
            let _permit = semaphore.acquire().await.unwrap();
            let t = Instant::now();
            let findings = checker.check(&input).await;
            (t.elapsed(), Status::of(&findings), findings.len())
        });
    }
    let mut times = Vec::with_capacity(n);
    let (mut ok, mut not_ok, mut findings) = (0, 0, 0);
    while let Some(done) = tasks.join_next().await {
        let (t, status, count) = done.unwrap();
        times.push(t);
        findings += count;
        if status == Status::Ok {
            ok += 1;
        } else {
            not_ok += 1;
        }
    }
    let total = start.elapsed();
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("bench-dns: {n} domains, concurrency {concurrency}");
    println!(
        "  total {:.2} s ({:.0} domains/s), {findings} findings, {ok} ok, {not_ok} not ok",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64()
    );
    println!(
        "  per domain: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(pct(0.5)),
        ms(pct(0.9)),
        ms(pct(0.99)),
        ms(*times.last().unwrap())
    );
    println!(
        "  target: under 10 s -> {}",
        if total < Duration::from_secs(10) {
            "met"
        } else {
            "NOT met"
        }
    );
    if not_ok > 0 {
        eprintln!("every bench domain is published correctly, so every check must be ok");
        std::process::exit(1);
    }
}
