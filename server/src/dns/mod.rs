//! The built-in authoritative DNS server for the delegated zone (`PORTCULLIS_DNS_ADDR`,
//! `PORTCULLIS_DNS_ZONE`), over UDP and TCP on the same port. Answers come from the in-memory
//! snapshot (see `answer`), so a saved policy changes the `_mta-sts` answer at once, every
//! instance on one database answers alike, and a query never waits on the database.

pub mod answer;
pub mod rate_limit;

use answer::Zone;
use hickory_server::authority::MessageResponseBuilder;
use hickory_server::proto::op::{Edns, Header, MessageType, OpCode, ResponseCode};
use hickory_server::proto::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::ServerFuture;
use portcullis_service::Services;
use rate_limit::{RateLimit, Verdict};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};

/// How long a TCP client may take to send its query.
const TCP_TIMEOUT: Duration = Duration::from_secs(10);

/// The UDP socket and TCP listener, bound to the same address and port.
pub struct DnsListeners {
    udp: UdpSocket,
    tcp: TcpListener,
}

/// UDP readers on the one socket: one per core (at most four), so reading the queue is not the
/// bottleneck under load (each reader is a handle on the same socket).
fn udp_readers(socket: UdpSocket) -> std::io::Result<Vec<UdpSocket>> {
    let readers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let std_socket = socket.into_std()?;
    let mut out = Vec::with_capacity(readers);
    for _ in 1..readers {
        out.push(UdpSocket::from_std(std_socket.try_clone()?)?);
    }
    out.push(UdpSocket::from_std(std_socket)?);
    Ok(out)
}

impl DnsListeners {
    /// Binds `addr` for UDP and TCP; with port 0, the same free port for both.
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        for _ in 0..20 {
            let udp = UdpSocket::bind(addr).await?;
            let port = udp.local_addr()?.port();
            match TcpListener::bind((addr.ip(), port)).await {
                Ok(tcp) => return Ok(Self { udp, tcp }),
                // Another process holds the TCP side of the port UDP was given: try another.
                Err(_) if addr.port() == 0 => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no port free for both UDP and TCP",
        ))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.udp.local_addr().expect("a bound UDP socket has an address")
    }
}

struct Handler {
    zone: Arc<Zone>,
    services: Services,
    limit: RateLimit,
}

/// Serves the zone until `stop` completes.
pub async fn serve(
    listeners: DnsListeners,
    zone: Arc<Zone>,
    services: Services,
    rate_per_second: u32,
    stop: impl Future<Output = ()> + Send,
) {
    let handler = Handler {
        zone,
        services,
        limit: RateLimit::new(rate_per_second),
    };
    let mut server = ServerFuture::new(handler);
    match udp_readers(listeners.udp) {
        Ok(readers) => readers.into_iter().for_each(|r| server.register_socket(r)),
        Err(e) => {
            tracing::error!(error = %e, "the DNS server's UDP socket could not be set up; answering over TCP only");
        }
    }
    server.register_listener(listeners.tcp, TCP_TIMEOUT);
    stop.await;
    if let Err(e) = server.shutdown_gracefully().await {
        tracing::warn!(error = %e, "the DNS server stopped with an error");
    }
}

impl RequestHandler for Handler {
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
        Box::pin(self.respond(request, response))
    }
}

impl Handler {
    async fn respond<R: ResponseHandler>(&self, request: &Request, mut response: R) -> ResponseInfo {
        let mut header = Header::response_from_request(request.header());
        header.set_recursion_available(false);
        let builder = MessageResponseBuilder::from_message_request(request);
        if request.message_type() != MessageType::Query {
            // A response sent to us: never answer it (that would loop).
            return header.into();
        }
        if request.op_code() != OpCode::Query {
            let code = match request.op_code() {
                OpCode::Update | OpCode::Notify => ResponseCode::Refused,
                _ => ResponseCode::NotImp,
            };
            return send(&mut response, builder.error_msg(request.header(), code)).await;
        }
        let Ok(info) = request.request_info() else {
            return send(
                &mut response,
                builder.error_msg(request.header(), ResponseCode::FormErr),
            )
            .await;
        };
        let mut builder = builder;
        if let Some(asked) = request.edns() {
            let mut edns = Edns::new();
            edns.set_max_payload(asked.max_payload().max(512));
            edns.set_version(0);
            if asked.version() > 0 {
                header.set_response_code(ResponseCode::BADVERS);
                edns.set_rcode_high(ResponseCode::BADVERS.high());
                builder.edns(edns);
                return send(&mut response, builder.build_no_records(header)).await;
            }
            builder.edns(edns);
        }
        let query = info.query.original();
        let lookup = |token: &str| self.services.delegated(token);
        let Some(answer) = self.zone.answer(query.name(), query.query_type(), &lookup) else {
            header.set_response_code(ResponseCode::Refused);
            return send(&mut response, builder.build_no_records(header)).await;
        };
        header.set_authoritative(true);
        header.set_response_code(answer.code);
        if info.protocol == Protocol::Udp {
            match self.limit.check(info.src.ip()) {
                Verdict::Send => {}
                Verdict::Slip => {
                    header.set_truncated(true);
                    return send(&mut response, builder.build_no_records(header)).await;
                }
                Verdict::Drop => return header.into(),
            }
        }
        let no_records = std::iter::empty();
        send(
            &mut response,
            builder.build(
                header,
                answer.answers.iter(),
                no_records,
                answer.soa.iter(),
                std::iter::empty(),
            ),
        )
        .await
    }
}

async fn send<'a, R: ResponseHandler>(
    response: &mut R,
    message: hickory_server::authority::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a hickory_server::proto::rr::Record> + Send + 'a,
        impl Iterator<Item = &'a hickory_server::proto::rr::Record> + Send + 'a,
        impl Iterator<Item = &'a hickory_server::proto::rr::Record> + Send + 'a,
        impl Iterator<Item = &'a hickory_server::proto::rr::Record> + Send + 'a,
    >,
) -> ResponseInfo {
    let header = *message.header();
    match response.send_response(message).await {
        Ok(info) => info,
        Err(e) => {
            tracing::debug!(error = %e, "could not send a DNS answer");
            header.into()
        }
    }
}
