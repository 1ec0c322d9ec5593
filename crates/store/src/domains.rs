use crate::{now, OrgAccess, Store, StoreError};
use portcullis_domain::{DomainName, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRow {
    pub name: String,
    pub org_slug: String,
    pub org_name: String,
    pub created_at: i64,
    /// Mode of the served policy; `None` until a policy is saved.
    pub mode: Option<String>,
    /// Status of the latest DNS check (ok, warning, error); `None` until checked.
    pub dns_status: Option<String>,
}

/// A page of the domains list across the organisations the caller may see.
#[derive(Debug, Clone, Default)]
pub struct DomainQuery {
    /// Substring of the A-label name (already lower case).
    pub search: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainPage {
    pub rows: Vec<DomainRow>,
    pub total: i64,
}

/// Outcome of one name in a bulk insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkInsert {
    Added,
    /// Already registered (in this organisation or another).
    Duplicate,
}

fn row_to_domain(r: &sqlx::any::AnyRow) -> Result<DomainRow, sqlx::Error> {
    Ok(DomainRow {
        name: r.try_get("name")?,
        org_slug: r.try_get("slug")?,
        org_name: r.try_get("org_name")?,
        created_at: r.try_get("created_at")?,
        mode: r.try_get("mode")?,
        dns_status: r.try_get("dns_status")?,
    })
}

const DOMAIN_COLUMNS: &str = "d.name, o.slug, o.name AS org_name, d.created_at, \
     (SELECT v.mode FROM policy_versions v WHERE v.domain_id = d.id ORDER BY v.id DESC LIMIT 1) AS mode, \
     (SELECT c.status FROM dns_checks c WHERE c.domain_id = d.id ORDER BY c.id DESC LIMIT 1) AS dns_status";

impl Store {
    /// Registers a domain in the organisation. Editors and owners only.
    pub async fn add_domain(&self, access: &OrgAccess, name: &DomainName) -> Result<DomainRow, StoreError> {
        access.require(Role::Editor)?;
        let t = now();
        sqlx::query("INSERT INTO domains (org_id, name, created_at) VALUES ($1, $2, $3)")
            .bind(access.org_id)
            .bind(name.as_str())
            .bind(t)
            .execute(&self.pool)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Duplicate(_) => StoreError::Duplicate(name.to_string()),
                other => other,
            })?;
        Ok(DomainRow {
            name: name.to_string(),
            org_slug: access.slug.clone(),
            org_name: access.name.clone(),
            created_at: t,
            mode: None,
            dns_status: None,
        })
    }

    /// Registers many domains in one transaction: each is added or reported as a duplicate, and
    /// on any database error nothing is added.
    pub async fn add_domains(&self, access: &OrgAccess, names: &[DomainName]) -> Result<Vec<BulkInsert>, StoreError> {
        access.require(Role::Editor)?;
        let t = now();
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            // ON CONFLICT DO NOTHING keeps the transaction usable on PostgreSQL after a duplicate.
            let n = sqlx::query(
                "INSERT INTO domains (org_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(access.org_id)
            .bind(name.as_str())
            .bind(t)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            out.push(if n == 1 {
                BulkInsert::Added
            } else {
                BulkInsert::Duplicate
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn domain(&self, access: &OrgAccess, name: &DomainName) -> Result<Option<DomainRow>, StoreError> {
        let sql = format!(
            "SELECT {DOMAIN_COLUMNS} FROM domains d JOIN orgs o ON o.id = d.org_id WHERE d.org_id = $1 AND d.name = $2"
        );
        let row = sqlx::query(&sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| row_to_domain(&r)).transpose()?)
    }

    /// Finds the domain among the organisations the caller may see.
    pub async fn find_domain(
        &self,
        accesses: &[OrgAccess],
        name: &DomainName,
    ) -> Result<Option<(OrgAccess, DomainRow)>, StoreError> {
        if accesses.is_empty() {
            return Ok(None);
        }
        let ids = placeholders(2, accesses.len());
        let sql = format!(
            "SELECT {DOMAIN_COLUMNS} FROM domains d JOIN orgs o ON o.id = d.org_id WHERE d.name = $1 AND d.org_id IN ({ids})"
        );
        let mut q = sqlx::query(&sql).bind(name.as_str());
        for a in accesses {
            q = q.bind(a.org_id);
        }
        let Some(row) = q.fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let domain = row_to_domain(&row)?;
        let access = accesses.iter().find(|a| a.slug == domain.org_slug).cloned();
        Ok(access.map(|a| (a, domain)))
    }

    /// Deletes a domain. Editors and owners only. `NotFound` if it is not in this organisation.
    pub async fn delete_domain(&self, access: &OrgAccess, name: &DomainName) -> Result<(), StoreError> {
        access.require(Role::Editor)?;
        let n = sqlx::query("DELETE FROM domains WHERE org_id = $1 AND name = $2")
            .bind(access.org_id)
            .bind(name.as_str())
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// One page of domains across the given organisations, sorted by name.
    pub async fn list_domains(&self, accesses: &[OrgAccess], query: &DomainQuery) -> Result<DomainPage, StoreError> {
        if accesses.is_empty() {
            return Ok(DomainPage { rows: vec![], total: 0 });
        }
        // Names hold only [a-z0-9.-], so anything else in the search cannot match: dropping it
        // also rules out LIKE wildcards from user input.
        let pattern = query.search.as_deref().map(|s| {
            let clean: String = s
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .collect();
            format!("%{clean}%")
        });
        let ids = placeholders(2, accesses.len());
        let filter = format!("d.org_id IN ({ids}) AND d.name LIKE $1");
        let count_sql = format!("SELECT COUNT(*) AS n FROM domains d WHERE {filter}");
        let n_params = accesses.len() + 1;
        let page_sql = format!(
            "SELECT {DOMAIN_COLUMNS} FROM domains d JOIN orgs o ON o.id = d.org_id WHERE {filter} \
             ORDER BY d.name LIMIT ${} OFFSET ${}",
            n_params + 1,
            n_params + 2
        );
        let pattern = pattern.unwrap_or_else(|| "%".into());
        let mut count = sqlx::query(&count_sql).bind(&pattern);
        let mut page = sqlx::query(&page_sql).bind(&pattern);
        for a in accesses {
            count = count.bind(a.org_id);
            page = page.bind(a.org_id);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get("n")?;
        let rows = page
            .bind(query.limit.clamp(1, 500))
            .bind(query.offset.max(0))
            .fetch_all(&self.pool)
            .await?;
        let rows = rows.iter().map(row_to_domain).collect::<Result<_, _>>()?;
        Ok(DomainPage { rows, total })
    }
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Platform-wide count, for metrics only.
    pub async fn count_domains(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM domains")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}
