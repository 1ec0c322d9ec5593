//! What every listener allows one connection and one client: the public edge is reachable by
//! anyone, so a slow or greedy client must not hold what the policy host and the report
//! receivers share (file descriptors, tasks, memory).
//!
//! - a total connection cap and a per-client cap, a client being one IPv4 address or one IPv6
//!   /64 (one subscriber's whole allocation: rotating addresses inside it buys nothing);
//! - an idle timeout on every read and write: a connection that moves no byte for that long is
//!   closed (slowloris headers and bodies, readers that never read, idle keep-alive);
//! - an HTTP header-read timeout: the whole request head must arrive within it.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// Marks a request that arrived over TLS on this server's own listener (cookies get `Secure`).
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// The TLS connection a request came over: protocol version and cipher suite, as rustls names
/// them (`TLSv1_3`, `TLS13_AES_256_GCM_SHA384`). Shown with reports POSTed over HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFacts {
    pub version: String,
    pub cipher: String,
}

/// Limits of one listener; settings `listener_*` (see docs/deployment.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_per_client: usize,
    /// Clients the per-client cap does not apply to: a reverse proxy in front of the listener
    /// opens every connection from its own address. By default this machine (`127.0.0.1`,
    /// `::1`).
    pub exempt_clients: Vec<IpAddr>,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_per_client: 32,
            exempt_clients: vec![IpAddr::from([127, 0, 0, 1]), IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])],
        }
    }
}

/// The key a client is counted under: its IPv4 address (an IPv4-mapped IPv6 address counts as
/// IPv4), or its IPv6 /64.
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Connection slots of one listener.
#[derive(Debug)]
pub struct Slots {
    total: Arc<Semaphore>,
    per_client: Mutex<HashMap<String, usize>>,
    max_per_client: usize,
    exempt: Vec<IpAddr>,
}

impl Slots {
    pub fn new(limits: &ListenerLimits) -> Arc<Self> {
        Arc::new(Self {
            total: Arc::new(Semaphore::new(limits.max_connections)),
            per_client: Mutex::default(),
            max_per_client: limits.max_per_client,
            exempt: limits.exempt_clients.clone(),
        })
    }

    /// A slot for a new connection from `ip`, or `None` when the listener or this client is full.
    pub fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let permit = self.total.clone().try_acquire_owned().ok()?;
        let key = client_key(ip);
        let mut clients = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
        let held = clients.entry(key.clone()).or_insert(0);
        let exempt = self.exempt.iter().any(|e| client_key(*e) == key);
        if *held >= self.max_per_client && !exempt {
            return None;
        }
        *held += 1;
        Some(Slot {
            slots: self.clone(),
            key,
            _permit: permit,
        })
    }

    /// Connections open now (for tests and metrics).
    pub fn open(&self) -> usize {
        self.per_client.lock().unwrap_or_else(|p| p.into_inner()).values().sum()
    }
}

/// One connection's hold on its listener's slots, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    key: String,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut clients = self.slots.per_client.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = clients.get_mut(&self.key) {
            *held -= 1;
            if *held == 0 {
                clients.remove(&self.key);
            }
        }
    }
}

/// A stream whose reads and writes fail with `TimedOut` once one of them has waited `timeout`
/// without a byte moving. The clock starts when a read (or write) starts waiting, not at the
/// last byte: time the server spends working between reads does not count against the client.
pub struct IdleTimeout<S> {
    inner: S,
    timeout: Duration,
    read: Wait,
    write: Wait,
}

/// One direction's wait: armed while an operation is pending.
struct Wait {
    deadline: Pin<Box<Sleep>>,
    armed: bool,
}

impl Wait {
    fn new() -> Self {
        Self {
            deadline: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: false,
        }
    }

    /// The operation is pending: start the clock if it is not running, and fail once it ran out.
    fn pending<T>(&mut self, timeout: Duration, cx: &mut Context<'_>) -> Poll<std::io::Result<T>> {
        if !self.armed {
            self.deadline.as_mut().reset(Instant::now() + timeout);
            self.armed = true;
        }
        ready!(self.deadline.as_mut().poll(cx));
        Poll::Ready(Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no data moved for too long",
        )))
    }

    fn done<T>(&mut self, result: T) -> Poll<T> {
        self.armed = false;
        Poll::Ready(result)
    }
}

