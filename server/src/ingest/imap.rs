//! IMAP polling of an existing report mailbox (`PORTCULLIS_IMAP_URL`): every message in the
//! folder goes through the same mail ingestion as the SMTP receiver, then moves to the
//! processed folder (reports stored, new or already known) or to the failed folder (nothing in
//! it could be stored: no report, a refused report, over the size limit). A storage outage
//! leaves the message where it is for the next pass. A message moves only after its reports
//! are committed, so a crash in between re-reads it next time, and deduplication counts it
//! once. Always over TLS: `imaps://` (implicit) or `imap://` with a required STARTTLS.

use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use portcullis_service::{mail_subject, Channel, MailOutcome, Services};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Any one exchange with the server; a server that stops answering ends the pass.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `imaps://`, TLS from the first byte (port 993).
    Tls,
    /// `imap://`, plain connection upgraded with STARTTLS before logging in (port 143).
    StartTls,
}

/// Where and how to poll. Built from the configuration by [`ImapSettings::new`].
#[derive(Clone)]
pub struct ImapSettings {
    pub security: Security,
    pub host: String,
    pub port: u16,
    pub user: String,
    password: String,
    pub folder: String,
    pub processed_folder: String,
    pub failed_folder: String,
    pub max_message_bytes: usize,
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("mailbox", &self.mailbox())
            .field("processed_folder", &self.processed_folder)
            .field("failed_folder", &self.failed_folder)
            .field("max_message_bytes", &self.max_message_bytes)
            .finish_non_exhaustive()
    }
}

/// The parts of an `imaps://user@host:port/Folder` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxUrl {
    pub security: Security,
    pub user: String,
    pub host: String,
    pub port: u16,
    pub folder: String,
}

impl MailboxUrl {
    /// `imaps://USER@HOST[:PORT][/FOLDER]` or `imap://…` (STARTTLS). The user may be an e-mail
    /// address (the last `@` ends it) and may be percent-encoded; the folder defaults to INBOX.
    /// A password in the URL is refused: it belongs in `imap_password(_file)`, never in a URL
    /// that ends up in logs.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (security, rest) = if let Some(rest) = url.strip_prefix("imaps://") {
            (Security::Tls, rest)
        } else if let Some(rest) = url.strip_prefix("imap://") {
            (Security::StartTls, rest)
        } else {
            return Err("imap_url must start with imaps:// or imap:// (STARTTLS)".into());
        };
        let (authority, folder) = match rest.split_once('/') {
            Some((a, f)) => (a, percent_decode(f)?),
            None => (rest, String::new()),
        };
        let folder = if folder.is_empty() { "INBOX".to_string() } else { folder };
        let Some((user, host_port)) = authority.rsplit_once('@') else {
            return Err("imap_url needs the mailbox user: imaps://USER@HOST/FOLDER".into());
        };
        if user.contains(':') {
            return Err("imap_url must not hold the password; set imap_password or imap_password_file".into());
        }
        let user = percent_decode(user)?;
        if user.is_empty() {
            return Err("imap_url needs the mailbox user: imaps://USER@HOST/FOLDER".into());
        }
        let default_port = match security {
            Security::Tls => 993,
            Security::StartTls => 143,
        };
        let (host, port) = split_host_port(host_port, default_port)?;
        check_folder_name(&folder, "imap_url's folder")?;
        Ok(Self {
            security,
            user,
            host,
            port,
            folder,
        })
    }
}

fn split_host_port(text: &str, default_port: u16) -> Result<(String, u16), String> {
    let bad_port = |p: &str| format!("imap_url has an invalid port {p:?}");
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        // [IPv6]:port
        let (host, after) = rest.split_once(']').ok_or("imap_url has an unclosed [ in its host")?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad_port(p))?,
            None => default_port,
        };
        (host.to_string(), port)
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad_port(p))?),
            None => (text.to_string(), default_port),
        }
    };
    if host.is_empty() || port == 0 {
        return Err("imap_url needs a host: imaps://USER@HOST/FOLDER".into());
    }
    Ok((host, port))
}

