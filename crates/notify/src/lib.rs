//! Delivers alert messages: e-mail through an SMTP relay (lettre), and JSON webhooks, plain or
//! Slack-compatible, over HTTP(S). What to send and when is the service's business.

mod message;
mod target;
mod webhook;

#[cfg(feature = "testing")]
pub mod testing;

pub use message::{Item, Message};
pub use target::{Target, TargetError};

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rustls_pki_types::CertificateDer;
use std::time::Duration;

/// How alerts leave this server.
#[derive(Debug, Clone, Default)]
pub struct NotifySettings {
    /// `smtp://host:port`, `smtp://user:password@host:587?tls=required` or `smtps://…`; no
    /// e-mail when unset.
    pub smtp_url: Option<String>,
    /// The sender address of alert mail.
    pub from: String,
    /// Let webhooks reach private and loopback addresses (tests only: otherwise a user could
    /// make the server post into its own network).
    pub allow_private: bool,
    /// Extra roots webhooks over HTTPS trust (a test CA).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Per delivery.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("e-mail alerts are not configured: set PORTCULLIS_ALERT_SMTP_URL")]
    NoMailer,
    #[error("invalid alert settings: {0}")]
    Settings(String),
    #[error("the mail relay did not take the message: {0}")]
    Smtp(String),
    #[error("the webhook could not be reached: {0}")]
    Connect(String),
    #[error("the webhook answered HTTP {0}")]
    Status(u16),
    #[error("the webhook points at a private or loopback address, which alerts may not reach")]
    PrivateAddress,
    #[error("no answer within {0} seconds")]
    Timeout(u64),
}

/// Sends messages to targets. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct Notifier {
    mailer: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
    webhooks: webhook::Poster,
    timeout: Duration,
}

impl Notifier {
    pub fn new(settings: NotifySettings) -> Result<Self, NotifyError> {
        let timeout = if settings.timeout.is_zero() {
            Duration::from_secs(15)
        } else {
            settings.timeout
        };
        let (mailer, from) = match &settings.smtp_url {
            None => (None, None),
            Some(url) => {
                let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    // lettre's message can quote the URL; never echo a password.
                    .map_err(|_| NotifyError::Settings("alert_smtp_url is not a valid smtp:// or smtps:// URL".into()))?
                    .timeout(Some(timeout))
                    .build();
                let from: Mailbox = settings.from.parse().map_err(|_| {
                    NotifyError::Settings(format!("alert_from {:?} is not an e-mail address", settings.from))
                })?;
                (Some(mailer), Some(from))
            }
        };
        Ok(Self {
            mailer,
            from,
            webhooks: webhook::Poster::new(settings.allow_private, settings.extra_roots),
            timeout,
        })
    }

    /// Whether e-mail targets can be served.
    pub fn can_email(&self) -> bool {
        self.mailer.is_some()
    }

    /// Delivers `message` to `target`.
    pub async fn send(&self, target: &Target, message: &Message) -> Result<(), NotifyError> {
        let secs = self.timeout.as_secs();
        let work = async {
            match target {
                Target::Email(to) => self.email(to, message).await,
                Target::Webhook(url) => self.webhooks.post(url, &message.json()).await,
                Target::Slack(url) => self.webhooks.post(url, &message.slack()).await,
            }
        };
        tokio::time::timeout(self.timeout + Duration::from_secs(1), work)
            .await
            .map_err(|_| NotifyError::Timeout(secs))?
    }

    async fn email(&self, to: &str, message: &Message) -> Result<(), NotifyError> {
        let (Some(mailer), Some(from)) = (&self.mailer, &self.from) else {
            return Err(NotifyError::NoMailer);
        };
        let to: Mailbox = to
            .parse()
            .map_err(|_| NotifyError::Settings(format!("{to:?} is not an e-mail address")))?;
        let email = lettre::Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&message.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(message.text())
            .map_err(|e| NotifyError::Smtp(e.to_string()))?;
        mailer
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| NotifyError::Smtp(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            subject: "s".into(),
            intro: "i".into(),
            items: Vec::new(),
            link: String::new(),
            test: true,
        }
    }

    #[tokio::test]
    async fn webhooks_to_private_addresses_are_refused_by_default() {
        let notifier = Notifier::new(NotifySettings {
            from: "portcullis@example.com".into(),
            ..NotifySettings::default()
        })
        .unwrap();
        for url in [
            "http://127.0.0.1:9/hook",
            "http://[::1]:9/hook",
            "https://10.0.0.1/hook",
        ] {
            let target = Target::parse("webhook", url).unwrap();
            assert!(
                matches!(
                    notifier.send(&target, &message()).await,
                    Err(NotifyError::PrivateAddress)
                ),
                "{url}"
            );
        }
        let target = Target::parse("email", "ops@example.com").unwrap();
        assert!(matches!(
            notifier.send(&target, &message()).await,
            Err(NotifyError::NoMailer)
        ));
        assert!(!notifier.can_email());
    }

    #[test]
    fn a_bad_relay_url_is_refused_without_echoing_it() {
        let err = Notifier::new(NotifySettings {
            smtp_url: Some("gopher://user:hunter2@relay".into()),
            from: "portcullis@example.com".into(),
            ..NotifySettings::default()
        })
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
