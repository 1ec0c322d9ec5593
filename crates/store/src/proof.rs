//! Proof of control: which organisation may have a domain's policy served, its certificate
//! ordered and its reports attributed. A registration starts unproven with a random token; the
//! DNS check proves it (the delegation CNAMEs, or the token in a TXT record), or an operator
//! does from the command line. A name registered but never proven can be claimed by another
//! organisation, which proves control with a token of its own; the name then moves to it.

use crate::{now, OrgAccess, Store, StoreError};
use portcullis_domain::dns::DnsSetup;
use portcullis_domain::{DomainName, Role};

/// A proven domain and the token its delegated records are answered under.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProvenDomain {
    pub name: String,
    pub proof_token: String,
}

/// A new random proof token: 16 bytes as 32 hex digits.
pub fn new_proof_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Store {
    /// Every proven domain (what the snapshot serves).
    pub async fn proven_domains(&self) -> Result<Vec<ProvenDomain>, StoreError> {
        let sql = "SELECT name, proof_token FROM domains WHERE proven_at IS NOT NULL";
        Ok(on_pool!(self, |db| sqlx::query_as(sql).fetch_all(db).await)?)
    }

    /// Marks `name` proven (`how`: "delegation", "txt record", "operator"), if it is not yet,
    /// and says whether it was not. Platform-wide: the caller has checked the proof. `NotFound`
    /// when no such domain.
    pub async fn prove_domain(&self, name: &DomainName, how: &str) -> Result<(ProvenDomain, bool), StoreError> {
        let sql = "UPDATE domains SET proven_at = $2, proven_by = $3 WHERE name = $1 AND proven_at IS NULL";
        let newly = on_pool!(self, |db| sqlx::query(sql)
            .bind(name.as_str())
            .bind(now())
            .bind(how)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?
            == 1;
        let read = "SELECT name, proof_token FROM domains WHERE name = $1";
        let found: Option<ProvenDomain> = on_pool!(self, |db| sqlx::query_as(read)
            .bind(name.as_str())
            .fetch_optional(db)
            .await)?;
        Ok((found.ok_or(StoreError::NotFound)?, newly))
    }
}

impl Store {
    /// Records how the domain's records reach DNS (`delegated`, `manual` or `push`). Editors and
    /// owners only; `NotFound` outside the caller's organisation.
    pub async fn set_dns_setup(
        &self,
        access: &OrgAccess,
        name: &DomainName,
        setup: DnsSetup,
    ) -> Result<(), StoreError> {
        access.require(Role::Editor)?;
        let sql = "UPDATE domains SET dns_setup = $3 WHERE org_id = $1 AND name = $2";
        let n = on_pool!(self, |db| sqlx::query(sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .bind(setup.as_str())
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}
