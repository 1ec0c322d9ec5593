//! An HTTPS policy host on loopback whose answer is chosen per Host name, to reproduce what
//! misconfigured policy hosts do: redirects, wrong types, error pages, huge bodies.

use super::{server_config, SniCerts};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

#[derive(Debug, Clone)]
pub enum PolicyHostBehaviour {
    Serve {
        content_type: String,
        body: String,
    },
    Redirect(String),
    Status(u16),
    /// A text/plain body larger than senders accept.
    Huge,
    /// Relays the request to a plain-HTTP server (Portcullis's own listener, which answers
    /// policy requests by Host), so the policy fetched is the one Portcullis serves.
    Proxy(SocketAddr),
}

type Behaviours = Arc<RwLock<HashMap<String, PolicyHostBehaviour>>>;

pub struct TestPolicyHost {
    addr: SocketAddr,
    certs: Arc<SniCerts>,
    behaviours: Behaviours,
    task: tokio::task::JoinHandle<()>,
}

impl TestPolicyHost {
    /// Listens on `ip` (port 0 picks one) with TLS 1.2/1.3.
    pub async fn start(bind: SocketAddr) -> Self {
        let listener = TcpListener::bind(bind).await.expect("bind policy host");
        let addr = listener.local_addr().unwrap();
        let certs = Arc::new(SniCerts::default());
        let behaviours: Behaviours = Arc::default();
        let acceptor = TlsAcceptor::from(server_config(certs.clone()));
        let b = behaviours.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, b) = (acceptor.clone(), b.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let _ = answer(tls, &b).await;
                    }
                });
            }
        });
        Self {
            addr,
            certs,
            behaviours,
            task,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A listener on `bind` that refuses TLS 1.2 and 1.3 (as a TLS 1.0-only host does).
    pub async fn start_old_tls_only(bind: SocketAddr) -> tokio::task::JoinHandle<()> {
        let listener = TcpListener::bind(bind).await.expect("bind old-TLS host");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let _ = super::smtp::refuse_modern_tls(&mut stream).await;
                });
            }
        })
    }

    /// Serves `host` with `cert` and answers its policy URL with `behaviour`.
    pub fn set(&self, host: &str, cert: Arc<CertifiedKey>, behaviour: PolicyHostBehaviour) {
        self.certs.set(host, cert);
        self.behaviours
            .write()
            .unwrap()
            .insert(host.to_ascii_lowercase(), behaviour);
    }
}

impl Drop for TestPolicyHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer<S>(mut stream: S, behaviours: &Behaviours) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&request);
    let host = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("host").then(|| v.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default().to_string();
    let path_ok = text.starts_with("GET /.well-known/mta-sts.txt ");
    let behaviour = behaviours.read().unwrap().get(&host).cloned();
    if let (true, Some(PolicyHostBehaviour::Proxy(upstream))) = (path_ok, &behaviour) {
        let mut upstream = tokio::net::TcpStream::connect(upstream).await?;
        let ask = format!("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        upstream.write_all(ask.as_bytes()).await?;
        let mut answer = Vec::new();
        upstream.read_to_end(&mut answer).await?;
        stream.write_all(&answer).await?;
        return stream.shutdown().await;
    }
    let (status, headers, body) = match (path_ok, behaviour) {
        (true, Some(PolicyHostBehaviour::Serve { content_type, body })) => {
            (200, format!("Content-Type: {content_type}\r\n"), body.into_bytes())
        }
        (true, Some(PolicyHostBehaviour::Redirect(to))) => (301, format!("Location: {to}\r\n"), Vec::new()),
        (true, Some(PolicyHostBehaviour::Status(code))) => (code, String::new(), b"error".to_vec()),
        (true, Some(PolicyHostBehaviour::Huge)) => {
            (200, "Content-Type: text/plain\r\n".to_string(), vec![b'x'; 200 * 1024])
        }
        _ => (404, String::new(), b"not found".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.shutdown().await
}
