//! One IMAP session: connect, secure (implicit TLS or a required STARTTLS), log in, make sure the
//! folders exist and move messages, every command within a deadline.

use super::ImapSettings;
use super::Security;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use rustls_pki_types::ServerName;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Any one exchange with the server; a server that stops answering ends the pass.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

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
pub(super) async fn step<T, E: Into<ImapError>>(
    settings: &ImapSettings,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ImapError> {
    within(settings, fut).await?.map_err(Into::into)
}

pub(super) trait Transport: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
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
pub(super) async fn open(settings: &ImapSettings) -> Result<Session<Box<dyn Transport>>, ImapError> {
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
pub(super) async fn ensure_folder(
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

/// What the server offers for moving mail (`MOVE`, RFC 6851; `UID EXPUNGE`, RFC 4315).
#[derive(Debug, Clone, Copy)]
pub(super) struct MoveSupport {
    pub(super) move_command: bool,
    pub(super) uid_expunge: bool,
}

/// Moves one message: `UID MOVE` where offered, else copy, flag and expunge it. Without
/// `UID EXPUNGE` a plain `EXPUNGE` also removes what another client flagged `\Deleted` in
/// this folder; that is what such a client asked for anyway.
pub(super) async fn move_message(
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
