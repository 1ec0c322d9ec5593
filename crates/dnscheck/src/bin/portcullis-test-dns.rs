//! A loopback DNS server for browser tests: `portcullis-test-dns --mx example.test=10:mx1.example.test`
//! (repeatable). Prints `127.0.0.1:<port>` on stdout once it answers, then serves until killed.

use portcullis_dnscheck::testing::TestDns;
use std::collections::BTreeMap;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut mx: BTreeMap<String, Vec<(u16, String)>> = BTreeMap::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let spec = match arg.as_str() {
            "--mx" => it.next().cloned().unwrap_or_default(),
            other => {
                eprintln!("usage: portcullis-test-dns [--mx DOMAIN=PREF:HOST]... (unknown argument {other})");
                std::process::exit(2);
            }
        };
        let parsed = spec.split_once('=').and_then(|(domain, rest)| {
            let (pref, host) = rest.split_once(':')?;
            Some((domain.to_string(), pref.parse::<u16>().ok()?, host.to_string()))
        });
        let Some((domain, pref, host)) = parsed else {
            eprintln!("--mx wants DOMAIN=PREF:HOST, got {spec:?}");
            std::process::exit(2);
        };
        mx.entry(domain).or_default().push((pref, host));
    }
    let server = TestDns::start().await;
    for (domain, records) in &mx {
        let refs: Vec<(u16, &str)> = records.iter().map(|(p, h)| (*p, h.as_str())).collect();
        server.set_mx(domain, &refs).await;
    }
    println!("{}", server.addr());
    let _ = tokio::signal::ctrl_c().await;
}
