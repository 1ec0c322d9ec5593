//! How the command line reaches an organisation: with operator rights, by slug or through one
//! of its domains.

use anyhow::Context;
use portcullis_domain::{DomainName, OrgSlug};
use portcullis_service::{ServiceError, Services};
use portcullis_store::OrgAccess;

/// The organisation that holds `domain`, with operator rights (names are unique platform-wide).
pub(super) async fn by_domain(services: &Services, domain: &str) -> anyhow::Result<OrgAccess> {
    let name = DomainName::parse(domain).map_err(|e| anyhow::anyhow!("{domain}: {e}"))?;
    let accesses = services.store.operator_accesses().await?;
    let (access, _) = services
        .store
        .find_domain(&accesses, &name)
        .await?
        .with_context(|| format!("no domain {name} is registered (see `portcullis domain list`)"))?;
    Ok(access)
}

/// The organisation `org` (its slug), with operator rights.
pub(super) async fn by_slug(services: &Services, org: &str) -> anyhow::Result<OrgAccess> {
    let slug = OrgSlug::parse(org).map_err(|e| anyhow::anyhow!("{e}"))?;
    services
        .store
        .operator_access(&slug)
        .await?
        .with_context(|| format!("no organisation {org:?} (see `portcullis org list`)"))
}

pub(super) fn fail(e: ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}
