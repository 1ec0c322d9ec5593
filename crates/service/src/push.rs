//! Push mode: after every id change, the domain's `_mta-sts` TXT is written into the owner's
//! own DNS (RFC 2136 with TSIG, or Cloudflare's API; settings per organisation), then verified
//! by a DNS check. A failed push or verification raises the "DNS id not updated" alert at once.

use crate::alerts::id_is_stale;
use crate::policies::name_of;
use crate::sealing;
use crate::{SecretKey, ServiceError, Services};
use portcullis_dnscheck::{
    is_public, key_name, push_txt, ApiToken, PushDestination, PushServer, PushTarget, PUSH_PROVIDERS, TSIG_ALGORITHMS,
};
use portcullis_domain::dns::DnsSetup;
use portcullis_domain::AlertKind;
use portcullis_domain::{DomainName, Role};
use portcullis_store::{now, OrgAccess};
use serde::{Deserialize, Serialize};

/// Longest TSIG secret accepted (base64 of 512 bytes); BIND's are 32 to 64 bytes.
const MAX_SECRET_LEN: usize = 700;

/// Push settings as entered. `provider` is `rfc2136` (the default) or `cloudflare`; `secret` is
/// the TSIG secret in base64, as in BIND's key files, or the provider's API token (then
/// `server`, `key_name` and `algorithm` are not used).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PushInput {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub server: String,
    #[serde(default)]
    pub key_name: String,
    #[serde(default)]
    pub algorithm: String,
    pub secret: String,
}

/// Push settings as shown: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushView {
    /// `rfc2136` or `cloudflare`.
    pub provider: String,
    pub server: String,
    pub key_name: String,
    pub algorithm: String,
    pub updated_by: String,
    pub updated_at: i64,
    /// Domains of the organisation that use push.
    pub domains: i64,
}

/// One push and its verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    pub policy_id: String,
    /// The `_mta-sts` record pushed.
    pub record: String,
    /// Why the push failed; `None` when the server applied it.
    pub error: Option<String>,
    /// Whether the DNS check then saw the new id; `None` when not checked (no resolver, or the
    /// push failed).
    pub verified: Option<bool>,
}

impl PushOutcome {
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.verified != Some(false)
    }
}

/// A domain's last push, for its DNS page and the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushStatus {
    pub pushed_id: Option<String>,
    pub pushed_at: Option<i64>,
    pub error: Option<String>,
}

fn context(access: &OrgAccess) -> Vec<u8> {
    format!("portcullis push secret, org {}", access.org_slug()).into_bytes()
}

impl Services {
    /// Seals push credentials with `key` (`PORTCULLIS_SECRET_KEY`).
    pub fn with_secret_key(mut self, key: Option<SecretKey>) -> Self {
        self.secret_key = key;
        self
    }

    /// Whether push settings can be stored (the server has a secret key).
    pub fn push_available(&self) -> bool {
        self.secret_key.is_some()
    }

    fn sealing_key(&self) -> Result<&SecretKey, ServiceError> {
        self.secret_key.as_ref().ok_or_else(|| {
            ServiceError::Unavailable(
                "push mode needs PORTCULLIS_SECRET_KEY (or _FILE) on the server, to keep the TSIG secret sealed".into(),
            )
        })
    }

    pub async fn push_settings(&self, access: &OrgAccess) -> Result<Option<PushView>, ServiceError> {
        let Some(row) = self.store.push_settings(access).await? else {
            return Ok(None);
        };
        Ok(Some(PushView {
            provider: row.provider,
            server: row.server,
            key_name: row.key_name,
            algorithm: row.algorithm,
            updated_by: row.updated_by,
            updated_at: row.updated_at,
            domains: self.store.domains_using_push(access).await?,
        }))
    }

    /// Saves the organisation's push settings (owners only). The secret is sealed and never
    /// shown again.
    pub async fn save_push_settings(
        &self,
        access: &OrgAccess,
        by: &str,
        input: &PushInput,
    ) -> Result<PushView, ServiceError> {
        use base64::Engine;
        let key = self.sealing_key()?;
        match input.provider.trim() {
            "" | "rfc2136" => {}
            "cloudflare" => {
                let token = ApiToken::parse(&input.secret).map_err(|e| ServiceError::invalid("secret", e))?;
                let sealed = sealing::seal(&key.aead(), &context(access), token.as_str().as_bytes().to_vec())
                    .ok_or(ServiceError::Internal)?;
                self.store
                    .save_push_settings(access, "cloudflare", "", "", "", &sealed, by)
                    .await?;
                tracing::info!(org = %access.org_slug(), provider = "cloudflare", %by, "push settings saved");
                return self.push_settings(access).await?.ok_or(ServiceError::Internal);
            }
            _ => {
                return Err(ServiceError::invalid(
                    "provider",
                    format!("push goes by {}", PUSH_PROVIDERS.join(" or ")),
                ))
            }
        }
        let server = PushServer::parse(&input.server).map_err(|e| ServiceError::invalid("server", e))?;
        // Like the checks, pushes reach public addresses only: otherwise an owner could aim
        // this server's packets at its own network.
        let allow_private = self.checker.as_ref().is_some_and(|c| c.settings().allow_private);
        if !allow_private && !is_public(server.addr.ip()) {
            return Err(ServiceError::invalid(
                "server",
                "a private, loopback or reserved address is refused: give the primary server's public address (an operator can allow private ones with PORTCULLIS_CHECK_ALLOW_PRIVATE)",
            ));
        }
        let key_name = key_name(&input.key_name).map_err(|e| ServiceError::invalid("key_name", e))?;
        let algorithm = input.algorithm.trim().to_ascii_lowercase();
        if !TSIG_ALGORITHMS.contains(&algorithm.as_str()) {
            return Err(ServiceError::invalid(
                "algorithm",
                format!("the algorithm is one of {}", TSIG_ALGORITHMS.join(", ")),
            ));
        }
        let secret = input.secret.trim();
        let bytes = (secret.len() <= MAX_SECRET_LEN)
            .then(|| base64::engine::general_purpose::STANDARD.decode(secret).ok())
            .flatten()
            .filter(|b| b.len() >= 16)
            .ok_or_else(|| {
                ServiceError::invalid(
                    "secret",
                    "the secret is the key's base64 secret from its BIND definition (at least 16 bytes; tsig-keygen makes one)",
                )
            })?;
        let sealed = sealing::seal(&key.aead(), &context(access), bytes).ok_or(ServiceError::Internal)?;
        self.store
            .save_push_settings(
                access,
                "rfc2136",
                &server.to_string(),
                &key_name,
                &algorithm,
                &sealed,
                by,
            )
            .await?;
        tracing::info!(org = %access.org_slug(), server = %server, key = %key_name, %by, "push settings saved");
        self.push_settings(access).await?.ok_or(ServiceError::Internal)
    }

