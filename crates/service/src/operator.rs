//! The machine's operator: whoever runs `portcullis` commands beside the database. The operator
//! acts as owner of every organisation, so this capability is made from the [`Store`] itself:
//! the command line, which opens the database, holds one; the dashboard and the API are handed
//! a [`crate::Services`], which exposes no store and makes no operator.

use portcullis_domain::{DomainName, Email, OrgSlug};
use portcullis_store::{Org, OrgAccess, Store, User};

use crate::orgs::create_org;
use crate::ServiceError;

#[derive(Clone)]
pub struct Operator {
    store: Store,
}

impl Operator {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Owner access to every organisation.
    pub async fn accesses(&self) -> Result<Vec<OrgAccess>, ServiceError> {
        Ok(self.store.operator_accesses().await?)
    }

    /// Owner access to the organisation `slug`, if it exists.
    pub async fn access(&self, slug: &OrgSlug) -> Result<Option<OrgAccess>, ServiceError> {
        Ok(self.store.operator_access(slug).await?)
    }

    /// Owner access to the organisation that holds `domain` (names are unique platform-wide).
    pub async fn access_for_domain(&self, domain: &DomainName) -> Result<Option<OrgAccess>, ServiceError> {
        let accesses = self.accesses().await?;
        Ok(self
            .store
            .find_domain(&accesses, domain)
            .await?
            .map(|(access, _)| access))
    }

    /// Every organisation.
    pub async fn orgs(&self) -> Result<Vec<Org>, ServiceError> {
        Ok(self.store.all_orgs().await?)
    }

    pub async fn user(&self, email: &Email) -> Result<Option<User>, ServiceError> {
        Ok(self.store.user_by_email(email).await?)
    }

    /// Creates an organisation, optionally with a first owner.
    pub async fn create_org(&self, name: &str, owner: Option<&User>) -> Result<Org, ServiceError> {
        create_org(&self.store, name, owner).await
    }
}
