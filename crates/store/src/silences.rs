//! Report rhythms and silences: the days each sender's reports cover, read for the alert pass
//! (every domain) and the domain page (one domain), and the silences noticed so far, each
//! recorded with its alert in one transaction.

use portcullis_domain::{DomainName, Role};

use crate::alerts::raise_in;
use crate::{OrgAccess, Store, StoreError};

/// A day (days since 1970-01-01, UTC) on which a report period of one sender for one domain
/// started.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportDay {
    pub domain_id: i64,
    pub domain: String,
    pub organization: String,
    pub day: i64,
}

impl Store {
    /// Every domain's report days from `from` (Unix seconds) on, platform-wide: for the alert
    /// pass. One row per domain, sender and day.
    pub async fn report_days(&self, from: i64) -> Result<Vec<ReportDay>, StoreError> {
        let sql = "SELECT r.domain_id, d.name AS domain, r.organization_name AS organization, \
                   CAST(r.start_at / 86400 AS BIGINT) AS day FROM tlsrpt_reports r \
                   JOIN domains d ON d.id = r.domain_id WHERE r.start_at >= $1 \
                   GROUP BY r.domain_id, d.name, r.organization_name, CAST(r.start_at / 86400 AS BIGINT)";
        Ok(on_pool!(self, |db| sqlx::query_as(sql).bind(from).fetch_all(db).await)?)
    }

    /// One domain's report days from `from` on: (sender, day, when its latest report of that
    /// day arrived).
    pub async fn domain_report_days(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        from: i64,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        access.require(Role::Viewer)?;
        let id = self.domain_id_in(access, domain).await?;
        let sql = "SELECT organization_name, CAST(start_at / 86400 AS BIGINT) AS day, \
                   CAST(MAX(received_at) AS BIGINT) FROM tlsrpt_reports \
                   WHERE domain_id = $1 AND start_at >= $2 \
                   GROUP BY organization_name, CAST(start_at / 86400 AS BIGINT)";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(id)
            .bind(from)
            .fetch_all(db)
            .await)?)
    }

    /// Records the silences (sender, or `""` for the domain as a whole, and first missed day) of
    /// one domain that are not recorded yet and, when any is, raises a `kind` alert whose detail
    /// `detail` writes from the new ones: both or neither. Returns the new ones.
    pub async fn notice_silences(
        &self,
        domain_id: i64,
        kind: &str,
        silences: &[(String, i64)],
        detail: impl FnOnce(&[(String, i64)]) -> String,
        at: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        if silences.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let sql = "INSERT INTO report_silences (domain_id, organization, since_day, noticed_at) \
                   VALUES ($1, $2, $3, $4) ON CONFLICT (domain_id, organization, since_day) DO NOTHING";
        let mut new = Vec::new();
        for (organization, since) in silences {
            let inserted = on_tx!(tx, |conn| sqlx::query(sql)
                .bind(domain_id)
                .bind(organization)
                .bind(since)
                .bind(at)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
            if inserted > 0 {
                new.push((organization.clone(), *since));
            }
        }
        if !new.is_empty() {
            raise_in(&mut tx, domain_id, kind, &detail(&new), at).await?;
        }
        tx.commit().await?;
        Ok(new)
    }
}
