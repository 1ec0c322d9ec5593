//! The tenant-scoped reads of stored reports: the list, one report with its policies and
//! failure details, its raw JSON, and totals.

use portcullis_domain::models::{FailureRow, PolicyRow, ReportDetail, ReportRow, ReportTotals, ResendRow};
use std::collections::HashMap;

use portcullis_domain::DomainName;
use serde::{Deserialize, Serialize};

use crate::{OrgAccess, Store, StoreError};

/// How the report list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSort {
    Period,
    Received,
    Organization,
    Failed,
    Successful,
}

impl ReportSort {
    pub const ALL: [ReportSort; 5] = [
        Self::Period,
        Self::Received,
        Self::Organization,
        Self::Failed,
        Self::Successful,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Period => "period",
            Self::Received => "received",
            Self::Organization => "organization",
            Self::Failed => "failed",
            Self::Successful => "successful",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn column(self) -> &'static str {
        match self {
            Self::Period => "r.start_at",
            Self::Received => "r.received_at",
            Self::Organization => "r.organization_name",
            Self::Failed => "r.failed",
            Self::Successful => "r.successful",
        }
    }
}

const REPORT_COLUMNS: &str = "r.id, d.name AS domain, r.organization_name, r.report_id, r.contact_info, \
    r.start_at, r.end_at, r.successful, r.failed, r.channel, r.submitter, r.received_at, r.arrival, r.dkim_domain, \
    (SELECT COUNT(*) FROM tlsrpt_report_resends x WHERE x.domain_id = r.domain_id \
     AND x.organization_name = r.organization_name AND x.report_id = r.report_id) AS resends";