/// Folder names go into IMAP commands quoted; control characters and quotes have no place in
/// them, and non-ASCII names would need modified UTF-7.
fn check_folder_name(name: &str, what: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 200 {
        return Err(format!("{what} must be 1 to 200 characters"));
    }
    if !name.chars().all(|c| c.is_ascii_graphic() || c == ' ') || name.contains(['"', '\\', '*', '%']) {
        return Err(format!(
            "{what} {name:?} must be plain ASCII without quotes, backslashes or wildcards"
        ));
    }
    Ok(())
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("imap_url has a bad %-escape near {:?}", &text[i..]))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "imap_url's %-escapes are not UTF-8".to_string())
}

impl ImapSettings {
    /// `extra_roots`: trusted besides the Mozilla roots (a private CA in front of the mailbox).
    pub fn new(
        url: MailboxUrl,
        password: String,
        processed_folder: String,
        failed_folder: String,
        max_message_bytes: usize,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<Self, String> {
        check_folder_name(&processed_folder, "imap_processed_folder")?;
        check_folder_name(&failed_folder, "imap_failed_folder")?;
        for (name, key) in [
            (&processed_folder, "imap_processed_folder"),
            (&failed_folder, "imap_failed_folder"),
        ] {
            if name.eq_ignore_ascii_case(&url.folder) {
                return Err(format!("{key} must differ from the polled folder {:?}", url.folder));
            }
        }
        if password.is_empty() {
            return Err("imap_url is set but no password: set imap_password or imap_password_file".into());
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for root in extra_roots {
            roots
                .add(root.clone())
                .map_err(|e| format!("imap_ca_file: not a usable CA certificate ({e})"))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            security: url.security,
            host: url.host,
            port: url.port,
            user: url.user,
            password,
            folder: url.folder,
            processed_folder,
            failed_folder,
            max_message_bytes,
            tls: Arc::new(tls),
        })
    }

    /// `user@host:port/folder`, for logs and messages (never the password).
    pub fn mailbox(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.folder)
    }
}

/// What one message became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageResult {
    /// At least one report stored (`new` of them new); moved to the processed folder.
    Stored {
        new: usize,
        duplicates: usize,
        refused: usize,
    },
    /// Nothing storable; moved to the failed folder. The reason is for the log.
    Failed(String),
    /// Storage is unavailable: left in the folder for the next pass.
    Deferred,
}

/// One pass over the folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// Per message: its UID, subject (if any) and result, in UID order.
    pub messages: Vec<(u32, String, MessageResult)>,
}

impl PollSummary {
    pub fn count(&self, f: impl Fn(&MessageResult) -> bool) -> usize {
        self.messages.iter().filter(|(_, _, r)| f(r)).count()
    }
}

/// Why a pass could not run (connection, TLS, login, folder): nothing was moved.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
    #[error("{0} refused the login for {1} ({2}): check imap_url's user and imap_password")]
    Login(String, String, String),
    #[error("the IMAP server {0} did not answer within {1} s")]
    Timeout(String, u64),
    #[error("IMAP error: {0}")]
    Protocol(String),
}

impl From<async_imap::error::Error> for ImapError {
    fn from(e: async_imap::error::Error) -> Self {
        Self::Protocol(e.to_string())
    }
}

/// `fut`, or a timeout error when the server takes longer than [`STEP_TIMEOUT`].
async fn within<T>(settings: &ImapSettings, fut: impl std::future::Future<Output = T>) -> Result<T, ImapError> {
    tokio::time::timeout(STEP_TIMEOUT, fut)
        .await
        .map_err(|_| ImapError::Timeout(settings.host.clone(), STEP_TIMEOUT.as_secs()))
}

