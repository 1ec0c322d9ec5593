//! The built-in TLS-RPT mail receiver (`PORTCULLIS_SMTP_ADDR`): just enough ESMTP (RFC 5321)
//! with STARTTLS (RFC 3207) to take report mail for this server's report addresses.
//!
//! Recipients other than the report addresses are refused at RCPT, an oversized message at MAIL
//! (declared SIZE) or after DATA, and the final answer to DATA is given only after the reports
//! are committed: 250 stored, 451 when storage failed (the sender retries), 550 when the message
//! holds no report this server can use.

use std::sync::Arc;
use std::time::Duration;

use portcullis_service::{Channel, IngestError, MailOutcome, Reservation, Services};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::listener::{IdleTimeout, Slots};
use portcullis_domain::smtp_command::{size_param, split_command, split_path, strip_prefix_ci};

/// Longest command line accepted (RFC 5321 §4.5.3.1.4 says 512; extensions make it longer).
const MAX_COMMAND_LINE: usize = 4096;
const MAX_RECIPIENTS: usize = 100;
const MAX_ERRORS: u32 = 10;
/// Commands that move no mail (NOOP, RSET, VRFY, HELP) allowed in one session, as Postfix's
/// `smtpd_junk_command_limit`: a client cannot hold a slot by sending NOOP forever.
const MAX_JUNK_COMMANDS: u32 = 20;

#[derive(Clone)]
pub struct SmtpSettings {
    /// The name this server greets with.
    pub hostname: String,
    /// Accepted recipients, lower-case.
    pub recipients: Vec<String>,
    pub max_message_bytes: usize,
    /// STARTTLS, offered while a certificate is at hand.
    pub tls: Option<SmtpTls>,
    pub limits: SmtpLimits,
}

/// STARTTLS: the rustls configuration and the certificates it draws on.
#[derive(Clone)]
pub struct SmtpTls {
    config: Arc<rustls::ServerConfig>,
    certs: Arc<SmtpCerts>,
}

impl SmtpTls {
    /// Whether a handshake could succeed now: a configured certificate, or one for the name
    /// this server greets with (obtained by ACME for the public host). Until then STARTTLS is
    /// not advertised, rather than advertised and failed.
    pub fn available(&self) -> bool {
        self.certs.fixed.is_some() || self.certs.by_name.has(&self.certs.greeting_name)
    }
}

#[derive(Debug, Clone)]
pub struct SmtpLimits {
    /// Connection caps and the idle timeout (the header timeout bounds the STARTTLS handshake).
    pub listener: crate::listener::ListenerLimits,
    pub command_timeout: Duration,
    pub data_timeout: Duration,
    pub session_max: Duration,
}

impl Default for SmtpLimits {
    fn default() -> Self {
        Self {
            listener: crate::listener::ListenerLimits {
                // SMTP waits minutes for a command by design; the command timeout rules there.
                idle_timeout: Duration::from_secs(600),
                ..Default::default()
            },
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            session_max: Duration::from_secs(1800),
        }
    }
}

/// STARTTLS certificates: the policy host's by SNI, else the configured one, else the one for
/// the name this server greets with (senders often send no SNI to an MX).
#[derive(Debug)]
struct SmtpCerts {
    fixed: Option<Arc<rustls::sign::CertifiedKey>>,
    by_name: Arc<crate::tls::https::CertResolver>,
    greeting_name: String,
}

impl rustls::server::ResolvesServerCert for SmtpCerts {
    fn resolve(&self, hello: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.by_name
            .resolve(hello)
            .or_else(|| self.fixed.clone())
            .or_else(|| self.by_name.get(&self.greeting_name))
    }
}

