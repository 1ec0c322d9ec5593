//! A minimal SMTP server on loopback: greeting, EHLO (with or without STARTTLS), STARTTLS with a
//! certificate chosen by SNI, QUIT. Enough for the transport probe, nothing more.

use super::{server_config, SniCerts};
use rustls::sign::CertifiedKey;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// What the server does about TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    /// EHLO does not offer STARTTLS.
    None,
    /// STARTTLS is offered, then the handshake is refused as a TLS 1.0-only server refuses it.
    OldVersionsOnly,
}

pub struct TestSmtp {
    addr: SocketAddr,
    certs: Arc<SniCerts>,
    task: tokio::task::JoinHandle<()>,
}

impl TestSmtp {
    pub async fn start(bind: SocketAddr, tls: SmtpTls) -> Self {
        let listener = TcpListener::bind(bind).await.expect("bind smtp");
        let addr = listener.local_addr().unwrap();
        let certs = Arc::new(SniCerts::default());
        let acceptor = TlsAcceptor::from(server_config(certs.clone()));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = session(stream, tls, acceptor).await;
                });
            }
        });
        Self { addr, certs, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The certificate presented after STARTTLS when the client asks for `host`.
    pub fn set_cert(&self, host: &str, cert: Arc<CertifiedKey>) {
        self.certs.set(host, cert);
    }
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: tokio::net::TcpStream, tls: SmtpTls, acceptor: TlsAcceptor) -> std::io::Result<()> {
    let mut stream = BufReader::new(stream);
    stream.get_mut().write_all(b"220 mx.test ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.trim().to_ascii_uppercase();
        if verb.starts_with("EHLO") {
            let ext = if tls != SmtpTls::None { "250-STARTTLS\r\n" } else { "" };
            let reply = format!("250-mx.test\r\n{ext}250 8BITMIME\r\n");
            stream.get_mut().write_all(reply.as_bytes()).await?;
        } else if verb == "STARTTLS" && tls != SmtpTls::None {
            stream.get_mut().write_all(b"220 go ahead\r\n").await?;
            if tls == SmtpTls::OldVersionsOnly {
                return refuse_modern_tls(stream.get_mut()).await;
            }
            let mut tls = BufReader::new(acceptor.accept(stream.into_inner()).await?);
            let mut rest = String::new();
            let _ = tls.read_line(&mut rest).await;
            let _ = tls.get_mut().write_all(b"221 bye\r\n").await;
            return Ok(());
        } else if verb == "QUIT" {
            stream.get_mut().write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            stream.get_mut().write_all(b"502 not implemented\r\n").await?;
        }
    }
}

/// Answers a ClientHello the way a server that only speaks TLS 1.0 does: a fatal
/// protocol_version alert.
pub(crate) async fn refuse_modern_tls<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut hello = [0u8; 5];
    stream.read_exact(&mut hello).await?;
    stream.write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]).await?;
    stream.shutdown().await
}