impl<S> IdleTimeout<S> {
    pub fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            read: Wait::new(),
            write: Wait::new(),
        }
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => this.read.done(result),
            Poll::Pending => this.read.pending(this.timeout, cx),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(result) => this.write.done(result),
            Poll::Pending => this.write.pending(this.timeout, cx),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(result) => this.write.done(result),
            Poll::Pending => this.write.pending(this.timeout, cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(result) => this.write.done(result),
            Poll::Pending => this.write.pending(this.timeout, cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves `router` on `listener` (over TLS when `tls` is given) within `limits` until
/// `shutdown` completes; then stops accepting and lets open connections finish their
/// requests for up to `grace`. `state` enables the policy shortcut
/// ([`crate::tls::policy_host::fast_answer`]).
pub async fn serve_http(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: Router,
    state: Option<crate::ServerState>,
    limits: ListenerLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let slots = Slots::new(&limits);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(32)
        .max_header_list_size(64 * 1024);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = slots.take(peer.ip()) else {
            tracing::debug!(%peer, "connection refused: listener or client at its limit");
            continue;
        };
        let (router, state) = (router.clone(), state.clone());
        let (idle_timeout, header_timeout) = (limits.idle_timeout, limits.header_timeout);
        let (tls, builder, watcher) = (tls.clone(), builder.clone(), graceful.watcher());
        let over_tls = tls.is_some();
        // Set once the handshake is done, before the first request is served.
        let facts: Arc<std::sync::OnceLock<TlsFacts>> = Arc::default();
        let facts_seen = facts.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = tower::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                let fast = state
                    .as_ref()
                    .and_then(|st| crate::tls::policy_host::fast_answer(st, &req));
                let router = router.clone();
                let tls_facts = facts_seen.get().cloned();
                async move {
                    if let Some(response) = fast {
                        return Ok::<_, std::convert::Infallible>(response);
                    }
                    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                    if over_tls {
                        req.extensions_mut().insert(OverTls);
                    }
                    if let Some(f) = tls_facts {
                        req.extensions_mut().insert(f);
                    }
                    router.oneshot(req.map(axum::body::Body::new)).await
                }
            });
            let service = TowerToHyperService::new(service);
            let io = IdleTimeout::new(tcp, idle_timeout);
            match tls {
                None => {
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
                    let _ = watcher.watch(conn).await;
                }
                Some(acceptor) => {
                    let Ok(Ok(tls)) = tokio::time::timeout(header_timeout, acceptor.accept(io)).await else {
                        return;
                    };
                    let conn = tls.get_ref().1;
                    let _ = facts.set(TlsFacts {
                        version: conn.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default(),
                        cipher: conn
                            .negotiated_cipher_suite()
                            .map(|c| format!("{:?}", c.suite()))
                            .unwrap_or_default(),
                    });
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the grace period; closing them");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        assert_eq!(client_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(client_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }

    #[test]
    fn slots_cap_each_client_and_the_total_and_come_back_when_dropped() {
        let slots = Slots::new(&ListenerLimits {
            max_connections: 3,
            max_per_client: 2,
            ..ListenerLimits::default()
        });
        let a1: IpAddr = "2001:db8::1".parse().unwrap();
        let a2: IpAddr = "2001:db8::2".parse().unwrap();
        let b: IpAddr = "192.0.2.1".parse().unwrap();
        let first = slots.take(a1).unwrap();
        let _second = slots.take(a2).unwrap();
        assert!(slots.take(a1).is_none(), "a third from the same /64");
        let _third = slots.take(b).unwrap();
        assert!(
            slots.take("192.0.2.2".parse().unwrap()).is_none(),
            "the listener is full"
        );
        drop(first);
        assert_eq!(slots.open(), 2);
        assert!(slots.take(a1).is_some());
    }

    #[test]
    fn an_exempt_client_is_held_to_the_total_only() {
        let slots = Slots::new(&ListenerLimits {
            max_connections: 4,
            max_per_client: 1,
            ..ListenerLimits::default()
        });
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let held: Vec<_> = (0..4).map(|_| slots.take(proxy).expect("exempt")).collect();
        assert!(slots.take(proxy).is_none(), "the total still holds");
        drop(held);
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let _one = slots.take(other).unwrap();
        assert!(slots.take(other).is_none(), "other loopback addresses are not exempt");
    }

    /// Slow headers and a stalled body on a real socket: both connections are closed within
    /// the limits, while a normal request on a third is answered.
    #[tokio::test]
    async fn slow_headers_and_stalled_bodies_are_cut_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route(
            "/",
            axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        );
        let limits = ListenerLimits {
            header_timeout: Duration::from_millis(500),
            idle_timeout: Duration::from_millis(500),
            ..ListenerLimits::default()
        };
        tokio::spawn(serve_http(
            listener,
            None,
            router,
            None,
            limits,
            std::future::pending(),
            Duration::from_secs(1),
        ));
        let closed_within = |mut conn: tokio::net::TcpStream, send: &'static [u8]| async move {
            conn.write_all(send).await.unwrap();
            let mut rest = Vec::new();
            // Whatever the server says last (nothing, or a short 408), the connection ends; the
            // read is capped all the same.
            let mut capped = conn.take(64 * 1024);
            tokio::time::timeout(Duration::from_secs(5), capped.read_to_end(&mut rest))
                .await
                .is_ok()
        };
        let slow_head = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert!(closed_within(slow_head, b"POST / HTTP/1.1\r\nHost: x\r\n").await);
        let stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert!(closed_within(stalled, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc").await);
        let mut fine = tokio::net::TcpStream::connect(addr).await.unwrap();
        fine.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
            .await
            .unwrap();
        let mut answer = String::new();
        fine.read_to_string(&mut answer).await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("\r\n\r\n3"),
            "{answer}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_moves_nothing_times_out_and_one_that_moves_does_not() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = IdleTimeout::new(server, Duration::from_secs(5));
        client.write_all(b"a").await.unwrap();
        let mut buf = [0u8; 1];
        server.read_exact(&mut buf).await.unwrap();
        // The server works for longer than the timeout between two reads: not the client's wait.
        tokio::time::sleep(Duration::from_secs(30)).await;
        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(4)).await;
            client.write_all(b"b").await.unwrap();
            client
        });
        server.read_exact(&mut buf).await.unwrap();
        let _client = writer.await.unwrap();
        let started = Instant::now();
        let err = server.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }
}
