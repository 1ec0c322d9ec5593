//! MX migration plans: what a domain's owners plan to add and retire. At most one plan per
//! domain is open (a unique index); its progress is read from the data, so only the plan itself
//! and how it ended are stored.

use portcullis_domain::{DomainName, Role};
use serde::{Deserialize, Serialize};

use crate::{now, OrgAccess, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxPlanRow {
    pub id: i64,
    pub add: Vec<String>,
    pub retire: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
}

fn lines(text: String) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).map(String::from).collect()
}

impl Store {
    /// Opens a plan for the domain; `Duplicate` while another is open. Editors and owners only.
    pub async fn create_mx_plan(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        add: &[String],
        retire: &[String],
        actor: &str,
    ) -> Result<MxPlanRow, StoreError> {
        access.require(Role::Editor)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let t = now();
        let sql = "INSERT INTO mx_plans (domain_id, add_hosts, retire_hosts, created_by, created_at) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let id: i64 = on_pool!(self, |db| sqlx::query_scalar(sql)
            .bind(domain_id)
            .bind(add.join("\n"))
            .bind(retire.join("\n"))
            .bind(actor)
            .bind(t)
            .fetch_one(db)
            .await)?;
        Ok(MxPlanRow {
            id,
            add: add.to_vec(),
            retire: retire.to_vec(),
            created_by: actor.to_string(),
            created_at: t,
        })
    }

    /// The domain's open plan, if any.
    pub async fn open_mx_plan(&self, access: &OrgAccess, domain: &DomainName) -> Result<Option<MxPlanRow>, StoreError> {
        let sql = "SELECT p.id, p.add_hosts, p.retire_hosts, p.created_by, p.created_at FROM mx_plans p \
                   JOIN domains d ON d.id = p.domain_id \
                   WHERE d.org_id = $1 AND d.name = $2 AND p.closed_at IS NULL";
        let row: Option<(i64, String, String, String, i64)> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .fetch_optional(db)
            .await)?;
        Ok(row.map(|(id, add, retire, created_by, created_at)| MxPlanRow {
            id,
            add: lines(add),
            retire: lines(retire),
            created_by,
            created_at,
        }))
    }

    /// Closes the domain's open plan as `outcome` (`completed` or `cancelled`); `NotFound` when
    /// none is open. Editors and owners only.
    pub async fn close_mx_plan(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        outcome: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        access.require(Role::Editor)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let sql = "UPDATE mx_plans SET closed_at = $2, closed_by = $3, outcome = $4 \
                   WHERE domain_id = $1 AND closed_at IS NULL";
        let n = on_pool!(self, |db| sqlx::query(sql)
            .bind(domain_id)
            .bind(now())
            .bind(actor)
            .bind(outcome)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
