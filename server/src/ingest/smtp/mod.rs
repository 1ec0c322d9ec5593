//! The built-in TLS-RPT mail receiver (`PORTCULLIS_SMTP_ADDR`): just enough ESMTP (RFC 5321)
//! with STARTTLS (RFC 3207) to take report mail for this server's report addresses.
//!
//! Recipients other than the report addresses are refused at RCPT, an oversized message at MAIL
//! (declared SIZE) or after DATA, and the final answer to DATA is given only after the reports
//! are committed: 250 stored, 451 when storage failed (the sender retries), 550 when the message
//! holds no report this server can use.

mod settings;
mod wire;

pub use settings::{tls_config, SmtpLimits, SmtpSettings, SmtpTls};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use portcullis_service::{Channel, IngestError, MailOutcome, Services};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::listener::{IdleTimeout, Slots};
use portcullis_domain::smtp_command::{size_param, split_command, split_path, strip_prefix_ci};
use wire::{read_data, read_line, Data, Line};

/// Longest command line accepted (RFC 5321 §4.5.3.1.4 says 512; extensions make it longer).
const MAX_COMMAND_LINE: usize = 4096;
const MAX_RECIPIENTS: usize = 100;
const MAX_ERRORS: u32 = 10;
/// Commands that move no mail (NOOP, RSET, VRFY, HELP) allowed in one session, as Postfix's
/// `smtpd_junk_command_limit`: a client cannot hold a slot by sending NOOP forever.
const MAX_JUNK_COMMANDS: u32 = 20;
/// The answer a session gets when the server stops between its transactions: a temporary
/// failure, so the sender keeps the message and tries again.
const SHUTTING_DOWN: &str = "421 4.3.2 Server shutting down, try again later";

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Accepts connections until `stop` completes. Then it accepts no more, closes sessions that
/// are between transactions with 421 (the sender retries later, elsewhere or here), lets a
/// transaction in progress finish, and returns once every session has ended or `grace` has
/// passed (what is still open then is cut, and its sender retries: nothing was acknowledged).
pub async fn serve(
    listener: TcpListener,
    settings: SmtpSettings,
    services: Services,
    stop: impl Future<Output = ()>,
    grace: Duration,
) {
    let settings = Arc::new(settings);
    let slots = Slots::new(&settings.limits.listener);
    let (stopping_tx, stopping) = watch::channel(false);
    let mut sessions = JoinSet::new();
    tokio::pin!(stop);
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "SMTP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            // Finished sessions are reaped as they end, so the set holds only open ones.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
            () = &mut stop => break,
        };
        let Some(slot) = slots.take(peer.ip()) else {
            sessions.spawn(async move {
                let mut socket = socket;
                let refusal = socket.write_all(b"421 4.7.0 Too many connections, try again later\r\n");
                let _ = tokio::time::timeout(Duration::from_secs(5), refusal).await;
            });
            continue;
        };
        let (settings, services, stopping) = (settings.clone(), services.clone(), stopping.clone());
        sessions.spawn(async move {
            let _slot = slot;
            let socket = IdleTimeout::new(socket, settings.limits.listener.idle_timeout);
            let session = session(socket, peer.ip().to_string(), &settings, &services, stopping);
            match tokio::time::timeout(settings.limits.session_max, session).await {
                Err(_) => tracing::debug!(%peer, "SMTP session closed at its time limit"),
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "SMTP session ended"),
                Ok(Ok(())) => {}
            }
        });
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    let drained = async { while sessions.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!(
            open = sessions.len(),
            "SMTP sessions still open after the grace period; closing them"
        );
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
    mut stopping: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let limits = &settings.limits;
    let mut conn: BufReader<Box<dyn Stream>> = BufReader::new(Box::new(socket));
    let mut tls_active = false;
    let mut tls_version: Option<String> = None;
    let mut envelope = Envelope::default();
    let mut errors = 0u32;
    let mut junk = 0u32;
    reply(
        &mut conn,
        &format!("220 {} ESMTP Portcullis TLS-RPT receiver", settings.hostname),
    )
    .await?;
    loop {
        // A stopping server ends sessions only between transactions: one under way finishes.
        // (Checked first: `wait_for` is ready at once when the stop came earlier.)
        let between = envelope.from.is_none();
        let next = tokio::time::timeout(limits.command_timeout, read_line(&mut conn, MAX_COMMAND_LINE));
        let next = tokio::select! {
            biased;
            _ = stopping.wait_for(|stopped| *stopped), if between => None,
            next = next => Some(next),
        };
        let Some(next) = next else {
            return reply(&mut conn, SHUTTING_DOWN).await;
        };
        let line = match next {
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
                    tls_version = tls.get_ref().1.protocol_version().map(|v| format!("{v:?}"));
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
                            let outcome = services
                                .ingest_mail(None, message, Channel::Smtp, Some(&peer), tls_version.as_deref())
                                .await;
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