pub fn tls_config(
    fixed: Option<rustls::sign::CertifiedKey>,
    by_name: Arc<crate::tls::https::CertResolver>,
    greeting_name: &str,
) -> SmtpTls {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = Arc::new(SmtpCerts {
        fixed: fixed.map(Arc::new),
        by_name,
        greeting_name: greeting_name.trim_end_matches('.').to_ascii_lowercase(),
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(certs.clone());
    SmtpTls {
        config: Arc::new(config),
        certs,
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Accepts connections until the task is dropped.
pub async fn serve(listener: TcpListener, settings: SmtpSettings, services: Services) {
    let settings = Arc::new(settings);
    let slots = Slots::new(&settings.limits.listener);
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = slots.take(peer.ip()) else {
            tokio::spawn(async move {
                let mut socket = socket;
                let refusal = socket.write_all(b"421 4.7.0 Too many connections, try again later\r\n");
                let _ = tokio::time::timeout(Duration::from_secs(5), refusal).await;
            });
            continue;
        };
        let (settings, services) = (settings.clone(), services.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let socket = IdleTimeout::new(socket, settings.limits.listener.idle_timeout);
            let session = session(socket, peer.ip().to_string(), &settings, &services);
            match tokio::time::timeout(settings.limits.session_max, session).await {
                Err(_) => tracing::debug!(%peer, "SMTP session closed at its time limit"),
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "SMTP session ended"),
                Ok(Ok(())) => {}
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

async fn session(
    socket: IdleTimeout<TcpStream>,
    peer: String,
    settings: &SmtpSettings,
    services: &Services,
) -> std::io::Result<()> {
    let limits = &settings.limits;
    let mut conn: BufReader<Box<dyn Stream>> = BufReader::new(Box::new(socket));
    let mut tls_active = false;
    let mut envelope = Envelope::default();
    let mut errors = 0u32;
    let mut junk = 0u32;
    reply(
        &mut conn,
        &format!("220 {} ESMTP Portcullis TLS-RPT receiver", settings.hostname),
    )
    .await?;
    loop {
        let line = match tokio::time::timeout(limits.command_timeout, read_line(&mut conn, MAX_COMMAND_LINE)).await {
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
        let (verb, arg) = split_command(&line);
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
                if settings.tls.as_ref().is_some_and(SmtpTls::available) && !tls_active {
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
            "STARTTLS" => match settings.tls.as_ref().filter(|tls| tls.available()) {
                None => "502 5.5.1 STARTTLS is not offered here".into(),
                Some(SmtpTls { config, .. }) => {
                    reply(&mut conn, "220 2.0.0 Ready to start TLS").await?;
                    // Anything the client sent after STARTTLS in the clear is discarded
                    // (RFC 3207 §4.2: it could be an injected command).
                    let inner = conn.into_inner();
                    let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
                    let tls = tokio::time::timeout(limits.listener.header_timeout, acceptor.accept(inner))
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
                // Held until the reports are stored: the message is in memory all that time.
                let mut room = services.reserve_intake(0).expect("an empty hold always fits");
                let data = tokio::time::timeout(
                    limits.data_timeout,
                    read_data(&mut conn, settings.max_message_bytes, &mut room),
                );
                let answer = match data.await {
                    Err(_) => return reply(&mut conn, "421 4.4.2 Message took too long, closing").await,
                    Ok(data) => match data? {
                        Data::TooLarge => format!("552 5.3.4 Message larger than {} bytes", settings.max_message_bytes),
                        Data::NoRoom => "452 4.3.1 Too many reports arriving at once; try again later".into(),
                        Data::Message(message) => {
                            let outcome = services.ingest_mail(None, message, Channel::Smtp, Some(&peer)).await;
                            answer_for(&outcome)
                        }
                    },
                };
                drop(room);
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
        if matches!(verb.as_str(), "NOOP" | "RSET" | "VRFY" | "HELP") {
            junk += 1;
            if junk > MAX_JUNK_COMMANDS {
                return reply(&mut conn, "421 4.7.0 Too many commands without mail, closing").await;
            }
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
    if let Some(size) = size_param(params) {
        if size.is_none_or(|n| n > max as u64) {
            return format!("552 5.3.4 Message larger than {max} bytes");
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

/// What DATA brought.
#[derive(Debug, PartialEq, Eq)]
enum Data {
    Message(Vec<u8>),
    /// Larger than the limit.
    TooLarge,
    /// The receivers together hold all the memory they may (see `IntakeMemory`).
    NoRoom,
}

/// The message up to `<CRLF>.<CRLF>`, dot-unstuffed, with CRLF line ends. A message over `max`,
/// or one that no longer fits in `room`, is still read to its end (so the session can go on)
/// but not kept. Memory stays within `max` plus one line of at most `max` bytes, however the
/// client splits its lines: a line is read chunk by chunk from the buffer, and what is past the
/// limit is not kept. All of it is charged to `room` as it grows.
async fn read_data<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    room: &mut Reservation,
) -> std::io::Result<Data> {
    let mut message = Vec::new();
    let mut refused = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        // One line, keeping at most `max + 3` bytes of it: enough to tell "." from a longer line
        // and to know a line alone is over the limit.
        let mut line_len = 0usize;
        loop {
            let buf = reader.fill_buf().await?;
            if buf.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed during DATA",
                ));
            }
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..=i], true),
                None => (buf, false),
            };
            let keep = chunk.len().min((max + 3).saturating_sub(line.len()));
            line.extend_from_slice(&chunk[..keep]);
            line_len += chunk.len();
            let used = chunk.len();
            reader.consume(used);
            if refused.is_none() && !room.resize(message.capacity() + line.capacity()) {
                refused = Some(Data::NoRoom);
            }
            if refused.is_some() {
                // Nothing is kept now: only the end of the line matters (is it the terminator?).
                message = Vec::new();
                if line.len() > 3 {
                    line = Vec::new();
                    line_len = 4;
                }
                room.resize(0);
            }
            if done {
                break;
            }
        }
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content == b"." && line_len <= 3 {
            break;
        }
        if refused.is_some() {
            continue;
        }
        if line_len > max + 2 {
            refused = Some(Data::TooLarge);
            message = Vec::new();
            room.resize(0);
            continue;
        }
        let content = content.strip_prefix(b".").unwrap_or(content);
        message.extend_from_slice(content);
        message.extend_from_slice(b"\r\n");
        if message.len() > max {
            refused = Some(Data::TooLarge);
        } else if !room.resize(message.capacity() + line.capacity()) {
            refused = Some(Data::NoRoom);
        }
        if refused.is_some() {
            message = Vec::new();
            room.resize(0);
        }
    }
    Ok(refused.unwrap_or(Data::Message(message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_service::IntakeMemory;

    #[tokio::test]
    async fn data_is_unstuffed_and_bounded() {
        let mut input: &[u8] = b"Subject: x\r\n..leading dot\r\nbody\n.\r\nNEXT\r\n";
        let memory = IntakeMemory::new(1 << 20);
        let mut room = memory.reserve(0).unwrap();
        let message = read_data(&mut input, 1000, &mut room).await.unwrap();
        assert_eq!(
            message,
            Data::Message(b"Subject: x\r\n.leading dot\r\nbody\r\n".to_vec())
        );
        assert_eq!(input, b"NEXT\r\n");
        let mut input: &[u8] = b"0123456789\r\n0123456789\r\n.\r\nNEXT\r\n";
        assert_eq!(read_data(&mut input, 15, &mut room).await.unwrap(), Data::TooLarge);
        assert_eq!(input, b"NEXT\r\n");
    }

    /// A client streaming bytes without a newline: the reader keeps at most the limit of them,
    /// however many arrive (the process's peak memory barely moves over 256 MiB sent), and the
    /// message is refused as too large at the terminator.
    #[tokio::test]
    async fn a_line_without_end_is_not_kept_past_the_limit() {
        struct Endless {
            left: usize,
        }
        impl tokio::io::AsyncRead for Endless {
            fn poll_read(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                const XS: [u8; 8192] = [b'x'; 8192];
                if self.left == 0 {
                    buf.put_slice(b"\r\n.\r\n");
                    self.left = usize::MAX;
                } else if self.left != usize::MAX {
                    let n = buf.remaining().min(self.left).min(XS.len());
                    buf.put_slice(&XS[..n]);
                    self.left -= n;
                }
                std::task::Poll::Ready(Ok(()))
            }
        }
        fn peak_rss_kib() -> u64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        }
        let before = peak_rss_kib();
        let memory = IntakeMemory::new(1 << 20);
        let mut room = memory.reserve(0).unwrap();
        let mut reader = tokio::io::BufReader::new(Endless { left: 256 << 20 });
        assert_eq!(read_data(&mut reader, 1024, &mut room).await.unwrap(), Data::TooLarge);
        let grown_mib = (peak_rss_kib() - before) / 1024;
        assert!(grown_mib < 64, "peak memory grew by {grown_mib} MiB");
        // A line of exactly the limit is kept; "." alone ends the message, "..x" is unstuffed.
        let mut input: &[u8] = b"..x\r\n.\r\n";
        assert_eq!(
            read_data(&mut input, 1024, &mut room).await.unwrap(),
            Data::Message(b".x\r\n".to_vec())
        );
    }

    /// Past the shared pool the message is read to its end but not kept, the hold is given back,
    /// and the next message on the same session fits again.
    #[tokio::test]
    async fn a_message_past_the_shared_pool_is_refused_for_now() {
        let memory = IntakeMemory::new(64 * 1024);
        let other = memory.reserve(32 * 1024).unwrap();
        let mut room = memory.reserve(0).unwrap();
        let big = format!("{}\r\n.\r\nNEXT\r\n", "y\r\n".repeat(20_000));
        let mut input = big.as_bytes();
        assert_eq!(read_data(&mut input, 1 << 20, &mut room).await.unwrap(), Data::NoRoom);
        assert_eq!(input, b"NEXT\r\n");
        assert_eq!(room.bytes(), 0, "the hold is given back");
        drop(other);
        let mut input: &[u8] = b"small\r\n.\r\n";
        assert_eq!(
            read_data(&mut input, 1 << 20, &mut room).await.unwrap(),
            Data::Message(b"small\r\n".to_vec())
        );
        assert!(
            room.bytes() > 0 && memory.available() < 64 * 1024,
            "a kept message is charged"
        );
    }

    #[tokio::test]
    async fn long_lines_are_consumed_and_flagged() {
        let long = format!("{}\r\nNOOP\r\n", "A".repeat(5000));
        let mut input = long.as_bytes();
        assert!(matches!(read_line(&mut input, 100).await.unwrap(), Some(Line::TooLong)));
        assert!(matches!(read_line(&mut input, 100).await.unwrap(), Some(Line::Text(t)) if t == "NOOP"));
        assert!(read_line(&mut input, 100).await.unwrap().is_none());
    }
}
