//! A real authoritative DNS server on loopback (hickory-server, UDP and TCP) whose records tests
//! set and change while it runs. One zone at the root serves every test name.

use hickory_server::authority::{Catalog, ZoneType};
use hickory_server::proto::rr::rdata::tlsa::{CertUsage, Matching, Selector};
use hickory_server::proto::rr::rdata::{CNAME, MX, PTR, SOA, TLSA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType, RrKey};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryAuthority;
use hickory_server::ServerFuture;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};

/// The catalog, answering after a fixed delay.
struct Delayed {
    catalog: Catalog,
    latency: Duration,
}

impl RequestHandler for Delayed {
    fn handle_request<'a, 'b, 'f, R>(
        &'a self,
        request: &'b Request,
        response: R,
    ) -> Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'f>>
    where
        R: 'f + ResponseHandler,
        Self: 'f,
        'a: 'f,
        'b: 'f,
    {
        Box::pin(async move {
            if !self.latency.is_zero() {
                tokio::time::sleep(self.latency).await;
            }
            self.catalog.handle_request(request, response).await
        })
    }
}

pub struct TestDns {
    addr: SocketAddr,
    zone: Arc<InMemoryAuthority>,
    serial: std::sync::atomic::AtomicU32,
    _server: tokio::task::JoinHandle<()>,
}

fn name(s: &str) -> Name {
    Name::from_str(&crate::resolver::fqdn(s)).expect("test DNS names are valid")
}

impl TestDns {
    /// Starts the server on 127.0.0.1 with an ephemeral port (the same for UDP and TCP).
    pub async fn start() -> Self {
        Self::with_latency(Duration::ZERO).await
    }

    /// As [`TestDns::start`], answering every query `latency` late, as a distant server would
    /// (the cluster benchmark's monitor waits on the network, not on the CPU).
    pub async fn with_latency(latency: Duration) -> Self {
        let zone = InMemoryAuthority::empty(Name::root(), ZoneType::Primary, false);
        let soa = SOA::new(name("ns.test"), name("hostmaster.test"), 1, 3600, 600, 86400, 0);
        zone.upsert(Record::from_rdata(Name::root(), 0, RData::SOA(soa)), 1)
            .await;
        let zone = Arc::new(zone);
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&Name::root()), vec![zone.clone()]);
        let mut server = ServerFuture::new(Delayed { catalog, latency });
        // Bind UDP first, then TCP on the same port (retrying if another process took it).
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
            let port = udp.local_addr().unwrap().port();
            if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)).await {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr().unwrap();
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5));
        let handle = tokio::spawn(async move {
            let _ = server.block_until_done().await;
        });
        Self {
            addr,
            zone,
            serial: 2.into(),
            _server: handle,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn next_serial(&self) -> u32 {
        self.serial.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// Replaces every record of `rtype` at `owner` with `records` (none: removes them).
    async fn replace(&self, owner: &str, rtype: RecordType, records: Vec<RData>) {
        let owner = name(owner);
        self.zone
            .records_mut()
            .await
            .remove(&RrKey::new(LowerName::new(&owner), rtype));
        for rdata in records {
            let serial = self.next_serial();
            self.zone
                .upsert(Record::from_rdata(owner.clone(), 0, rdata), serial)
                .await;
        }
    }

    /// MX records as `(preference, host)`; `host` "." publishes a null MX.
    pub async fn set_mx(&self, owner: &str, records: &[(u16, &str)]) {
        let rdata = records.iter().map(|(p, h)| RData::MX(MX::new(*p, name(h)))).collect();
        self.replace(owner, RecordType::MX, rdata).await;
    }

    /// TXT records, one string each.
    pub async fn set_txt(&self, owner: &str, records: &[&str]) {
        let rdata = records
            .iter()
            .map(|t| RData::TXT(TXT::new(vec![t.to_string()])))
            .collect();
        self.replace(owner, RecordType::TXT, rdata).await;
    }

    /// A or AAAA records, chosen by address family.
    pub async fn set_addr(&self, owner: &str, addrs: &[IpAddr]) {
        let (v4, v6): (Vec<_>, Vec<_>) = addrs.iter().partition(|a| a.is_ipv4());
        let a = v4
            .iter()
            .map(|ip| match ip {
                IpAddr::V4(ip) => RData::A((*ip).into()),
                IpAddr::V6(_) => unreachable!(),
            })
            .collect();
        let aaaa = v6
            .iter()
            .map(|ip| match ip {
                IpAddr::V6(ip) => RData::AAAA((*ip).into()),
                IpAddr::V4(_) => unreachable!(),
            })
            .collect();
        self.replace(owner, RecordType::A, a).await;
        self.replace(owner, RecordType::AAAA, aaaa).await;
    }

    /// A CNAME from `owner` to `target` (none: removes it).
    pub async fn set_cname(&self, owner: &str, target: Option<&str>) {
        let rdata = target.map(|t| RData::CNAME(CNAME(name(t)))).into_iter().collect();
        self.replace(owner, RecordType::CNAME, rdata).await;
    }

    /// `count` DANE-EE TLSA records (the data is arbitrary: DANE is only reported).
    pub async fn set_tlsa(&self, owner: &str, count: u8) {
        let rdata = (0..count)
            .map(|i| {
                RData::TLSA(TLSA::new(
                    CertUsage::DaneEe,
                    Selector::Spki,
                    Matching::Sha256,
                    vec![i; 32],
                ))
            })
            .collect();
        self.replace(owner, RecordType::TLSA, rdata).await;
    }

    /// The PTR record of `ip` (under in-addr.arpa or ip6.arpa); none removes it.
    pub async fn set_ptr(&self, ip: IpAddr, target: Option<&str>) {
        let owner = Name::from(ip).to_ascii();
        let rdata = target.map(|t| RData::PTR(PTR(name(t)))).into_iter().collect();
        self.replace(&owner, RecordType::PTR, rdata).await;
    }

    /// Removes every record of `rtype` at `owner`.
    pub async fn clear(&self, owner: &str, rtype: RecordType) {
        self.replace(owner, rtype, vec![]).await;
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        self._server.abort();
    }
}
