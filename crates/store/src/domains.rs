use crate::{new_proof_token, now, OrgAccess, Store, StoreError};
use portcullis_domain::models::{DomainPage, DomainRow};
use portcullis_domain::{DomainName, Role};
use sqlx::QueryBuilder;

/// A page of the domains list across the organisations the caller may see.
#[derive(Debug, Clone, Default)]
pub struct DomainQuery {
    /// Substring of the A-label name (already lower case).
    pub search: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// Outcome of one name in a bulk insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkInsert {
    Added,
    /// Already registered (in this organisation or another).
    Duplicate,
}

const DOMAIN_COLUMNS: &str = "d.name, o.slug AS org_slug, o.name AS org_name, d.created_at, \
     (SELECT v.mode FROM policy_versions v WHERE v.domain_id = d.id ORDER BY v.id DESC LIMIT 1) AS mode, \
     (SELECT c.status FROM dns_checks c WHERE c.domain_id = d.id ORDER BY c.id DESC LIMIT 1) AS dns_status, \
     d.proven_at, d.proven_by, d.proof_token, d.dns_setup";

impl Store {
    /// Registers a domain in the organisation. Editors and owners only.
    pub async fn add_domain(&self, access: &OrgAccess, name: &DomainName) -> Result<DomainRow, StoreError> {
        access.require(Role::Editor)?;
        let t = now();
        let token = new_proof_token();
        let sql = "INSERT INTO domains (org_id, name, created_at, proof_token) VALUES ($1, $2, $3, $4)";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .bind(t)
            .bind(&token)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))
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
            proven_at: None,
            proven_by: None,
            proof_token: token,
            dns_setup: "manual".into(),
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
            let sql = "INSERT INTO domains (org_id, name, created_at, proof_token) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (name) DO NOTHING";
            let n = on_tx!(tx, |conn| sqlx::query(sql)
                .bind(access.org_id)
                .bind(name.as_str())
                .bind(t)
                .bind(new_proof_token())
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
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
        Ok(on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .fetch_optional(db)
            .await)?)
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
        let select = format!("SELECT {DOMAIN_COLUMNS} FROM domains d JOIN orgs o ON o.id = d.org_id WHERE d.name = ");
        let found: Option<DomainRow> = on_pool!(self, |db| {
            let mut query = QueryBuilder::new(&select);
            query.push_bind(name.as_str()).push(" AND d.org_id IN (");
            let mut ids = query.separated(", ");
            for a in accesses {
                ids.push_bind(a.org_id);
            }
            query.push(")").build_query_as().fetch_optional(db).await
        })?;
        let Some(domain) = found else {
            return Ok(None);
        };
        let access = accesses.iter().find(|a| a.slug == domain.org_slug).cloned();
        Ok(access.map(|a| (a, domain)))
    }

    /// Deletes a domain. Editors and owners only. `NotFound` if it is not in this organisation.
    pub async fn delete_domain(&self, access: &OrgAccess, name: &DomainName) -> Result<(), StoreError> {
        access.require(Role::Editor)?;
        let sql = "DELETE FROM domains WHERE org_id = $1 AND name = $2";
        let n = on_pool!(self, |db| sqlx::query(sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
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
        let pattern = pattern.unwrap_or_else(|| "%".into());
        let (limit, offset) = (query.limit.clamp(1, 500), query.offset.max(0));
        let columns = format!("SELECT {DOMAIN_COLUMNS} FROM domains d JOIN orgs o ON o.id = d.org_id");
        let (total, rows) = on_pool!(self, |db| {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM domains d");
            push_filter(&mut count, accesses, &pattern);
            let total: i64 = count.build_query_scalar().fetch_one(db).await?;
            let mut page = QueryBuilder::new(&columns);
            push_filter(&mut page, accesses, &pattern);
            page.push(" ORDER BY d.name LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset);
            let rows: Vec<DomainRow> = page.build_query_as().fetch_all(db).await?;
            Ok::<_, sqlx::Error>((total, rows))
        })?;
        Ok(DomainPage { rows, total })
    }
}

impl Store {
    /// Platform-wide count, for metrics only.
    pub async fn count_domains(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM domains";
        Ok(on_pool!(self, |db| sqlx::query_scalar(sql).fetch_one(db).await)?)
    }
}

/// The list's filter, the same for its count and its page: names matching `pattern` in the
/// organisations of `accesses` (never empty).
fn push_filter<'a, DB: sqlx::Database>(query: &mut QueryBuilder<'a, DB>, accesses: &'a [OrgAccess], pattern: &'a str)
where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    query
        .push(" WHERE d.name LIKE ")
        .push_bind(pattern)
        .push(" AND d.org_id IN (");
    let mut ids = query.separated(", ");
    for a in accesses {
        ids.push_bind(a.org_id);
    }
    query.push(")");
}