impl Store {
    /// The domain's reports, newest period first.
    pub async fn tlsrpt_reports(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ReportRow>, StoreError> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE d.org_id = $1 AND d.name = $2 ORDER BY r.start_at DESC, r.id DESC LIMIT $3 OFFSET $4"
        );
        Ok(on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .bind(limit.clamp(1, 1000))
            .bind(offset.max(0))
            .fetch_all(db)
            .await)?)
    }

    /// A page of the domain's reports in the given order (ties broken by newest first), and how
    /// many there are in all.
    pub async fn tlsrpt_report_page(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        sort: ReportSort,
        descending: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ReportRow>, i64), StoreError> {
        let domain_id = self.domain_id_in(access, domain).await?;
        let direction = if descending { "DESC" } else { "ASC" };
        let page = format!(
            "SELECT {REPORT_COLUMNS} FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE r.domain_id = $1 ORDER BY {} {direction}, r.id DESC LIMIT $2 OFFSET $3",
            sort.column()
        );
        let count = "SELECT COUNT(*) FROM tlsrpt_reports WHERE domain_id = $1";
        Ok(on_pool!(self, |db| {
            let rows = sqlx::query_as(&page)
                .bind(domain_id)
                .bind(limit.clamp(1, 1000))
                .bind(offset.max(0))
                .fetch_all(db)
                .await?;
            let total = sqlx::query_scalar(count).bind(domain_id).fetch_one(db).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// Totals over all of the domain's reports.
    pub async fn tlsrpt_totals(&self, access: &OrgAccess, domain: &DomainName) -> Result<ReportTotals, StoreError> {
        let sql = "SELECT COUNT(r.id) AS reports, CAST(COALESCE(SUM(r.successful), 0) AS BIGINT) AS successful, \
                   CAST(COALESCE(SUM(r.failed), 0) AS BIGINT) AS failed, \
                   (SELECT COUNT(*) FROM tlsrpt_failures f WHERE f.domain_id = d.id) AS failure_rows \
                   FROM domains d LEFT JOIN tlsrpt_reports r ON r.domain_id = d.id \
                   WHERE d.org_id = $1 AND d.name = $2 GROUP BY d.id";
        let totals: Option<ReportTotals> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .fetch_optional(db)
            .await)?;
        totals.ok_or(StoreError::NotFound)
    }

    /// One report with its policies and failure details, if it belongs to the organisation.
    pub async fn tlsrpt_report(&self, access: &OrgAccess, id: i64) -> Result<ReportDetail, StoreError> {
        let report = format!(
            "SELECT {REPORT_COLUMNS} FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE d.org_id = $1 AND r.id = $2"
        );
        let policies = "SELECT id, policy_type, policy_domain, policy_string, mx_hosts, successful, failed \
                        FROM tlsrpt_policies WHERE report_row = $1 ORDER BY position";
        let failures = "SELECT policy_row, result_type, sending_ip, receiving_mx, receiving_helo, receiving_ip, \
                        failed, reason_code, additional_info FROM tlsrpt_failures \
                        WHERE policy_row IN (SELECT id FROM tlsrpt_policies WHERE report_row = $1) ORDER BY id";
        let report: Option<ReportRow> = on_pool!(self, |db| sqlx::query_as(&report)
            .bind(access.org_id)
            .bind(id)
            .fetch_optional(db)
            .await)?;
        let report = report.ok_or(StoreError::NotFound)?;
        // Read only once the report is known to be the organisation's.
        let (policy_rows, failure_rows): (Vec<StoredPolicy>, Vec<StoredFailure>) = on_pool!(self, |db| {
            let policies = sqlx::query_as(policies).bind(id).fetch_all(db).await?;
            let failures = sqlx::query_as(failures).bind(id).fetch_all(db).await?;
            Ok::<_, sqlx::Error>((policies, failures))
        })?;
        let mut failures: HashMap<i64, Vec<FailureRow>> = HashMap::new();
        for f in failure_rows {
            failures.entry(f.policy_row).or_default().push(f.detail);
        }
        let strings = |column: &str, text: &str| -> Result<Vec<String>, StoreError> {
            serde_json::from_str(text).map_err(|e| StoreError::Invalid(format!("{column}: {e}")))
        };
        let mut policies = Vec::with_capacity(policy_rows.len());
        for p in policy_rows {
            policies.push(PolicyRow {
                policy_string: strings("policy_string", &p.policy_string)?,
                mx_hosts: strings("mx_hosts", &p.mx_hosts)?,
                policy_type: p.policy_type,
                policy_domain: p.policy_domain,
                successful: p.successful,
                failed: p.failed,
                failures: failures.remove(&p.id).unwrap_or_default(),
            });
        }
        let sql = "SELECT id, received_at, channel, arrival, dkim_domain FROM tlsrpt_report_resends \
                   WHERE domain_id = (SELECT domain_id FROM tlsrpt_reports WHERE id = $1) \
                   AND organization_name = $2 AND report_id = $3 ORDER BY id";
        let resends: Vec<ResendRow> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(id)
            .bind(&report.organization_name)
            .bind(&report.report_id)
            .fetch_all(db)
            .await)?;
        Ok(ReportDetail {
            report,
            policies,
            resends,
        })
    }

    /// The stored gzip of a report's JSON, if it belongs to the organisation.
    pub async fn tlsrpt_raw(&self, access: &OrgAccess, id: i64) -> Result<Vec<u8>, StoreError> {
        let sql = "SELECT r.raw_gzip FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
                   WHERE d.org_id = $1 AND r.id = $2";
        let raw: Option<Vec<u8>> = on_pool!(self, |db| sqlx::query_scalar(sql)
            .bind(access.org_id)
            .bind(id)
            .fetch_optional(db)
            .await)?;
        raw.ok_or(StoreError::NotFound)
    }
}

/// A stored policy block as read back; its lists are JSON text.
#[derive(sqlx::FromRow)]
struct StoredPolicy {
    id: i64,
    policy_type: String,
    policy_domain: Option<String>,
    policy_string: String,
    mx_hosts: String,
    successful: i64,
    failed: i64,
}

/// A failure detail and the policy block it belongs to.
#[derive(sqlx::FromRow)]
struct StoredFailure {
    policy_row: i64,
    #[sqlx(flatten)]
    detail: FailureRow,
}
