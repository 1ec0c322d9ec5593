//! Read-only share links for clients: owners create and revoke them; anyone holding a live one
//! reads what it opens (one domain, or every domain of the organisation) through a viewer's
//! access to that organisation and nothing else.

use portcullis_domain::Role;
use portcullis_store::{OrgAccess, ShareLink};
use serde::{Deserialize, Serialize};

use crate::domains::parse_domain;
use crate::{ServiceError, Services};

/// The longest a link may live: a year.
pub const MAX_SHARE_DAYS: i64 = 366;
/// Longest label kept.
const MAX_LABEL: usize = 100;

/// When a new link stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareExpiry {
    /// This many days from now (1 to [`MAX_SHARE_DAYS`]).
    Days(i64),
    /// At this Unix time (in the next [`MAX_SHARE_DAYS`] days).
    At(i64),
}

/// What a live link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    /// A viewer's access to the link's organisation: everything shown is read through it.
    pub access: OrgAccess,
    /// The domain to show: the link's one domain, or the one asked for within an
    /// organisation's link; `None` for the organisation's list.
    pub domain: Option<String>,
    /// The link is limited to that one domain (no list to go back to).
    pub single: bool,
    pub expires_at: i64,
}

/// A link as the API and the owners' list show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLinkView {
    #[serde(flatten)]
    pub link: ShareLink,
    pub live: bool,
}

impl Services {
    /// Creates a link to `domain` (or, when empty, the whole organisation) that expires as
    /// `expires` says. Owners only. Returns the token, shown once.
    pub async fn create_share_link(
        &self,
        access: &OrgAccess,
        domain: Option<&str>,
        label: &str,
        expires: ShareExpiry,
        actor: &str,
    ) -> Result<(String, ShareLink), ServiceError> {
        if !access.role().allows(Role::Owner) {
            return Err(ServiceError::Forbidden);
        }
        let now = portcullis_store::now();
        let expires_at = match expires {
            ShareExpiry::Days(days) if (1..=MAX_SHARE_DAYS).contains(&days) => now + days * 86_400,
            ShareExpiry::Days(days) => {
                return Err(ServiceError::invalid(
                    "days",
                    format!("{days} is not between 1 and {MAX_SHARE_DAYS}"),
                ))
            }
            ShareExpiry::At(at) => at,
        };
        if expires_at <= now {
            return Err(ServiceError::invalid("expires", "the expiry must be in the future"));
        }
        if expires_at > now + MAX_SHARE_DAYS * 86_400 {
            return Err(ServiceError::invalid(
                "expires",
                format!("a link lives at most {MAX_SHARE_DAYS} days"),
            ));
        }
        let label = label.trim();
        if label.chars().count() > MAX_LABEL {
            return Err(ServiceError::invalid(
                "label",
                format!("at most {MAX_LABEL} characters"),
            ));
        }
        let domain = match domain.map(str::trim).filter(|d| !d.is_empty()) {
            Some(raw) => Some(parse_domain(raw)?),
            None => None,
        };
        let created = self
            .store
            .create_share_link(access, domain.as_ref(), label, actor, expires_at)
            .await
            .map_err(|e| match e {
                portcullis_store::StoreError::NotFound => {
                    ServiceError::invalid("domain", "no such domain in this organisation")
                }
                other => other.into(),
            })?;
        Ok(created)
    }

    /// The organisation's links, newest first, each marked live or not. Owners only.
    pub async fn share_links(&self, access: &OrgAccess) -> Result<Vec<ShareLinkView>, ServiceError> {
        let now = portcullis_store::now();
        Ok(self
            .store
            .share_links(access)
            .await?
            .into_iter()
            .map(|link| ShareLinkView {
                live: link.is_live(now),
                link,
            })
            .collect())
    }

    pub async fn revoke_share_link(&self, access: &OrgAccess, id: i64) -> Result<(), ServiceError> {
        Ok(self.store.revoke_share_link(access, id).await?)
    }

    /// What a link opens now, and, with `name`, that one domain of an organisation's link (a
    /// one-domain link has no other page). Unknown, expired and revoked links, and names
    /// outside the link, are all [`ServiceError::NotFound`]: a holder learns nothing by guessing.
    pub async fn open_share(&self, token: &str, name: Option<&str>) -> Result<Shared, ServiceError> {
        if token.len() > 200 {
            return Err(ServiceError::NotFound);
        }
        let found = self
            .store
            .share_access(token, portcullis_store::now())
            .await?
            .ok_or(ServiceError::NotFound)?;
        let single = found.domain.is_some();
        let domain = match (name, found.domain) {
            (None, limited) => limited,
            (Some(_), Some(_)) => return Err(ServiceError::NotFound),
            (Some(raw), None) => {
                // Only a domain of the link's own organisation.
                let row = self
                    .domain_in(&found.access, raw)
                    .await
                    .map_err(|_| ServiceError::NotFound)?;
                Some(row.name)
            }
        };
        Ok(Shared {
            access: found.access,
            domain,
            single,
            expires_at: found.expires_at,
        })
    }
}

/// Days of reports a share page shows.
pub const SHARED_DAYS: i64 = 30;

/// One domain of an organisation's link, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedDomainSummary {
    pub name: String,
    pub mode: Option<String>,
    pub dns_status: Option<String>,
    /// Over the last [`SHARED_DAYS`] days.
    pub successful: i64,
    pub failed: i64,
    pub reports: i64,
}

impl Services {
    /// Every domain of the link's organisation with its mode, DNS status and the last
    /// [`SHARED_DAYS`] days of report totals, by name.
    pub async fn shared_domains(&self, access: &OrgAccess) -> Result<Vec<SharedDomainSummary>, ServiceError> {
        let mut rows = Vec::new();
        let mut page = 1;
        loop {
            let found = self.list_domains_in(std::slice::from_ref(access), None, page).await?;
            rows.extend(found.rows);
            if page * crate::DOMAINS_PAGE_SIZE >= found.total {
                break;
            }
            page += 1;
        }
        let today = portcullis_store::now().div_euclid(86_400) * 86_400;
        let start = today - (SHARED_DAYS - 1) * 86_400;
        let trends = self.store.tlsrpt_org_trends(access, start, today + 86_400).await?;
        let mut out: Vec<SharedDomainSummary> = rows
            .into_iter()
            .map(|d| {
                let t = trends.iter().find(|t| t.domain == d.name);
                SharedDomainSummary {
                    successful: t.map_or(0, |t| t.successful),
                    failed: t.map_or(0, |t| t.failed),
                    reports: t.map_or(0, |t| t.reports),
                    name: d.name,
                    mode: d.mode,
                    dns_status: d.dns_status,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}
