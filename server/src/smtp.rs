//! The built-in TLS-RPT mail receiver (`PORTCULLIS_SMTP_ADDR`): just enough ESMTP (RFC 5321)
//! with STARTTLS (RFC 3207) to take report mail for this server's report addresses.
//!
//! Recipients other than the report addresses are refused at RCPT, an oversized message at MAIL
//! (declared SIZE) or after DATA, and the final answer to DATA is given only after the reports
//! are committed: 250 stored, 451 when storage failed (the sender retries), 550 when the message
//! holds no report this server can use.

use std::sync::Arc;
use std::time::Duration;

use portcullis_service::{Channel, IngestError, MailOutcome, Services};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Longest command line accepted (RFC 5321 §4.5.3.1.4 says 512; extensions make it longer).
const MAX_COMMAND_LINE: usize = 4096;
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const DATA_TIMEOUT: Duration = Duration::from_secs(600);
const MAX_RECIPIENTS: usize = 100;
const MAX_ERRORS: u32 = 10;
const MAX_CONNECTIONS: usize = 256;

#[derive(Clone)]
pub struct SmtpSettings {
    /// The name this server greets with.
    pub hostname: String,
    /// Accepted recipients, lower-case.
    pub recipients: Vec<String>,
    pub max_message_bytes: usize,
    /// Offered as STARTTLS when present.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// STARTTLS certificates: the policy host's by SNI, else the configured one.
#[derive(Debug)]
struct SmtpCerts {
    fixed: Option<Arc<rustls::sign::CertifiedKey>>,
    by_name: Arc<crate::https::CertResolver>,
}

impl rustls::server::ResolvesServerCert for SmtpCerts {
    fn resolve(&self, hello: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.by_name.resolve(hello).or_else(|| self.fixed.clone())
    }
}

pub fn tls_config(
    fixed: Option<rustls::sign::CertifiedKey>,
    by_name: Arc<crate::https::CertResolver>,
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SmtpCerts {
            fixed: fixed.map(Arc::new),
            by_name,
        }));
    Arc::new(config)
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Accepts connections until the task is dropped.
pub async fn serve(listener: TcpListener, settings: SmtpSettings, services: Services) {
    let settings = Arc::new(settings);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let mut socket = socket;
                let _ = socket
                    .write_all(b"421 4.7.0 Too many connections, try again later\r\n")
                    .await;
            });
            continue;
        };
        let (settings, services) = (settings.clone(), services.clone());
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = session(socket, peer.ip().to_string(), &settings, &services).await {
                tracing::debug!(%peer, error = %e, "SMTP session ended");
            }
        });
    }
}

#[derive(Default)]
struct Envelope {
    helo: Option<String>,
    from: Option<String>,
    recipients: Vec<String>,
}