/// One IMAP command, within the timeout.
async fn step<T, E: Into<ImapError>>(
    settings: &ImapSettings,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ImapError> {
    within(settings, fut).await?.map_err(Into::into)
}

trait Transport: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Transport for T {}

async fn tls(settings: &ImapSettings, tcp: TcpStream) -> Result<TlsStream<TcpStream>, ImapError> {
    let name = ServerName::try_from(settings.host.clone())
        .map_err(|e| ImapError::Tls(settings.host.clone(), e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(settings.tls.clone());
    within(settings, connector.connect(name, tcp))
        .await?
        .map_err(|e| ImapError::Tls(settings.host.clone(), e.to_string()))
}

/// Connects, secures and logs in.
async fn open(settings: &ImapSettings) -> Result<Session<Box<dyn Transport>>, ImapError> {
    let address = format!("{}:{}", settings.host, settings.port);
    let tcp = within(settings, TcpStream::connect((settings.host.as_str(), settings.port)))
        .await?
        .map_err(|e| ImapError::Connect(address.clone(), e.to_string()))?;
    let stream: Box<dyn Transport> = match settings.security {
        Security::Tls => Box::new(tls(settings, tcp).await?),
        Security::StartTls => {
            let mut client = Client::new(tcp);
            greeting(settings, &mut client).await?;
            // Portcullis never logs in without TLS: a server refusing STARTTLS ends the pass.
            if let Err(e) = step(settings, client.run_command_and_check_ok("STARTTLS", None)).await {
                return Err(ImapError::Tls(
                    settings.host.clone(),
                    format!("STARTTLS refused ({e}); use imaps:// if the server has a TLS port"),
                ));
            }
            Box::new(tls(settings, client.into_inner()).await?)
        }
    };
    let mut client = Client::new(stream);
    if settings.security == Security::Tls {
        greeting(settings, &mut client).await?;
    }
    within(settings, client.login(&settings.user, &settings.password))
        .await?
        .map_err(|(e, _)| ImapError::Login(address, settings.user.clone(), login_refusal(&e)))
}

/// The server's own words for a refused login (`[AUTHENTICATIONFAILED] …`), else the error.
fn login_refusal(e: &async_imap::error::Error) -> String {
    match e {
        // async-imap formats it as `code: …, info: Some("…")`.
        async_imap::error::Error::No(text) => text
            .split_once("info: Some(\"")
            .and_then(|(_, rest)| rest.rsplit_once("\")"))
            .map(|(info, _)| info.to_string())
            .unwrap_or_else(|| text.clone()),
        other => other.to_string(),
    }
}

async fn greeting<T: Transport>(settings: &ImapSettings, client: &mut Client<T>) -> Result<(), ImapError> {
    match within(settings, client.read_response()).await? {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ImapError::Protocol(
            "the server closed the connection before its greeting".into(),
        )),
        Err(e) => Err(ImapError::Protocol(e.to_string())),
    }
}

/// Creates `folder` unless the server already lists it.
async fn ensure_folder(
    settings: &ImapSettings,
    session: &mut Session<Box<dyn Transport>>,
    folder: &str,
) -> Result<(), ImapError> {
    let names: Vec<_> = step(settings, async {
        let listed = session.list(None, Some(folder)).await?;
        listed.try_collect::<Vec<_>>().await
    })
    .await?;
    if names.is_empty() {
        step(settings, session.create(folder)).await?;
    }
    Ok(())
}

/// Moves one message: `UID MOVE` where offered (RFC 6851), else copy, flag and expunge it.
/// What the server offers for moving mail (`MOVE`, RFC 6851; `UID EXPUNGE`, RFC 4315).
#[derive(Debug, Clone, Copy)]
struct MoveSupport {
    move_command: bool,
    uid_expunge: bool,
}

/// Moves one message: `UID MOVE` where offered, else copy, flag and expunge it. Without
/// `UID EXPUNGE` a plain `EXPUNGE` also removes what another client flagged `\Deleted` in
/// this folder; that is what such a client asked for anyway.
async fn move_message(
    settings: &ImapSettings,
    session: &mut Session<Box<dyn Transport>>,
    support: MoveSupport,
    uid: u32,
    folder: &str,
) -> Result<(), ImapError> {
    let uid = uid.to_string();
    if support.move_command {
        return step(settings, session.uid_mv(&uid, folder)).await;
    }
    step(settings, session.uid_copy(&uid, folder)).await?;
    step(settings, async {
        let flagged = session.uid_store(&uid, "+FLAGS.SILENT (\\Deleted)").await?;
        flagged.try_collect::<Vec<_>>().await
    })
    .await?;
    if support.uid_expunge {
        step(settings, async {
            let expunged = session.uid_expunge(&uid).await?;
            expunged.try_collect::<Vec<_>>().await
        })
        .await?;
    } else {
        step(settings, async {
            let expunged = session.expunge().await?;
            expunged.try_collect::<Vec<_>>().await
        })
        .await?;
    }
    Ok(())
}

/// What the mail ingestion made of one message.
fn result_of(outcome: &MailOutcome) -> MessageResult {
    if outcome
        .results
        .iter()
        .any(|(_, r)| matches!(r, Err(e) if e.is_temporary()))
    {
        return MessageResult::Deferred;
    }
    let (mut new, mut duplicates, mut refused) = (0, 0, 0);
    let mut reasons = Vec::new();
    for (label, result) in &outcome.results {
        match result {
            Ok(ingested) if ingested.outcome.is_new() => new += 1,
            Ok(_) => duplicates += 1,
            Err(e) => {
                refused += 1;
                reasons.push(format!("{label}: {e}"));
            }
        }
    }
    if new + duplicates > 0 {
        return MessageResult::Stored {
            new,
            duplicates,
            refused,
        };
    }
    MessageResult::Failed(outcome.problem.clone().unwrap_or_else(|| reasons.join("; ")))
}

/// One pass: every message in the folder, oldest first. Stops early (keeping what it did) on a
/// storage outage, leaving the rest for the next pass.
pub async fn poll_once(services: &Services, settings: &ImapSettings) -> Result<PollSummary, ImapError> {
    let mut session = open(settings).await?;
    let result = poll_session(services, settings, &mut session).await;
    // A polite goodbye; the pass's outcome does not depend on it.
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
    result
}

async fn poll_session(
    services: &Services,
    settings: &ImapSettings,
    session: &mut Session<Box<dyn Transport>>,
) -> Result<PollSummary, ImapError> {
    let capabilities = step(settings, session.capabilities()).await?;
    let support = MoveSupport {
        move_command: capabilities.has_str("MOVE"),
        uid_expunge: capabilities.has_str("UIDPLUS"),
    };
    ensure_folder(settings, session, &settings.processed_folder).await?;
    ensure_folder(settings, session, &settings.failed_folder).await?;
    step(settings, session.select(&settings.folder)).await?;
    // Mail someone already deleted (flagged, not yet expunged) is not taken in.
    let mut uids: Vec<u32> = step(settings, session.uid_search("UNDELETED"))
        .await?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let mut summary = PollSummary::default();
    for uid in uids {
        // The size and subject first: a message over the limit is never downloaded.
        let head = step(settings, async {
            let fetched = session
                .uid_fetch(uid.to_string(), "(UID RFC822.SIZE BODY.PEEK[HEADER])")
                .await?;
            fetched.try_collect::<Vec<_>>().await
        })
        .await?;
        let Some(head) = head.into_iter().find(|f| f.uid == Some(uid)) else {
            continue; // expunged by someone else meanwhile
        };
        let subject = head.header().and_then(mail_subject).unwrap_or_default();
        let size = head.size.unwrap_or(0) as usize;
        let result = if size > settings.max_message_bytes {
            MessageResult::Failed(format!(
                "the message has {size} bytes, more than the limit of {} (smtp_max_message_bytes)",
                settings.max_message_bytes
            ))
        } else {
            let body = step(settings, async {
                let fetched = session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])").await?;
                fetched.try_collect::<Vec<_>>().await
            })
            .await?;
            let Some(raw) = body
                .iter()
                .find(|f| f.uid == Some(uid))
                .and_then(|f| f.body())
                .map(<[u8]>::to_vec)
            else {
                continue;
            };
            let outcome = services.ingest_mail(None, raw, Channel::Imap, None).await;
            result_of(&outcome)
        };
        match &result {
            MessageResult::Stored { .. } => {
                move_message(settings, session, support, uid, &settings.processed_folder).await?
            }
            MessageResult::Failed(why) => {
                tracing::warn!(uid, subject = %subject, reason = %why, folder = %settings.failed_folder, "IMAP message holds no storable report; moved aside");
                move_message(settings, session, support, uid, &settings.failed_folder).await?
            }
            MessageResult::Deferred => {}
        }
        let deferred = result == MessageResult::Deferred;
        summary.messages.push((uid, subject, result));
        if deferred {
            tracing::warn!("storage unavailable; the rest of the mailbox waits for the next IMAP pass");
            break;
        }
    }
    Ok(summary)
}

