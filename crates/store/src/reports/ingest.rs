//! TLS-RPT reports: ingestion (platform-wide for senders, organisation-scoped for uploads) and the
//! tenant-scoped reads. A report is acknowledged only after `ingest_*` returns, that is after
//! its transaction committed, so a crash either keeps it or makes the sender send it again.

use std::collections::{BTreeMap, HashMap};

use portcullis_domain::tlsrpt::{split_by_domain, Extra, FailureDetail, PolicyResult, Report};
use portcullis_domain::{DomainName, Role};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use crate::{Backend, OrgAccess, Store, StoreError};

/// Failure rows per multi-row INSERT: 14 parameters each stays far below both backends' limits.
const FAILURES_PER_INSERT: usize = 100;

/// Where a report may be attributed: anywhere (senders, the admin's CLI import) or only to the
/// domains of one organisation (a member's upload).
#[derive(Debug, Clone, Copy)]
pub enum IngestScope<'a> {
    Platform,
    Org(&'a OrgAccess),
}

/// A parsed report ready to store.
#[derive(Debug, Clone, Copy)]
pub struct NewReport<'a> {
    pub report: &'a Report,
    /// The report's JSON, gzip-compressed.
    pub raw_gzip: &'a [u8],
    /// https | smtp | upload | import
    pub channel: &'a str,
    pub submitter: Option<&'a str>,
    /// The domain a mail header or file name says the report is about.
    pub hint_domain: Option<&'a str>,
    pub received_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredShare {
    pub domain: String,
    /// False when this report was already stored for this domain.
    pub new: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOutcome {
    pub stored: Vec<StoredShare>,
    /// Domains the report covers that are not registered here (or not in the uploader's
    /// organisation); their policies are not stored.
    pub unregistered: Vec<String>,
    /// Policies that name no domain and could not be placed.
    pub unplaced_policies: usize,
}

impl IngestOutcome {
    /// Stored for at least one domain.
    pub fn accepted(&self) -> bool {
        !self.stored.is_empty()
    }

    /// New for at least one domain (HTTP 201 rather than 200).
    pub fn is_new(&self) -> bool {
        self.stored.iter().any(|s| s.new)
    }
}

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

/// One stored report, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    pub id: i64,
    pub domain: String,
    pub organization_name: String,
    pub report_id: String,
    pub contact_info: Option<String>,
    pub start_at: i64,
    pub end_at: i64,
    pub successful: i64,
    pub failed: i64,
    pub channel: String,
    pub submitter: Option<String>,
    pub received_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub policy_type: String,
    pub policy_domain: Option<String>,
    pub policy_string: Vec<String>,
    pub mx_hosts: Vec<String>,
    pub successful: i64,
    pub failed: i64,
    pub failures: Vec<FailureRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRow {
    pub result_type: String,
    pub sending_ip: Option<String>,
    pub receiving_mx: Option<String>,
    pub receiving_helo: Option<String>,
    pub receiving_ip: Option<String>,
    pub failed: i64,
    pub reason_code: Option<String>,
    pub additional_info: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDetail {
    pub report: ReportRow,
    pub policies: Vec<PolicyRow>,
}

/// Totals over a domain's stored reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportTotals {
    pub reports: i64,
    pub successful: i64,
    pub failed: i64,
    pub failure_rows: i64,
}

const REPORT_COLUMNS: &str = "r.id, d.name AS domain, r.organization_name, r.report_id, r.contact_info, \
    r.start_at, r.end_at, r.successful, r.failed, r.channel, r.submitter, r.received_at";

fn row_to_report(r: &sqlx::any::AnyRow) -> Result<ReportRow, sqlx::Error> {
    Ok(ReportRow {
        id: r.try_get("id")?,
        domain: r.try_get("domain")?,
        organization_name: r.try_get("organization_name")?,
        report_id: r.try_get("report_id")?,
        contact_info: r.try_get("contact_info")?,
        start_at: r.try_get("start_at")?,
        end_at: r.try_get("end_at")?,
        successful: r.try_get("successful")?,
        failed: r.try_get("failed")?,
        channel: r.try_get("channel")?,
        submitter: r.try_get("submitter")?,
        received_at: r.try_get("received_at")?,
    })
}

fn extra_json(extra: &Extra) -> Option<String> {
    (!extra.is_empty()).then(|| serde_json::to_string(extra).expect("JSON values serialize"))
}

fn count(n: u64) -> i64 {
    // The parser bounds every count far below i64::MAX.
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// Stores one report; see [`Store::ingest_reports`].
    pub async fn ingest_report(
        &self,
        scope: IngestScope<'_>,
        report: &NewReport<'_>,
    ) -> Result<IngestOutcome, StoreError> {
        Ok(self
            .ingest_reports(scope, std::slice::from_ref(report))
            .await?
            .remove(0))
    }

    /// Stores reports in one transaction: each for every registered domain it covers (within
    /// the scope), once per (domain, sending organisation, report-id). Returns per report what
    /// was stored. Nothing is stored if any insert fails.
    pub async fn ingest_reports(
        &self,
        scope: IngestScope<'_>,
        reports: &[NewReport<'_>],
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        if let IngestScope::Org(access) = scope {
            access.require(Role::Editor)?;
        }
        let splits: Vec<_> = reports
            .iter()
            .map(|new| split_by_domain(new.report, new.hint_domain))
            .collect();
        let mut names: Vec<&str> = splits
            .iter()
            .flat_map(|(shares, _)| shares.iter().map(|s| s.domain.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut tx = self.begin_write().await?;
        let domain_ids = lookup_domains(&mut tx, self.backend(), scope, &names).await?;
        let mut outcomes = Vec::with_capacity(reports.len());
        let mut days = FailureDays::default();
        for (new, (shares, unplaced)) in reports.iter().zip(splits) {
            let mut outcome = IngestOutcome {
                unplaced_policies: unplaced,
                ..Default::default()
            };
            for share in shares {
                let Some(&domain_id) = domain_ids.get(&share.domain) else {
                    outcome.unregistered.push(share.domain);
                    continue;
                };
                let (ok, failed) = share.totals();
                let row = insert_report(&mut tx, domain_id, new, count(ok), count(failed)).await?;
                if let Some(row) = row {
                    for (position, policy) in share.policies.iter().enumerate() {
                        insert_policy(&mut tx, self.backend(), row, domain_id, new.report, position, policy).await?;
                        days.add(domain_id, new.report, policy);
                    }
                }
                outcome.stored.push(StoredShare {
                    domain: share.domain,
                    new: row.is_some(),
                });
            }
            outcomes.push(outcome);
        }
        days.write(&mut tx, self.backend()).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    /// The domain's reports, newest period first.
    pub async fn tlsrpt_reports(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE d.org_id = $1 AND d.name = $2 ORDER BY r.start_at DESC, r.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(access.org_id)
        .bind(domain.as_str())
        .bind(limit.clamp(1, 1000))
        .bind(offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(row_to_report).collect::<Result<_, _>>()?)
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
        let rows = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE r.domain_id = $1 ORDER BY {} {direction}, r.id DESC LIMIT $2 OFFSET $3",
            sort.column()
        ))
        .bind(domain_id)
        .bind(limit.clamp(1, 1000))
        .bind(offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tlsrpt_reports WHERE domain_id = $1")
            .bind(domain_id)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok((rows.iter().map(row_to_report).collect::<Result<_, _>>()?, total))
    }

    /// Totals over all of the domain's reports.
    pub async fn tlsrpt_totals(&self, access: &OrgAccess, domain: &DomainName) -> Result<ReportTotals, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(r.id) AS reports, CAST(COALESCE(SUM(r.successful), 0) AS BIGINT) AS successful, \
             CAST(COALESCE(SUM(r.failed), 0) AS BIGINT) AS failed, \
             (SELECT COUNT(*) FROM tlsrpt_failures f WHERE f.domain_id = d.id) AS failure_rows \
             FROM domains d LEFT JOIN tlsrpt_reports r ON r.domain_id = d.id \
             WHERE d.org_id = $1 AND d.name = $2 GROUP BY d.id",
        )
        .bind(access.org_id)
        .bind(domain.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(ReportTotals {
            reports: r.try_get("reports")?,
            successful: r.try_get("successful")?,
            failed: r.try_get("failed")?,
            failure_rows: r.try_get("failure_rows")?,
        })
    }

    /// One report with its policies and failure details, if it belongs to the organisation.
    pub async fn tlsrpt_report(&self, access: &OrgAccess, id: i64) -> Result<ReportDetail, StoreError> {
        let report = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE d.org_id = $1 AND r.id = $2"
        ))
        .bind(access.org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let report = row_to_report(&report)?;
        let policy_rows = sqlx::query(
            "SELECT id, policy_type, policy_domain, policy_string, mx_hosts, successful, failed \
             FROM tlsrpt_policies WHERE report_row = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let failure_rows = sqlx::query(
            "SELECT policy_row, result_type, sending_ip, receiving_mx, receiving_helo, receiving_ip, \
             failed, reason_code, additional_info FROM tlsrpt_failures \
             WHERE policy_row IN (SELECT id FROM tlsrpt_policies WHERE report_row = $1) ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut failures: HashMap<i64, Vec<FailureRow>> = HashMap::new();
        for f in &failure_rows {
            failures.entry(f.try_get("policy_row")?).or_default().push(FailureRow {
                result_type: f.try_get("result_type")?,
                sending_ip: f.try_get("sending_ip")?,
                receiving_mx: f.try_get("receiving_mx")?,
                receiving_helo: f.try_get("receiving_helo")?,
                receiving_ip: f.try_get("receiving_ip")?,
                failed: f.try_get("failed")?,
                reason_code: f.try_get("reason_code")?,
                additional_info: f.try_get("additional_info")?,
            });
        }
        let mut policies = Vec::with_capacity(policy_rows.len());
        for p in &policy_rows {
            let strings = |column: &str| -> Result<Vec<String>, StoreError> {
                let text: String = p.try_get(column)?;
                serde_json::from_str(&text).map_err(|e| StoreError::Invalid(format!("{column}: {e}")))
            };
            let row_id: i64 = p.try_get("id")?;
            policies.push(PolicyRow {
                policy_type: p.try_get("policy_type")?,
                policy_domain: p.try_get("policy_domain")?,
                policy_string: strings("policy_string")?,
                mx_hosts: strings("mx_hosts")?,
                successful: p.try_get("successful")?,
                failed: p.try_get("failed")?,
                failures: failures.remove(&row_id).unwrap_or_default(),
            });
        }
        Ok(ReportDetail { report, policies })
    }

    /// The stored gzip of a report's JSON, if it belongs to the organisation.
    pub async fn tlsrpt_raw(&self, access: &OrgAccess, id: i64) -> Result<Vec<u8>, StoreError> {
        Ok(sqlx::query(
            "SELECT r.raw_gzip FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE d.org_id = $1 AND r.id = $2",
        )
        .bind(access.org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("raw_gzip")?)
    }
}

/// Names looked up at once, this many per statement (well under SQLite's parameter limit).
const NAMES_PER_LOOKUP: usize = 500;

/// The ids of the registered domains among `names` (within the scope), looked up together:
/// a report naming many domains costs a few statements inside the write transaction, not one
/// per name.
async fn lookup_domains(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    scope: IngestScope<'_>,
    names: &[&str],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(names.len());
    for chunk in names.chunks(NAMES_PER_LOOKUP) {
        let mut sql = String::from("SELECT id, name FROM domains WHERE name IN ");
        push_values(&mut sql, backend, 1, chunk.len());
        if let IngestScope::Org(_) = scope {
            match backend {
                Backend::Sqlite => sql.push_str(" AND org_id = ?"),
                Backend::Postgres => sql.push_str(&format!(" AND org_id = ${}", chunk.len() + 1)),
            }
        }
        let mut query = sqlx::query(&sql);
        for name in chunk {
            query = query.bind(*name);
        }
        if let IngestScope::Org(access) = scope {
            query = query.bind(access.org_id);
        }
        for row in query.fetch_all(&mut **tx).await? {
            ids.insert(row.try_get("name")?, row.try_get("id")?);
        }
    }
    Ok(ids)
}

/// The report row, or `None` when this (domain, organisation, report-id) is already stored.
async fn insert_report(
    tx: &mut Transaction<'_, Any>,
    domain_id: i64,
    new: &NewReport<'_>,
    successful: i64,
    failed: i64,
) -> Result<Option<i64>, StoreError> {
    let report = new.report;
    let row = sqlx::query(
        "INSERT INTO tlsrpt_reports (domain_id, organization_name, report_id, contact_info, start_at, end_at, \
         successful, failed, channel, submitter, received_at, extra, raw_gzip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (domain_id, organization_name, report_id) DO NOTHING RETURNING id",
    )
    .bind(domain_id)
    .bind(&report.organization_name)
    .bind(&report.report_id)
    .bind(report.contact_info.as_deref())
    .bind(report.date_range.start_datetime.timestamp())
    .bind(report.date_range.end_datetime.timestamp())
    .bind(successful)
    .bind(failed)
    .bind(new.channel)
    .bind(new.submitter)
    .bind(new.received_at)
    .bind(extra_json(&report.extra))
    .bind(new.raw_gzip)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

async fn insert_policy(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    report_row: i64,
    domain_id: i64,
    report: &Report,
    position: usize,
    policy: &PolicyResult,
) -> Result<(), StoreError> {
    let start_at = report.date_range.start_datetime.timestamp();
    let details = &policy.policy;
    let mut policy_extra = policy.extra.clone();
    if !details.extra.is_empty() {
        policy_extra.insert(
            "policy".into(),
            serde_json::to_value(&details.extra).expect("JSON values"),
        );
    }
    let policy_row: i64 = sqlx::query(
        "INSERT INTO tlsrpt_policies (report_row, domain_id, start_at, position, policy_type, policy_domain, \
         policy_string, mx_hosts, successful, failed, extra) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(report_row)
    .bind(domain_id)
    .bind(start_at)
    .bind(position as i64)
    .bind(details.policy_type.as_str())
    .bind(details.policy_domain.as_deref())
    .bind(serde_json::to_string(&details.policy_string).expect("strings serialize"))
    .bind(serde_json::to_string(&details.mx_host).expect("strings serialize"))
    .bind(count(policy.summary.total_successful_session_count))
    .bind(count(policy.summary.total_failure_session_count))
    .bind(extra_json(&policy_extra))
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    for chunk in policy.failure_details.chunks(FAILURES_PER_INSERT) {
        let keys = FailureRowKeys {
            policy_row,
            report_row,
            domain_id,
            start_at,
        };
        insert_failures(tx, backend, &keys, chunk).await?;
    }
    Ok(())
}

/// The columns every failure row of one policy shares.
struct FailureRowKeys {
    policy_row: i64,
    report_row: i64,
    domain_id: i64,
    start_at: i64,
}

/// The parameter tuples of a multi-row `VALUES` list: `rows` of `columns` each.
fn push_values(sql: &mut String, backend: Backend, rows: usize, columns: usize) {
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            // SQLite looks a numbered parameter's name up by walking a list, once per bind:
            // quadratic in a long VALUES list. Anonymous `?` parameters skip that.
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(i * columns + c + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
}

async fn insert_failures(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    keys: &FailureRowKeys,
    details: &[FailureDetail],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 13;
    let mut sql = String::with_capacity(300 + details.len() * 90);
    sql.push_str(
        "INSERT INTO tlsrpt_failures (policy_row, report_row, domain_id, start_at, \
         result_type, sending_ip, receiving_mx, receiving_helo, receiving_ip, failed, reason_code, \
         additional_info, extra) VALUES ",
    );
    push_values(&mut sql, backend, details.len(), COLUMNS);
    let mut query = sqlx::query(&sql);
    for d in details {
        query = query
            .bind(keys.policy_row)
            .bind(keys.report_row)
            .bind(keys.domain_id)
            .bind(keys.start_at)
            .bind(d.result_type.as_str())
            .bind(d.sending_mta_ip.as_deref())
            .bind(d.receiving_mx_hostname.as_deref())
            .bind(d.receiving_mx_helo.as_deref())
            .bind(d.receiving_ip.as_deref())
            .bind(count(d.failed_session_count))
            .bind(d.failure_reason_code.as_deref())
            .bind(d.additional_information.as_deref())
            .bind(extra_json(&d.extra));
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Rows of `tlsrpt_failure_days` per transaction: a new report's failures summed per (domain,
/// UTC day, result type, receiving MX), added to the stored sums in the same commit. In key
/// order, so two PostgreSQL transactions touching the same days lock them in the same order.
#[derive(Default)]
struct FailureDays(BTreeMap<(i64, i64, String, String), i64>);

/// Rollup rows per multi-row upsert (5 parameters each).
const DAYS_PER_UPSERT: usize = 200;

impl FailureDays {
    fn add(&mut self, domain_id: i64, report: &Report, policy: &PolicyResult) {
        let day_at = report.date_range.start_datetime.timestamp().div_euclid(86_400) * 86_400;
        for d in &policy.failure_details {
            let key = (
                domain_id,
                day_at,
                d.result_type.as_str().to_string(),
                d.receiving_mx_hostname.clone().unwrap_or_default(),
            );
            let sum = self.0.entry(key).or_default();
            *sum = sum.saturating_add(count(d.failed_session_count));
        }
    }

    async fn write(self, tx: &mut Transaction<'_, Any>, backend: Backend) -> Result<(), StoreError> {
        let rows: Vec<_> = self.0.into_iter().collect();
        for chunk in rows.chunks(DAYS_PER_UPSERT) {
            let mut sql = String::with_capacity(200 + chunk.len() * 24);
            sql.push_str(
                "INSERT INTO tlsrpt_failure_days (domain_id, day_at, result_type, receiving_mx, failed) VALUES ",
            );
            push_values(&mut sql, backend, chunk.len(), 5);
            sql.push_str(
                " ON CONFLICT (domain_id, day_at, result_type, receiving_mx) \
                 DO UPDATE SET failed = tlsrpt_failure_days.failed + excluded.failed",
            );
            let mut query = sqlx::query(&sql);
            for ((domain_id, day_at, result_type, mx), failed) in chunk {
                query = query
                    .bind(*domain_id)
                    .bind(*day_at)
                    .bind(result_type.as_str())
                    .bind(mx.as_str())
                    .bind(*failed);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }
}