async fn session(socket: TcpStream, peer: String, settings: &SmtpSettings, services: &Services) -> std::io::Result<()> {
    let mut conn: BufReader<Box<dyn Stream>> = BufReader::new(Box::new(socket));
    let mut tls_active = false;
    let mut envelope = Envelope::default();
    let mut errors = 0u32;
    reply(
        &mut conn,
        &format!("220 {} ESMTP Portcullis TLS-RPT receiver", settings.hostname),
    )
    .await?;
    loop {
        let line = match tokio::time::timeout(COMMAND_TIMEOUT, read_line(&mut conn, MAX_COMMAND_LINE)).await {
            Err(_) => return reply(&mut conn, "421 4.4.2 Idle for too long, closing").await,
            Ok(Err(e)) => return Err(e),
            Ok(Ok(None)) => return Ok(()),
            Ok(Ok(Some(Line::TooLong))) => {
                errors += 1;
                reply(&mut conn, "500 5.5.2 Line too long").await?;
                continue;
            }
            Ok(Ok(Some(Line::Text(line)))) => line,
        };
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        let answer: String = match verb.as_str() {
            "EHLO" | "HELO" if arg.is_empty() => "501 5.5.4 Say who you are".into(),
            "EHLO" => {
                envelope = Envelope {
                    helo: Some(arg),
                    ..Default::default()
                };
                let mut lines = vec![
                    format!("250-{} greets you", settings.hostname),
                    format!("250-SIZE {}", settings.max_message_bytes),
                    "250-8BITMIME".into(),
                ];
                if settings.tls.is_some() && !tls_active {
                    lines.push("250-STARTTLS".into());
                }
                lines.push("250 ENHANCEDSTATUSCODES".into());
                lines.join("\r\n")
            }
            "HELO" => {
                envelope = Envelope {
                    helo: Some(arg),
                    ..Default::default()
                };
                format!("250 {}", settings.hostname)
            }
            "STARTTLS" if tls_active => "503 5.5.1 TLS is already active".into(),
            "STARTTLS" => match &settings.tls {
                None => "502 5.5.1 STARTTLS is not offered here".into(),
                Some(config) => {
                    reply(&mut conn, "220 2.0.0 Ready to start TLS").await?;
                    // Anything the client sent after STARTTLS in the clear is discarded
                    // (RFC 3207 §4.2: it could be an injected command).
                    let inner = conn.into_inner();
                    let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
                    let tls = tokio::time::timeout(Duration::from_secs(30), acceptor.accept(inner))
                        .await
                        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
                    conn = BufReader::new(Box::new(tls));
                    tls_active = true;
                    envelope = Envelope::default();
                    continue;
                }
            },
            "MAIL" => mail_from(&mut envelope, &arg, settings.max_message_bytes),
            "RCPT" => rcpt_to(&mut envelope, &arg, settings),
            "DATA" if envelope.recipients.is_empty() => "503 5.5.1 RCPT first".into(),
            "DATA" => {
                reply(&mut conn, "354 Go ahead, end with <CRLF>.<CRLF>").await?;
                let message =
                    match tokio::time::timeout(DATA_TIMEOUT, read_data(&mut conn, settings.max_message_bytes)).await {
                        Err(_) => return reply(&mut conn, "421 4.4.2 Message took too long, closing").await,
                        Ok(result) => result?,
                    };
                let answer = match message {
                    None => format!("552 5.3.4 Message larger than {} bytes", settings.max_message_bytes),
                    Some(message) => {
                        let outcome = services.ingest_mail(None, message, Channel::Smtp, Some(&peer)).await;
                        answer_for(&outcome)
                    }
                };
                envelope.from = None;
                envelope.recipients.clear();
                answer
            }
            "RSET" => {
                envelope.from = None;
                envelope.recipients.clear();
                "250 2.0.0 OK".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "VRFY" => "252 2.5.2 Cannot verify, but will try".into(),
            "HELP" => "214 2.0.0 This server takes TLS-RPT reports (RFC 8460)".into(),
            "QUIT" => return reply(&mut conn, "221 2.0.0 Bye").await,
            _ => "500 5.5.2 Command not recognised".into(),
        };
        if answer.starts_with('5') {
            errors += 1;
        }
        if errors >= MAX_ERRORS {
            return reply(&mut conn, "421 4.7.0 Too many errors, closing").await;
        }
        reply(&mut conn, &answer).await?;
    }
}

fn mail_from(envelope: &mut Envelope, arg: &str, max: usize) -> String {
    if envelope.helo.is_none() {
        return "503 5.5.1 EHLO first".into();
    }
    if envelope.from.is_some() {
        return "503 5.5.1 Sender already given".into();
    }
    let Some(rest) = strip_prefix_ci(arg, "FROM:") else {
        return "501 5.5.4 Syntax: MAIL FROM:<address>".into();
    };
    let (path, params) = split_path(rest);
    for param in params.split_whitespace() {
        if let Some(size) = strip_prefix_ci(param, "SIZE=") {
            if size.parse::<u64>().map_or(true, |n| n > max as u64) {
                return format!("552 5.3.4 Message larger than {max} bytes");
            }
        }
    }
    envelope.from = Some(path);
    "250 2.1.0 OK".into()
}

fn rcpt_to(envelope: &mut Envelope, arg: &str, settings: &SmtpSettings) -> String {
    if envelope.from.is_none() {
        return "503 5.5.1 MAIL first".into();
    }
    let Some(rest) = strip_prefix_ci(arg, "TO:") else {
        return "501 5.5.4 Syntax: RCPT TO:<address>".into();
    };
    let (path, _) = split_path(rest);
    let address = path.to_ascii_lowercase();
    if !settings.recipients.contains(&address) {
        return format!("550 5.1.1 <{path}>: no such mailbox here (this server only takes TLS-RPT reports)");
    }
    if envelope.recipients.len() >= MAX_RECIPIENTS {
        return "452 4.5.3 Too many recipients".into();
    }
    envelope.recipients.push(address);
    "250 2.1.5 OK".into()
}

/// The final answer to DATA, from what ingestion made of the message.
fn answer_for(outcome: &MailOutcome) -> String {
    if outcome
        .results
        .iter()
        .any(|(_, r)| matches!(r, Err(e) if e.is_temporary()))
    {
        return "451 4.3.0 Reports could not be stored right now; try again later".into();
    }
    let stored = outcome.results.iter().filter(|(_, r)| r.is_ok()).count();
    if stored > 0 {
        return format!("250 2.0.0 {stored} report(s) accepted");
    }
    let reason = match outcome.results.first() {
        None => outcome
            .problem
            .clone()
            .unwrap_or_else(|| "the message holds no TLS-RPT report".into()),
        Some((label, Err(e))) => format!("{label}: {}", one_line(e)),
        Some((_, Ok(_))) => unreachable!("counted above"),
    };
    format!("550 5.6.0 {reason}")
}

fn one_line(e: &IngestError) -> String {
    e.to_string().replace(['\r', '\n'], " ")
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text[prefix.len()..].trim_start())
}