/// Polls every `every` until the process ends, logging each pass that found mail or failed.
pub fn spawn_poller(services: Services, settings: ImapSettings, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match poll_once(&services, &settings).await {
                Ok(pass) if !pass.messages.is_empty() => tracing::info!(
                    mailbox = %settings.mailbox(),
                    stored = pass.count(|r| matches!(r, MessageResult::Stored { .. })),
                    failed = pass.count(|r| matches!(r, MessageResult::Failed(_))),
                    deferred = pass.count(|r| *r == MessageResult::Deferred),
                    "IMAP pass"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(mailbox = %settings.mailbox(), error = %e, "IMAP pass failed; retrying at the next interval")
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_urls() {
        let url = MailboxUrl::parse("imaps://tlsrpt%40example.com@imap.example.com/Reports/TLS").unwrap();
        assert_eq!(
            url,
            MailboxUrl {
                security: Security::Tls,
                user: "tlsrpt@example.com".into(),
                host: "imap.example.com".into(),
                port: 993,
                folder: "Reports/TLS".into(),
            }
        );
        let url = MailboxUrl::parse("imap://reports@example.com@[::1]:1143").unwrap();
        assert_eq!(
            (
                url.security,
                url.user.as_str(),
                url.host.as_str(),
                url.port,
                url.folder.as_str()
            ),
            (Security::StartTls, "reports@example.com", "::1", 1143, "INBOX")
        );
        for (bad, says) in [
            ("https://u@h/", "imaps://"),
            ("imaps://h/INBOX", "user"),
            ("imaps://u:secret@h/", "must not hold the password"),
            ("imaps://u@h:99999/", "invalid port"),
            ("imaps://u@/", "needs a host"),
            ("imaps://u@h/In\"box", "plain ASCII"),
            ("imaps://u%zz@h/", "%-escape"),
        ] {
            let err = MailboxUrl::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn settings_refuse_clashing_folders_and_a_missing_password() {
        let url = MailboxUrl::parse("imaps://u@h/INBOX").unwrap();
        let new = |password: &str, processed: &str| {
            ImapSettings::new(
                url.clone(),
                password.into(),
                processed.into(),
                "Failed".into(),
                1024,
                &[],
            )
        };
        assert!(new("pw", "inbox").unwrap_err().contains("must differ"));
        assert!(new("", "Processed").unwrap_err().contains("no password"));
        let ok = new("pw", "Processed").unwrap();
        assert_eq!(ok.mailbox(), "u@h:993/INBOX");
        assert!(!format!("{ok:?}").contains("pw\""));
    }
}
