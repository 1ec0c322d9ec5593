//! Certificates for `mta-sts.<domain>` by ACME (RFC 8555) with the http-01 challenge, answered
//! by this server's own HTTP listener at `/.well-known/acme-challenge/<token>` on any host.

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};
use portcullis_service::Services;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;

pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// `letsencrypt` and `letsencrypt-staging` are presets; anything else is a directory URL.
pub fn directory_url(setting: &str) -> String {
    match setting.trim() {
        "letsencrypt" | "letsencrypt-production" => LETS_ENCRYPT.into(),
        "letsencrypt-staging" => LETS_ENCRYPT_STAGING.into(),
        other => other.into(),
    }
}

#[derive(Debug, Clone)]
pub struct AcmeSettings {
    pub directory: String,
    pub contact: Option<String>,
    /// Extra root for the ACME server's own HTTPS (a test CA such as pebble's).
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    #[error("ACME: {0}")]
    Protocol(String),
    #[error("the ACME server refused the order for {name}: {detail}")]
    Refused { name: String, detail: String },
}

impl From<instant_acme::Error> for AcmeError {
    fn from(e: instant_acme::Error) -> Self {
        AcmeError::Protocol(e.to_string())
    }
}

/// Pending http-01 answers: token → key authorization. Kept in this instance's memory and, once
/// shared, in the database too, so that whichever instance the CA's validation request reaches
/// can answer it.
#[derive(Default)]
pub struct HttpChallenges {
    pending: RwLock<HashMap<String, String>>,
    shared: Option<Services>,
}

impl std::fmt::Debug for HttpChallenges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpChallenges")
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpChallenges {
    /// Answers shared through the database behind `services`.
    pub fn shared(services: Services) -> Self {
        Self {
            pending: RwLock::default(),
            shared: Some(services),
        }
    }

    pub async fn answer(&self, token: &str) -> Option<String> {
        let mine = self
            .pending
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned();
        if mine.is_some() {
            return mine;
        }
        let services = self.shared.as_ref()?;
        match services.acme_challenge(token).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the shared ACME answers");
                None
            }
        }
    }

    /// A store failure only means other instances cannot answer: this one still can.
    pub async fn set(&self, token: &str, key_authorization: &str) {
        self.pending
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.to_string(), key_authorization.to_string());
        if let Some(services) = &self.shared {
            if let Err(e) = services.put_acme_challenge(token, key_authorization).await {
                tracing::warn!(error = %e, "ACME answer not shared; only this instance can answer the validation");
            }
        }
    }

    async fn clear(&self, token: &str) {
        self.pending.write().unwrap_or_else(|e| e.into_inner()).remove(token);
        if let Some(services) = &self.shared {
            if let Err(e) = services.delete_acme_challenge(token).await {
                tracing::warn!(error = %e, "ACME answer not removed from the database; it expires on its own");
            }
        }
    }
}

fn builder(settings: &AcmeSettings) -> Result<instant_acme::AccountBuilder, AcmeError> {
    Ok(match &settings.ca_file {
        Some(path) => Account::builder_with_root(path)?,
        None => Account::builder()?,
    })
}

/// Restores the stored account, or registers a new one and returns its credentials to store.
pub async fn account(settings: &AcmeSettings, stored: Option<&str>) -> Result<(Account, Option<String>), AcmeError> {
    if let Some(json) = stored {
        let credentials: AccountCredentials =
            serde_json::from_str(json).map_err(|e| AcmeError::Protocol(format!("stored account: {e}")))?;
        return Ok((builder(settings)?.from_credentials(credentials).await?, None));
    }
    let contact = settings.contact.as_ref().map(|c| format!("mailto:{c}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let (account, credentials) = builder(settings)?
        .create(
            &NewAccount {
                contact: &contacts,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            settings.directory.clone(),
            None,
        )
        .await?;
    let json = serde_json::to_string(&credentials).map_err(|e| AcmeError::Protocol(e.to_string()))?;
    Ok((account, Some(json)))
}

/// Orders a certificate for `name`, answers its http-01 challenge, and returns
/// (certificate chain PEM, private key PEM).
pub async fn issue(account: &Account, name: &str, challenges: &HttpChallenges) -> Result<(String, String), AcmeError> {
    let identifiers = [Identifier::Dns(name.to_string())];
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    let mut tokens = Vec::new();
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz?;
        if authz.status == AuthorizationStatus::Valid {
            continue;
        }
        let mut challenge = authz
            .challenge(ChallengeType::Http01)
            .ok_or_else(|| AcmeError::Refused {
                name: name.to_string(),
                detail: "the server offers no http-01 challenge".into(),
            })?;
        challenges
            .set(&challenge.token, challenge.key_authorization().as_str())
            .await;
        tokens.push(challenge.token.clone());
        challenge.set_ready().await?;
    }
    let retry = RetryPolicy::new()
        .initial_delay(Duration::from_millis(250))
        .timeout(Duration::from_secs(90));
    let status = order.poll_ready(&retry).await;
    for t in &tokens {
        challenges.clear(t).await;
    }
    let status = status?;
    if status != OrderStatus::Ready {
        let detail = order
            .state()
            .error
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_else(|| format!("order status {status:?}; check that {name} resolves to this server"));
        return Err(AcmeError::Refused {
            name: name.to_string(),
            detail,
        });
    }
    let key_pem = order.finalize().await?;
    let chain_pem = order.poll_certificate(&retry).await?;
    Ok((chain_pem, key_pem))
}