    /// Removes the organisation's push settings (owners only); refused while a domain uses push.
    pub async fn delete_push_settings(&self, access: &OrgAccess) -> Result<(), ServiceError> {
        let using = self.store.domains_using_push(access).await?;
        if using > 0 {
            return Err(ServiceError::Conflict(format!(
                "{using} domain{} still use{} push: switch {} to delegation or to manual first",
                if using == 1 { "" } else { "s" },
                if using == 1 { "s" } else { "" },
                if using == 1 { "it" } else { "them" }
            )));
        }
        if !self.store.delete_push_settings(access).await? {
            return Err(ServiceError::NotFound);
        }
        Ok(())
    }

    pub async fn push_status(&self, access: &OrgAccess, domain: &DomainName) -> Result<PushStatus, ServiceError> {
        let r = self.store.push_record(access, domain).await?;
        Ok(PushStatus {
            pushed_id: r.pushed_id,
            pushed_at: r.pushed_at,
            error: r.push_error,
        })
    }

    /// "Push now": pushes the current id of a domain in push mode and verifies it.
    pub async fn push_now(&self, access: &OrgAccess, raw: &str) -> Result<PushOutcome, ServiceError> {
        if !access.role().allows(Role::Editor) {
            return Err(ServiceError::Forbidden);
        }
        let domain = name_of(raw)?;
        let row = self
            .store
            .domain(access, &domain)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if DnsSetup::parse(&row.dns_setup) != Ok(DnsSetup::Push) {
            return Err(ServiceError::invalid(
                "setup",
                format!("{domain} does not use push: choose push as its DNS setup first"),
            ));
        }
        let current = self.store.current_policy(access, &domain).await?.ok_or_else(|| {
            ServiceError::invalid("policy", "the domain has no policy yet, so there is no id to push")
        })?;
        self.push_id(access, &domain, &current.policy_id).await
    }

    /// Pushes `id` for `domain`, records the outcome, verifies it through a DNS check, and
    /// raises the "DNS id not updated" alert when either fails.
    pub(crate) async fn push_id(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        id: &str,
    ) -> Result<PushOutcome, ServiceError> {
        let name = format!("_mta-sts.{domain}");
        let record = format!("v=STSv1; id={id}");
        let error = match self.push_destination(access).await {
            Ok(target) => push_txt(&target, domain.as_str(), &name, &record)
                .await
                .err()
                .map(|e| e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        self.store.record_push(access, domain, id, error.as_deref()).await?;
        let verified = match (&error, &self.checker) {
            (None, Some(_)) => {
                let run = self.check_dns(access, domain.as_str(), "push").await?;
                Some(!id_is_stale(&run.findings))
            }
            _ => None,
        };
        let outcome = PushOutcome {
            policy_id: id.to_string(),
            record,
            error,
            verified,
        };
        if !outcome.ok() {
            let why = match &outcome.error {
                Some(e) => format!("the push to the DNS server failed: {e}"),
                None => "the push was accepted, but the DNS check does not see the new id yet".into(),
            };
            let detail = format!(
                "Policy id {id} could not be published in {name} TXT: {why}. Senders keep their cached policy until the record carries the new id."
            );
            self.raise(domain.as_str(), AlertKind::DnsIdStale, &detail, now()).await;
            tracing::warn!(%domain, id, %why, "push of the _mta-sts record failed");
        } else {
            tracing::info!(%domain, id, "pushed the _mta-sts record");
        }
        Ok(outcome)
    }

    async fn push_destination(&self, access: &OrgAccess) -> Result<PushDestination, ServiceError> {
        let row = self
            .store
            .push_settings(access)
            .await?
            .ok_or_else(|| ServiceError::invalid("setup", "the organisation has no push settings"))?;
        let secret = sealing::open(&self.sealing_key()?.aead(), &context(access), &row.secret_sealed).ok_or_else(|| {
            ServiceError::Unavailable(
                "the stored push credential cannot be opened with this server's PORTCULLIS_SECRET_KEY (was the key changed?): enter the push settings again".into(),
            )
        })?;
        if row.provider == "cloudflare" {
            let token = String::from_utf8(secret).map_err(|_| ServiceError::Internal)?;
            return Ok(PushDestination::Cloudflare(
                ApiToken::parse(&token).map_err(|e| ServiceError::invalid("secret", e))?,
            ));
        }
        Ok(PushDestination::Rfc2136(PushTarget {
            server: PushServer::parse(&row.server).map_err(|e| ServiceError::invalid("server", e))?,
            key_name: row.key_name,
            algorithm: row.algorithm,
            secret,
        }))
    }
}
