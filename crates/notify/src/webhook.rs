//! JSON POSTs to webhooks. The host is resolved here and the connection made to an address
//! that was checked, so a name cannot be re-pointed at a private address between the check and
//! the connection.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;

use crate::NotifyError;

#[derive(Debug, Clone)]
pub(crate) struct Poster {
    allow_private: bool,
    tls: Arc<rustls::ClientConfig>,
}

impl Poster {
    pub(crate) fn new(allow_private: bool, extra_roots: Vec<CertificateDer<'static>>) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for root in extra_roots {
            let _ = roots.add(root);
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            allow_private,
            tls: Arc::new(tls),
        }
    }

    async fn address(&self, host: &str, port: u16) -> Result<SocketAddr, NotifyError> {
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| NotifyError::Connect(format!("{host} does not resolve: {e}")))?
            .collect();
        if found.is_empty() {
            return Err(NotifyError::Connect(format!("{host} does not resolve")));
        }
        if !self.allow_private && found.iter().any(|a| !portcullis_dnscheck::is_public(a.ip())) {
            return Err(NotifyError::PrivateAddress);
        }
        Ok(found[0])
    }

    pub(crate) async fn post(&self, url: &url::Url, body: &serde_json::Value) -> Result<(), NotifyError> {
        let host = url
            .host_str()
            .ok_or_else(|| NotifyError::Connect("the URL names no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| NotifyError::Connect("the URL names no port".into()))?;
        let addr = self.address(&host, port).await?;
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| NotifyError::Connect(format!("{host}:{port}: {e}")))?;
        let bytes = serde_json::to_vec(body).map_err(|e| NotifyError::Connect(e.to_string()))?;
        let mut target = url.path().to_string();
        if let Some(q) = url.query() {
            target.push('?');
            target.push_str(q);
        }
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let request = hyper::Request::post(target)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, "Portcullis alerts")
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| NotifyError::Connect(e.to_string()))?;
        let status = if url.scheme() == "https" {
            let name = ServerName::try_from(host.clone())
                .map_err(|_| NotifyError::Connect(format!("{host} is not a valid TLS name")))?;
            let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
                .connect(name, stream)
                .await
                .map_err(|e| NotifyError::Connect(format!("TLS with {host}: {e}")))?;
            exchange(TokioIo::new(tls), request).await?
        } else {
            exchange(TokioIo::new(stream), request).await?
        };
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(NotifyError::Status(status))
        }
    }
}

async fn exchange<T>(io: T, request: hyper::Request<Full<Bytes>>) -> Result<u16, NotifyError>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| NotifyError::Connect(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| NotifyError::Connect(e.to_string()))?;
    let status = response.status().as_u16();
    // Read (a bounded part of) the answer so the peer sees a clean close.
    let _ = http_body_util::Limited::new(response.into_body(), 64 * 1024)
        .collect()
        .await;
    Ok(status)
}