/// `<path> params` → (path without brackets, params).
fn split_path(text: &str) -> (String, &str) {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('<') {
        if let Some(end) = rest.find('>') {
            return (rest[..end].to_string(), rest[end + 1..].trim());
        }
    }
    match text.split_once(' ') {
        Some((path, params)) => (path.to_string(), params.trim()),
        None => (text.to_string(), ""),
    }
}

async fn reply(conn: &mut BufReader<Box<dyn Stream>>, text: &str) -> std::io::Result<()> {
    let stream = conn.get_mut();
    stream.write_all(text.as_bytes()).await?;
    stream.write_all(b"\r\n").await?;
    stream.flush().await
}

enum Line {
    Text(String),
    TooLong,
}

/// One CRLF- (or LF-) terminated line without its ending; `None` at end of stream. A line over
/// `max` bytes is consumed to its end and reported as too long.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(None);
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let used = chunk.len();
        if !too_long {
            line.extend_from_slice(chunk);
            too_long = line.len() > max + 2;
        }
        reader.consume(used);
        if done {
            break;
        }
    }
    if too_long {
        return Ok(Some(Line::TooLong));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(Some(Line::Text(String::from_utf8_lossy(&line).into_owned())))
}

/// The message up to `<CRLF>.<CRLF>`, dot-unstuffed, with CRLF line ends. `None` when it was
/// larger than `max` (it is still read to its end, so the session can go on).
async fn read_data<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut message = Vec::new();
    let mut over = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed during DATA",
            ));
        }
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content == b"." {
            break;
        }
        if over {
            continue;
        }
        let content = content.strip_prefix(b".").unwrap_or(content);
        message.extend_from_slice(content);
        message.extend_from_slice(b"\r\n");
        if message.len() > max {
            over = true;
            message = Vec::new();
        }
    }
    Ok((!over).then_some(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn data_is_unstuffed_and_bounded() {
        let mut input: &[u8] = b"Subject: x\r\n..leading dot\r\nbody\n.\r\nNEXT\r\n";
        let message = read_data(&mut input, 1000).await.unwrap().unwrap();
        assert_eq!(message, b"Subject: x\r\n.leading dot\r\nbody\r\n");
        assert_eq!(input, b"NEXT\r\n");
        let mut input: &[u8] = b"0123456789\r\n0123456789\r\n.\r\nNEXT\r\n";
        assert_eq!(read_data(&mut input, 15).await.unwrap(), None);
        assert_eq!(input, b"NEXT\r\n");
    }

    #[tokio::test]
    async fn long_lines_are_consumed_and_flagged() {
        let long = format!("{}\r\nNOOP\r\n", "A".repeat(5000));
        let mut input = long.as_bytes();
        assert!(matches!(read_line(&mut input, 100).await.unwrap(), Some(Line::TooLong)));
        assert!(matches!(read_line(&mut input, 100).await.unwrap(), Some(Line::Text(t)) if t == "NOOP"));
        assert!(read_line(&mut input, 100).await.unwrap().is_none());
    }

    #[test]
    fn paths_and_parameters_are_split() {
        assert_eq!(
            split_path("<a@b.example> SIZE=10"),
            ("a@b.example".to_string(), "SIZE=10")
        );
        assert_eq!(split_path("<>"), (String::new(), ""));
        assert_eq!(strip_prefix_ci("from:<x>", "FROM:"), Some("<x>"));
    }
}
