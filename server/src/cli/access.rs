//! How the command line reaches an organisation: with the operator's rights, by slug or through
//! one of its domains.

use anyhow::Context;
use portcullis_domain::{DomainName, OrgSlug};
use portcullis_service::{Operator, ServiceError};
use portcullis_store::OrgAccess;

/// The organisation that holds `domain`, with operator rights (names are unique platform-wide).
pub(super) async fn by_domain(operator: &Operator, domain: &str) -> anyhow::Result<OrgAccess> {
    let name = DomainName::parse(domain).map_err(|e| anyhow::anyhow!("{domain}: {e}"))?;
    operator
        .access_for_domain(&name)
        .await
        .map_err(fail)?
        .with_context(|| format!("no domain {name} is registered (see `portcullis domain list`)"))
}

/// The organisation `org` (its slug), with operator rights.
pub(super) async fn by_slug(operator: &Operator, org: &str) -> anyhow::Result<OrgAccess> {
    let slug = OrgSlug::parse(org).map_err(|e| anyhow::anyhow!("{e}"))?;
    operator
        .access(&slug)
        .await
        .map_err(fail)?
        .with_context(|| format!("no organisation {org:?} (see `portcullis org list`)"))
}

pub(super) fn fail(e: ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}
