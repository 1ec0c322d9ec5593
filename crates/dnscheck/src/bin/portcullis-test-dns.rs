//! A loopback DNS server for browser tests, optionally with the peers a passing check needs:
//! `portcullis-test-dns --mx example.test=10:mx1.example.test --txt _mta-sts.example.test=v=STSv1;id=1
//! --a mx1.example.test=127.0.0.1 --cname mta-sts.example.test=portcullis.test` (each repeatable),
//! plus `--ca-out FILE` (a test CA; its root is written there), `--policy-host NAME=ADDR` (an
//! HTTPS policy host for NAME, certified by that CA, relaying to the plain-HTTP server at ADDR)
//! and `--smtp HOST` (an SMTP server with STARTTLS and a certificate for HOST); `--latency-ms N`
//! answers every query N ms late, as a distant server would (the cluster benchmark).
//!
//! Prints one line once it answers: the DNS address, then `https=<port>` and `smtp=<port>` when
//! those peers run. Then reads commands on stdin, one per line, answering `ok` or `error: …`:
//! `mx DOMAIN=PREF:HOST[,PREF:HOST…]` replaces the domain's MX records, `txt NAME=TEXT` its
//! TXT records, `cname NAME=TARGET` makes NAME an alias.

use portcullis_dnscheck::testing::{PolicyHostBehaviour, SmtpTls, TestCa, TestDns, TestPolicyHost, TestSmtp};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncBufReadExt, BufReader};

const USAGE: &str =
    "usage: portcullis-test-dns [--mx DOMAIN=PREF:HOST] [--txt NAME=TEXT] [--a NAME=IP] [--cname NAME=TARGET] \
                     [--ca-out FILE] [--policy-host NAME=ADDR] [--smtp HOST] [--latency-ms N]...";

fn fail(message: String) -> ! {
    eprintln!("{message}\n{USAGE}");
    std::process::exit(2);
}

fn mx_records(value: &str) -> Option<Vec<(u16, String)>> {
    value
        .split(',')
        .map(|r| {
            let (pref, host) = r.trim().split_once(':')?;
            Some((pref.parse::<u16>().ok()?, host.to_string()))
        })
        .collect()
}

async fn set_mx(server: &TestDns, domain: &str, records: &[(u16, String)]) {
    let refs: Vec<(u16, &str)> = records.iter().map(|(p, h)| (*p, h.as_str())).collect();
    server.set_mx(domain, &refs).await;
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut mx: BTreeMap<String, Vec<(u16, String)>> = BTreeMap::new();
    let mut txt: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut addrs: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    let mut cnames: Vec<(String, String)> = Vec::new();
    let mut ca_out: Option<String> = None;
    let mut policy_hosts: Vec<(String, SocketAddr)> = Vec::new();
    let mut smtp_hosts: Vec<String> = Vec::new();
    let mut latency = std::time::Duration::ZERO;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let spec = it.next().cloned().unwrap_or_default();
        match flag.as_str() {
            "--ca-out" => {
                ca_out = Some(spec);
                continue;
            }
            "--smtp" => {
                smtp_hosts.push(spec);
                continue;
            }
            "--latency-ms" => match spec.parse() {
                Ok(ms) => {
                    latency = std::time::Duration::from_millis(ms);
                    continue;
                }
                Err(_) => fail(format!("--latency-ms wants a number of milliseconds, got {spec:?}")),
            },
            _ => {}
        }
        let Some((name, value)) = spec.split_once('=') else {
            fail(format!("{flag} wants NAME=VALUE, got {spec:?}"));
        };
        let name = name.to_string();
        match flag.as_str() {
            "--mx" => {
                let Some(records) = mx_records(value) else {
                    fail(format!("--mx wants DOMAIN=PREF:HOST, got {spec:?}"));
                };
                mx.entry(name).or_default().extend(records);
            }
            "--txt" => txt.entry(name).or_default().push(value.to_string()),
            "--a" => match value.parse() {
                Ok(ip) => addrs.entry(name).or_default().push(ip),
                Err(_) => fail(format!("--a wants NAME=IP, got {spec:?}")),
            },
            "--cname" => cnames.push((name, value.to_string())),
            "--policy-host" => match value.parse() {
                Ok(addr) => policy_hosts.push((name, addr)),
                Err(_) => fail(format!("--policy-host wants NAME=IP:PORT, got {spec:?}")),
            },
            other => fail(format!("unknown argument {other}")),
        }
    }
    let server = TestDns::with_latency(latency).await;
    for (domain, records) in &mx {
        set_mx(&server, domain, records).await;
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
    let mut line = server.addr().to_string();
    let needs_ca = !policy_hosts.is_empty() || !smtp_hosts.is_empty();
    if needs_ca && ca_out.is_none() {
        fail("--policy-host and --smtp need --ca-out FILE for the test CA's root".into());
    }
    let ca = TestCa::new();
    if let Some(path) = &ca_out {
        if let Err(e) = std::fs::write(path, ca.root_pem()) {
            fail(format!("cannot write {path}: {e}"));
        }
    }
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut _peers = (None, None);
    if !policy_hosts.is_empty() {
        let host = TestPolicyHost::start(loopback).await;
        for (name, upstream) in &policy_hosts {
            host.set(
                name,
                ca.issue(&[name.as_str()], (-1, 90)),
                PolicyHostBehaviour::Proxy(*upstream),
            );
        }
        line.push_str(&format!(" https={}", host.addr().port()));
        _peers.0 = Some(host);
    }
    if !smtp_hosts.is_empty() {
        let smtp = TestSmtp::start(loopback, SmtpTls::StartTls).await;
        for name in &smtp_hosts {
            smtp.set_cert(name, ca.issue(&[name.as_str()], (-1, 90)));
        }
        line.push_str(&format!(" smtp={}", smtp.addr().port()));
        _peers.1 = Some(smtp);
    }
    println!("{line}");
    let mut commands = BufReader::new(tokio::io::stdin()).lines();
    // One interrupt listener for the whole run: a SIGINT that arrives while a command is being
    // handled, or just as stdin closes, is not lost.
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let mut stdin_open = true;
    loop {
        tokio::select! {
            _ = &mut interrupt => break,
            next = commands.next_line(), if stdin_open => match next {
                Ok(Some(command)) => {
                    let answer = match command.trim().split_once(' ') {
                        Some(("mx", spec)) => match spec
                            .split_once('=')
                            .and_then(|(d, v)| Some((d, mx_records(v)?)))
                            as Option<(&str, Vec<(u16, String)>)>
                        {
                            Some((domain, records)) => {
                                set_mx(&server, domain, &records).await;
                                "ok".to_string()
                            }
                            None => format!("error: mx wants DOMAIN=PREF:HOST, got {spec:?}"),
                        },
                        Some(("txt", spec)) => match spec.split_once('=') {
                            Some((name, text)) => {
                                server.set_txt(name, &[text]).await;
                                "ok".to_string()
                            }
                            None => format!("error: txt wants NAME=TEXT, got {spec:?}"),
                        },
                        Some(("cname", spec)) => match spec.split_once('=') {
                            Some((name, target)) => {
                                server.set_cname(name, Some(target)).await;
                                "ok".to_string()
                            }
                            None => format!("error: cname wants NAME=TARGET, got {spec:?}"),
                        },
                        _ => format!("error: unknown command {command:?}"),
                    };
                    println!("{answer}");
                }
                // stdin closed (nobody sends commands): serve until interrupted.
                Ok(None) | Err(_) => stdin_open = false,
            },
        }
    }
}
