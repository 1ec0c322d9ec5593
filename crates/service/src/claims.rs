//! Claims on names registered by another organisation but never proven: the claimant proves
//! control with its own token (the TXT record, or the delegation CNAMEs naming that token) and
//! the unproven registration is released to it. Its organisation finds a notice on its
//! dashboard.

use crate::policies::name_of;
use crate::proof::proven_by;
use crate::{ServiceError, Services};
use portcullis_dnscheck::ProofCheck;
use portcullis_domain::dns::{challenge_record, delegation_records, DnsRecord, Finding, ProofToken};
use portcullis_domain::DomainName;
use portcullis_store::{Change, ClaimRefusal, ClaimRow, OrgAccess, OrgNotice};
use serde::{Deserialize, Serialize};

/// How long a released organisation sees its notice.
pub const NOTICE_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimView {
    pub name: String,
    /// The TXT record that proves the claim.
    pub record: DnsRecord,
    /// The delegation CNAMEs under the claim's token (they prove it too), where this server
    /// runs a DNS zone.
    pub delegation: Vec<DnsRecord>,
    pub created_by: String,
    pub created_at: i64,
}

/// What checking a claim found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimCheck {
    /// Control proven: the name is now registered, proven, in the claimant's organisation.
    Released { how: String },
    /// Not yet: what the DNS showed.
    NotYet { findings: Vec<Finding> },
}

impl Services {
    fn claim_view(&self, row: ClaimRow) -> Result<ClaimView, ServiceError> {
        let name = DomainName::parse(&row.name).map_err(|_| ServiceError::Internal)?;
        let token = ProofToken::parse(&row.proof_token).map_err(|_| ServiceError::Internal)?;
        Ok(ClaimView {
            record: challenge_record(&name, &token),
            delegation: self
                .dns_config
                .zone
                .as_deref()
                .map(|zone| delegation_records(&name, &token, zone))
                .unwrap_or_default(),
            name: row.name,
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }

    /// Claims a name another organisation registered but never proved (editors and owners).
    pub async fn claim_domain(&self, access: &OrgAccess, raw: &str, by: &str) -> Result<ClaimView, ServiceError> {
        let domain = name_of(raw)?;
        match self.store.create_claim(access, &domain, by).await? {
            Ok(row) => {
                tracing::info!(%domain, org = %access.org_slug(), %by, "domain claimed");
                self.claim_view(row)
            }
            Err(ClaimRefusal::NotRegistered) => Err(ServiceError::invalid(
                "name",
                format!("{domain} is not registered: add it instead"),
            )),
            Err(ClaimRefusal::Own) => Err(ServiceError::invalid(
                "name",
                format!("{domain} is already registered in this organisation"),
            )),
            Err(ClaimRefusal::Proven) => Err(ServiceError::Conflict(format!(
                "{domain} is registered by an organisation that has proven control of it: it cannot be claimed"
            ))),
        }
    }

    pub async fn domain_claims(&self, access: &OrgAccess) -> Result<Vec<ClaimView>, ServiceError> {
        self.store
            .claims(access)
            .await?
            .into_iter()
            .map(|row| self.claim_view(row))
            .collect()
    }

    pub async fn withdraw_claim(&self, access: &OrgAccess, raw: &str) -> Result<(), ServiceError> {
        let domain = name_of(raw)?;
        match self.store.delete_claim(access, &domain).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// Looks for the claim's token in DNS; when found, the name moves to the claimant.
    pub async fn check_claim(&self, access: &OrgAccess, raw: &str) -> Result<ClaimCheck, ServiceError> {
        let checker = self.checker()?;
        let domain = name_of(raw)?;
        let claim = self.store.claim(access, &domain).await?.ok_or(ServiceError::NotFound)?;
        let token = ProofToken::parse(&claim.proof_token).map_err(|_| ServiceError::Internal)?;
        let proof = ProofCheck {
            token,
            zone: self.dns_config.zone.clone(),
            delegated: false,
            proven: false,
        };
        let findings = checker.proof_findings(&domain, &proof).await;
        let how = proven_by(&findings);
        let Some(how) = how else {
            return Ok(ClaimCheck::NotYet { findings });
        };
        let notice = format!(
            "{domain} was registered by your organisation but control of it was never proven. Another organisation proved control ({how}) and claimed it, so your registration, with its policies and reports, was released."
        );
        match self.store.release_to_claimant(access, &domain, how, &notice).await? {
            Some(released) => {
                tracing::info!(%domain, org = %access.org_slug(), from_org = released.from_org_id, how, "claim proven: registration released to the claimant");
                if let Err(e) = self.refresh_snapshot().await {
                    tracing::warn!(error = %e, "snapshot not refreshed after a claim; the periodic refresh will");
                }
                self.announce(Change::Policies).await;
                Ok(ClaimCheck::Released { how: how.to_string() })
            }
            None => Err(ServiceError::Conflict(format!(
                "{domain} can no longer be claimed: its registration was proven meanwhile, or deleted (then add it instead)"
            ))),
        }
    }

    /// Notices for the organisation (a registration released to a claimant), newest first.
    pub async fn org_notices(&self, access: &OrgAccess) -> Result<Vec<OrgNotice>, ServiceError> {
        let since = portcullis_store::now() - NOTICE_DAYS * 86_400;
        Ok(self.store.org_notices(access, since).await?)
    }
}
