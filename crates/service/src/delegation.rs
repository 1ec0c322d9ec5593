//! How a domain's records reach DNS, chosen per domain: delegation to this server's zone
//! (recommended where the server runs one), by hand, or pushed to the owner's DNS server. With
//! delegation verified, or push, nobody has to publish a new policy id by hand any more.

use crate::policies::name_of;
use crate::{CheckRun, ServiceError, Services};
use portcullis_domain::dns::{DnsSetup, FindingCode};
use portcullis_domain::DomainName;
use portcullis_store::{DomainRow, OrgAccess};
use serde::{Deserialize, Serialize};

/// Whether a new policy id reaches DNS by itself, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdPublishing {
    pub setup: DnsSetup,
    /// True when the owner has nothing to publish after a policy change: the delegation CNAMEs
    /// were seen by the latest check, or Portcullis pushes the record.
    pub automatic: bool,
}

impl IdPublishing {
    /// For hand-published domains (and anything unreadable): the owner publishes each id.
    pub const MANUAL: IdPublishing = IdPublishing {
        setup: DnsSetup::Manual,
        automatic: false,
    };
}

impl IdPublishing {
    /// From the setup and the latest check: delegation counts once that check found all three
    /// CNAMEs in place.
    pub(crate) fn of(setup: DnsSetup, latest: Option<&CheckRun>) -> Self {
        let automatic = match setup {
            DnsSetup::Manual => false,
            DnsSetup::Push => true,
            DnsSetup::Delegated => latest.is_some_and(|run| {
                run.findings
                    .iter()
                    .any(|f| FindingCode::parse(&f.code) == Some(FindingCode::DelegationOk))
            }),
        };
        Self { setup, automatic }
    }
}

impl Services {
    /// Chooses how the domain's records reach DNS. Delegation needs this server's DNS zone;
    /// push needs the organisation's push settings.
    pub async fn set_dns_setup(
        &self,
        access: &OrgAccess,
        raw: &str,
        raw_setup: &str,
    ) -> Result<DomainRow, ServiceError> {
        let domain = name_of(raw)?;
        let setup = DnsSetup::parse(raw_setup).map_err(|e| ServiceError::Invalid {
            field: "setup",
            message: e.to_string(),
        })?;
        if setup == DnsSetup::Delegated && self.dns_config.zone.is_none() {
            return Err(ServiceError::Invalid {
                field: "setup",
                message: "this server runs no DNS zone (PORTCULLIS_DNS_ZONE), so it cannot answer delegated records"
                    .into(),
            });
        }
        if setup == DnsSetup::Push && self.store.push_settings(access).await?.is_none() {
            return Err(ServiceError::Invalid {
                field: "setup",
                message: "set up the organisation's DNS push settings first (server, zone and TSIG key)".into(),
            });
        }
        self.store.set_dns_setup(access, &domain, setup).await?;
        self.store.domain(access, &domain).await?.ok_or(ServiceError::NotFound)
    }

    /// Whether the owner must publish a new id after a policy change on `domain`.
    pub async fn id_publishing(&self, access: &OrgAccess, raw: &str) -> IdPublishing {
        let Ok(domain) = DomainName::parse(raw) else {
            return IdPublishing::MANUAL;
        };
        let domain = &domain;
        let found = match self.store.domain(access, domain).await {
            Ok(Some(row)) => row,
            _ => return IdPublishing::MANUAL,
        };
        let setup = DnsSetup::parse(&found.dns_setup).unwrap_or(DnsSetup::Manual);
        let latest = match setup {
            DnsSetup::Delegated => self.latest_check(access, domain).await.ok().flatten(),
            _ => None,
        };
        IdPublishing::of(setup, latest.as_ref())
    }

    /// What the owner does in DNS after the policy got id `id`, in a sentence: nothing with
    /// delegation in place, nothing after a push that worked, else the record to publish.
    pub async fn id_next_step(&self, access: &OrgAccess, raw: &str, id: &str) -> String {
        let publishing = self.id_publishing(access, raw).await;
        let record = format!("_mta-sts.{raw} TXT \"v=STSv1; id={id}\"");
        let manual = format!(
            "Senders fetch the new policy only after you publish its id: now publish {record} and check the DNS."
        );
        match (publishing.setup, publishing.automatic) {
            (DnsSetup::Delegated, true) => {
                "Nothing to publish: this server already answers the new id for the delegated _mta-sts record.".into()
            }
            (DnsSetup::Push, _) => {
                let status = match DomainName::parse(raw) {
                    Ok(domain) => self.push_status(access, &domain).await.ok(),
                    Err(_) => None,
                };
                match status {
                    Some(p) if p.pushed_id.as_deref() == Some(id) && p.error.is_none() => {
                        "Nothing to publish: the new id was pushed to your DNS server.".into()
                    }
                    Some(p) if p.error.is_some() => format!(
                        "The push of the new id to your DNS server failed ({}): fix the push settings and push again, or publish {record} by hand.",
                        p.error.unwrap_or_default(),
                    ),
                    _ => manual,
                }
            }
            _ => manual,
        }
    }
}
