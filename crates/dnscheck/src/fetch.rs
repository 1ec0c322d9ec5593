//! The policy fetch exactly as RFC 8461 §3.3 senders do it: HTTPS to
//! `https://mta-sts.<domain>/.well-known/mta-sts.txt`, no redirects followed, at most 64 KiB read.

use crate::tls::{TlsClient, TlsFacts, TlsFailure};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The most a sender reads; anything longer is refused.
pub const MAX_POLICY_BODY: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// No address could be connected to.
    Connect(String),
    Tls(TlsFailure),
    /// The request failed after the handshake.
    Http {
        tls: TlsFacts,
        message: String,
    },
    Response(PolicyResponse),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyResponse {
    pub tls: TlsFacts,
    pub status: u16,
    pub location: Option<String>,
    pub content_type: Option<String>,
    /// `None` when the body was longer than [`MAX_POLICY_BODY`].
    pub body: Option<Vec<u8>>,
}

pub(crate) async fn fetch_policy(
    tls: &TlsClient,
    host: &str,
    addrs: &[SocketAddr],
    connect_timeout: Duration,
    io_timeout: Duration,
) -> FetchOutcome {
    let mut last = String::from("no address to connect to");
    let mut stream = None;
    for addr in addrs {
        match timeout(connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => last = format!("{addr}: {e}"),
            Err(_) => last = format!("{addr}: no answer within {}s", connect_timeout.as_secs()),
        }
    }
    let Some(stream) = stream else {
        return FetchOutcome::Connect(last);
    };
    let (stream, facts) = match timeout(io_timeout, tls.handshake(stream, host)).await {
        Ok(Ok(ok)) => ok,
        Ok(Err(failure)) => return FetchOutcome::Tls(failure),
        Err(_) => {
            return FetchOutcome::Tls(TlsFailure {
                old_version: false,
                message: "the TLS handshake did not finish in time".into(),
                facts: None,
            })
        }
    };
    match timeout(io_timeout, request(stream, host)).await {
        Ok(Ok((status, location, content_type, body))) => FetchOutcome::Response(PolicyResponse {
            tls: facts,
            status,
            location,
            content_type,
            body,
        }),
        Ok(Err(message)) => FetchOutcome::Http { tls: facts, message },
        Err(_) => FetchOutcome::Http {
            tls: facts,
            message: "the server did not answer in time".into(),
        },
    }
}

type Answer = (u16, Option<String>, Option<String>, Option<Vec<u8>>);

async fn request<S>(stream: S, host: &str) -> Result<Answer, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(conn);
    let req = hyper::Request::get("/.well-known/mta-sts.txt")
        .header(hyper::header::HOST, host)
        .header(hyper::header::USER_AGENT, "Portcullis MTA-STS check")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &hyper::header::HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let status = response.status().as_u16();
    let location = header(hyper::header::LOCATION);
    let content_type = header(hyper::header::CONTENT_TYPE);
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    let mut too_large = false;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Some(data) = frame.data_ref() {
            bytes.extend_from_slice(data);
            if bytes.len() > MAX_POLICY_BODY {
                too_large = true;
                break;
            }
        }
    }
    driver.abort();
    Ok((status, location, content_type, (!too_large).then_some(bytes)))
}
