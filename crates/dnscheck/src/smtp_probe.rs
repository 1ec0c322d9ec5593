//! The MX transport probe: connect on port 25, EHLO, STARTTLS, and a TLS handshake verified for
//! the MX name, as a sending MTA does it. Every step has a deadline.

use crate::tls::{TlsClient, TlsFacts, TlsFailure};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

const MAX_LINE: usize = 1024;
const MAX_LINES: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeOutcome {
    /// No connection, or no usable greeting.
    Connect(String),
    /// EHLO worked but STARTTLS is not among the extensions.
    NoStartTls {
        address: SocketAddr,
    },
    Handshake {
        address: SocketAddr,
        old_version: bool,
        message: String,
        facts: Option<TlsFacts>,
    },
    Tls {
        address: SocketAddr,
        facts: TlsFacts,
    },
}

pub(crate) async fn probe(
    tls: &TlsClient,
    host: &str,
    addrs: &[SocketAddr],
    helo: &str,
    connect_timeout: Duration,
    io_timeout: Duration,
) -> ProbeOutcome {
    let mut last = String::from("no address to connect to");
    for addr in addrs {
        match timeout(connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                return match timeout(io_timeout * 3, converse(tls, stream, *addr, host, helo)).await {
                    Ok(outcome) => outcome,
                    Err(_) => ProbeOutcome::Connect(format!("{addr}: the SMTP conversation did not finish in time")),
                }
            }
            Ok(Err(e)) => last = format!("{addr}: {e}"),
            Err(_) => last = format!("{addr}: no answer within {}s", connect_timeout.as_secs()),
        }
    }
    ProbeOutcome::Connect(last)
}

async fn converse(tls: &TlsClient, stream: TcpStream, addr: SocketAddr, host: &str, helo: &str) -> ProbeOutcome {
    let mut reader = BufReader::new(stream);
    let fail = |m: String| ProbeOutcome::Connect(format!("{addr}: {m}"));
    match reply(&mut reader).await {
        Ok((220, _)) => {}
        Ok((code, text)) => return fail(format!("greeting {code} {text}")),
        Err(e) => return fail(e),
    }
    if let Err(e) = reader.get_mut().write_all(format!("EHLO {helo}\r\n").as_bytes()).await {
        return fail(e.to_string());
    }
    let extensions = match reply(&mut reader).await {
        Ok((250, lines)) => lines,
        Ok((code, text)) => return fail(format!("EHLO answered {code} {text}")),
        Err(e) => return fail(e),
    };
    let offers_starttls = extensions.lines().any(|l| l.trim().eq_ignore_ascii_case("STARTTLS"));
    if !offers_starttls {
        let _ = reader.get_mut().write_all(b"QUIT\r\n").await;
        return ProbeOutcome::NoStartTls { address: addr };
    }
    if let Err(e) = reader.get_mut().write_all(b"STARTTLS\r\n").await {
        return fail(e.to_string());
    }
    match reply(&mut reader).await {
        Ok((220, _)) => {}
        Ok((code, text)) => {
            return ProbeOutcome::Handshake {
                address: addr,
                old_version: false,
                message: format!("STARTTLS answered {code} {text}"),
                facts: None,
            }
        }
        Err(e) => return fail(e),
    }
    if !reader.buffer().is_empty() {
        // Data sent before the handshake would be injected into the TLS session (CVE-2011-0411).
        return fail("the server sent data after agreeing to STARTTLS".into());
    }
    match tls.handshake(reader.into_inner(), host).await {
        Ok((mut stream, facts)) => {
            let _ = stream.write_all(b"QUIT\r\n").await;
            ProbeOutcome::Tls { address: addr, facts }
        }
        Err(TlsFailure {
            old_version,
            message,
            facts,
        }) => ProbeOutcome::Handshake {
            address: addr,
            old_version,
            message,
            facts,
        },
    }
}

/// One SMTP reply: its code and the text of every line (one per line).
async fn reply<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Result<(u16, String), String> {
    let mut text = String::new();
    for _ in 0..MAX_LINES {
        let mut line = Vec::new();
        let n = (&mut *reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end();
        // The peer is any MX on the internet: its bytes are never sliced where a character
        // could straddle the cut.
        let code: u16 = line
            .get(..3)
            .filter(|code| code.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("malformed reply {line:?}"))?;
        text.push_str(line.get(4..).unwrap_or_default());
        text.push('\n');
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, text));
        }
    }
    Err("the reply has too many lines".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hostile_greeting_is_a_malformed_reply_not_a_panic() {
        for greeting in [
            &b"22\xC3\xA9 x\r\n"[..],
            b"\xC3\xA9\xC3\xA9 x\r\n",
            b"2\r\n",
            b"+25 x\r\n",
        ] {
            let mut reader = BufReader::new(greeting);
            let err = reply(&mut reader).await.unwrap_err();
            assert!(err.starts_with("malformed reply"), "{err}");
        }
        let mut reader = BufReader::new(&b"250-mx.example\r\n250 STARTTLS\r\n"[..]);
        assert_eq!(
            reply(&mut reader).await.unwrap(),
            (250, "mx.example\nSTARTTLS\n".into())
        );
    }
}
