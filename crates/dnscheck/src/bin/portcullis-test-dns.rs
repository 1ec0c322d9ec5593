//! A loopback DNS server for browser tests:
//! `portcullis-test-dns --mx example.test=10:mx1.example.test --txt _mta-sts.example.test=v=STSv1;id=1
//! --a mx1.example.test=127.0.0.1 --cname mta-sts.example.test=portcullis.test` (each repeatable).
//! Prints `127.0.0.1:<port>` on stdout once it answers, then serves until killed.

use portcullis_dnscheck::testing::TestDns;
use std::collections::BTreeMap;
use std::net::IpAddr;

const USAGE: &str =
    "usage: portcullis-test-dns [--mx DOMAIN=PREF:HOST] [--txt NAME=TEXT] [--a NAME=IP] [--cname NAME=TARGET]...";

fn fail(message: String) -> ! {
    eprintln!("{message}\n{USAGE}");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut mx: BTreeMap<String, Vec<(u16, String)>> = BTreeMap::new();
    let mut txt: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut addrs: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    let mut cnames: Vec<(String, String)> = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let spec = it.next().cloned().unwrap_or_default();
        let Some((name, value)) = spec.split_once('=') else {
            fail(format!("{flag} wants NAME=VALUE, got {spec:?}"));
        };
        let name = name.to_string();
        match flag.as_str() {
            "--mx" => {
                let parsed = value
                    .split_once(':')
                    .and_then(|(pref, host)| Some((pref.parse::<u16>().ok()?, host.to_string())));
                let Some(record) = parsed else {
                    fail(format!("--mx wants DOMAIN=PREF:HOST, got {spec:?}"));
                };
                mx.entry(name).or_default().push(record);
            }
            "--txt" => txt.entry(name).or_default().push(value.to_string()),
            "--a" => match value.parse() {
                Ok(ip) => addrs.entry(name).or_default().push(ip),
                Err(_) => fail(format!("--a wants NAME=IP, got {spec:?}")),
            },
            "--cname" => cnames.push((name, value.to_string())),
            other => fail(format!("unknown argument {other}")),
        }
    }
    let server = TestDns::start().await;
    for (domain, records) in &mx {
        let refs: Vec<(u16, &str)> = records.iter().map(|(p, h)| (*p, h.as_str())).collect();
        server.set_mx(domain, &refs).await;
    }
    for (name, records) in &txt {
        let refs: Vec<&str> = records.iter().map(String::as_str).collect();
        server.set_txt(name, &refs).await;
    }
    for (name, ips) in &addrs {
        server.set_addr(name, ips).await;
    }
    for (name, target) in &cnames {
        server.set_cname(name, Some(target)).await;
    }
    println!("{}", server.addr());
    let _ = tokio::signal::ctrl_c().await;
}
