//! Registering, listing, viewing and deleting domains.

use crate::{ServiceError, Services};
use portcullis_domain::{parse_bulk, BulkEntry, BulkOutcome, BulkReport, BulkResultLine, DomainName, MAX_BULK_LINES};
use portcullis_store::{BulkInsert, DomainPage, DomainQuery, DomainRow, OrgAccess, User};

pub const DOMAINS_PAGE_SIZE: i64 = 50;

pub fn parse_domain(raw: &str) -> Result<DomainName, ServiceError> {
    DomainName::parse(raw).map_err(|e| ServiceError::invalid("name", e))
}

impl Services {
    pub async fn add_domain(&self, access: &OrgAccess, raw: &str) -> Result<DomainRow, ServiceError> {
        let name = parse_domain(raw)?;
        self.store
            .add_domain(access, &name)
            .await
            .map_err(|e| match ServiceError::from(e) {
                ServiceError::Conflict(_) => ServiceError::Conflict(format!(
                    "{name} is already registered in Portcullis. If the domain is yours, claim it: you prove control with a token of your own, and a registration that was never proven is then released to you"
                )),
                other => other,
            })
    }

    /// Adds every valid, new name from a pasted list or CSV in one transaction and reports each
    /// line: added, duplicate (already registered or repeated in the input) or invalid.
    pub async fn bulk_add_domains(&self, access: &OrgAccess, text: &str) -> Result<BulkReport, ServiceError> {
        let lines = parse_bulk(text)
            .map_err(|max| ServiceError::invalid("text", format!("at most {max} lines at once; split the list")))?;
        if lines.is_empty() {
            return Err(ServiceError::invalid(
                "text",
                "paste at least one domain name, one per line",
            ));
        }
        debug_assert!(lines.len() <= MAX_BULK_LINES);
        let to_insert: Vec<DomainName> = lines
            .iter()
            .filter_map(|l| match &l.entry {
                BulkEntry::Valid(name) => Some(name.clone()),
                _ => None,
            })
            .collect();
        let mut inserted = self.store.add_domains(access, &to_insert).await?.into_iter();
        let mut report = BulkReport::default();
        for l in lines {
            let (name, outcome) = match l.entry {
                BulkEntry::Valid(name) => {
                    let outcome = match inserted.next() {
                        Some(BulkInsert::Added) => BulkOutcome::Added,
                        _ => BulkOutcome::Duplicate("already registered".into()),
                    };
                    (Some(name.to_string()), outcome)
                }
                BulkEntry::RepeatedInInput { first_line } => {
                    (None, BulkOutcome::Duplicate(format!("repeats line {first_line}")))
                }
                BulkEntry::Invalid(reason) => (None, BulkOutcome::Invalid(reason)),
            };
            match outcome {
                BulkOutcome::Added => report.added += 1,
                BulkOutcome::Duplicate(_) => report.duplicates += 1,
                BulkOutcome::Invalid(_) => report.invalid += 1,
            }
            report.lines.push(BulkResultLine {
                line: l.line,
                input: l.input,
                name,
                outcome,
            });
        }
        Ok(report)
    }

    /// A page of the domains the user can see, optionally limited to one organisation.
    pub async fn list_domains(
        &self,
        user: &User,
        org: Option<&str>,
        search: Option<&str>,
        page: i64,
    ) -> Result<DomainPage, ServiceError> {
        let accesses = match org.filter(|s| !s.is_empty()) {
            Some(slug) => vec![self.org_access(user, slug).await?],
            None => self.store.accesses_for_user(user).await?,
        };
        self.list_domains_in(&accesses, search, page).await
    }

    pub async fn list_domains_in(
        &self,
        accesses: &[OrgAccess],
        search: Option<&str>,
        page: i64,
    ) -> Result<DomainPage, ServiceError> {
        let query = DomainQuery {
            search: search.map(str::trim).filter(|s| !s.is_empty()).map(search_key),
            offset: (page.max(1) - 1) * DOMAINS_PAGE_SIZE,
            limit: DOMAINS_PAGE_SIZE,
        };
        Ok(self.store.list_domains(accesses, &query).await?)
    }

    /// A domain the user can see, with the access of the organisation that holds it.
    pub async fn domain_for_user(&self, user: &User, raw: &str) -> Result<(OrgAccess, DomainRow), ServiceError> {
        let name = DomainName::parse(raw).map_err(|_| ServiceError::NotFound)?;
        let accesses = self.store.accesses_for_user(user).await?;
        self.store
            .find_domain(&accesses, &name)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    pub async fn domain_in(&self, access: &OrgAccess, raw: &str) -> Result<DomainRow, ServiceError> {
        let name = DomainName::parse(raw).map_err(|_| ServiceError::NotFound)?;
        self.store.domain(access, &name).await?.ok_or(ServiceError::NotFound)
    }

    /// Deletes a domain that serves no policy. One that does must be removed first (the
    /// transition to `none`, served for the old max_age): deleting it outright would make an
    /// enforced policy vanish from under senders that cached it, with its history.
    pub async fn delete_domain(&self, access: &OrgAccess, raw: &str) -> Result<(), ServiceError> {
        let name = DomainName::parse(raw).map_err(|_| ServiceError::NotFound)?;
        self.store.domain(access, &name).await?.ok_or(ServiceError::NotFound)?;
        match self.served_mode(access, name.as_str()).await? {
            crate::lifecycle::UNCONFIGURED => {}
            "none" => {
                return Err(ServiceError::Conflict(format!(
                    "{name} is still serving \"mode: none\" to replace cached policies; delete it once the removal has finished"
                )))
            }
            mode => {
                return Err(ServiceError::Conflict(format!(
                    "{name} serves an MTA-STS policy in {mode} mode: remove MTA-STS first (it serves \"mode: none\" for the policy's max_age), then delete the domain"
                )))
            }
        }
        self.store.delete_domain(access, &name).await?;
        self.snapshot.remove(name.as_str());
        self.announce(portcullis_store::Change::Policies).await;
        Ok(())
    }
}

/// Search input may be Unicode: match on its A-label form when it parses as a name.
fn search_key(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        DomainName::parse(s)
            .map(|n| n.to_string())
            .unwrap_or_else(|_| s.to_lowercase())
    }
}
