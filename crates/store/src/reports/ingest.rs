//! Storing TLS-RPT reports: platform-wide for senders, organisation-scoped for uploads. A report
//! is acknowledged only after `ingest_*` returns, that is after its transaction committed, so a
//! crash either keeps it or makes the sender send it again.

use std::collections::{BTreeMap, HashMap};

use portcullis_domain::tlsrpt::{split_by_domain, Extra, FailureDetail, PolicyResult, Provenance, Report};
use portcullis_domain::Role;
use serde::{Deserialize, Serialize};
use sqlx::QueryBuilder;

use crate::pool::WriteTx;
use crate::{OrgAccess, Store, StoreError};

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
    /// How it arrived and what vouches for its origin.
    pub provenance: &'a Provenance,
    /// SHA-256 (hex) of the parsed report: a re-send with another hash differs.
    pub content_hash: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredShare {
    pub domain: String,
    /// False when this report was already stored for this domain.
    pub new: bool,
    /// An earlier report with the same organisation and report-id is stored with other content:
    /// this one was kept aside as a differing re-send.
    #[serde(default)]
    pub differs: bool,
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
        let domain_ids = lookup_domains(&mut tx, scope, &names).await?;
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
                let differs = match row {
                    Some(_) => false,
                    None => keep_if_differing(&mut tx, domain_id, new).await?,
                };
                if let Some(row) = row {
                    for (position, policy) in share.policies.iter().enumerate() {
                        insert_policy(&mut tx, row, domain_id, new.report, position, policy).await?;
                        days.add(domain_id, new.report, policy);
                    }
                }
                outcome.stored.push(StoredShare {
                    domain: share.domain,
                    new: row.is_some(),
                    differs,
                });
            }
            outcomes.push(outcome);
        }
        days.write(&mut tx).await?;
        tx.commit().await?;
        Ok(outcomes)
    }
}

/// Names looked up at once, this many per statement (well under SQLite's parameter limit).
const NAMES_PER_LOOKUP: usize = 500;

/// The ids of the registered, proven domains among `names` (within the scope), looked up together:
/// a report naming many domains costs a few statements inside the write transaction, not one
/// per name.
async fn lookup_domains(
    tx: &mut WriteTx,
    scope: IngestScope<'_>,
    names: &[&str],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(names.len());
    for chunk in names.chunks(NAMES_PER_LOOKUP) {
        let found: Vec<(i64, String)> = on_tx!(tx, |conn| {
            // Reports are attributed to a domain only once its organisation proved control.
            let mut query = QueryBuilder::new("SELECT id, name FROM domains WHERE proven_at IS NOT NULL AND name IN (");
            let mut list = query.separated(", ");
            for name in chunk {
                list.push_bind(*name);
            }
            query.push(")");
            if let IngestScope::Org(access) = scope {
                query.push(" AND org_id = ").push_bind(access.org_id);
            }
            query.build_query_as().fetch_all(conn).await
        })?;
        ids.extend(found.into_iter().map(|(id, name)| (name, id)));
    }
    Ok(ids)
}

/// The report row, or `None` when this (domain, organisation, report-id) is already stored.
async fn insert_report(
    tx: &mut WriteTx,
    domain_id: i64,
    new: &NewReport<'_>,
    successful: i64,
    failed: i64,
) -> Result<Option<i64>, StoreError> {
    let report = new.report;
    let sql = "INSERT INTO tlsrpt_reports (domain_id, organization_name, report_id, contact_info, start_at, end_at, \
               successful, failed, channel, submitter, received_at, extra, raw_gzip, arrival, source, dkim_domain, \
               content_hash) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
               ON CONFLICT (domain_id, organization_name, report_id) DO NOTHING RETURNING id";
    Ok(on_tx!(tx, |conn| sqlx::query_scalar(sql)
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
        .bind(new.provenance.arrival.as_deref())
        .bind(new.provenance.source.as_deref())
        .bind(new.provenance.dkim_domain.as_deref())
        .bind(new.content_hash)
        .fetch_optional(conn)
        .await)?)
}

/// For a report already stored under its (domain, organisation, report-id): when the stored
/// one's content differs, keeps this one aside (once per distinct content) and says so. Reports
/// stored before content hashes were kept are not compared.
async fn keep_if_differing(tx: &mut WriteTx, domain_id: i64, new: &NewReport<'_>) -> Result<bool, StoreError> {
    let report = new.report;
    let sql =
        "SELECT content_hash FROM tlsrpt_reports WHERE domain_id = $1 AND organization_name = $2 AND report_id = $3";
    let stored: Option<Option<String>> = on_tx!(tx, |conn| sqlx::query_scalar(sql)
        .bind(domain_id)
        .bind(&report.organization_name)
        .bind(&report.report_id)
        .fetch_optional(conn)
        .await)?;
    match stored.flatten() {
        Some(hash) if hash != new.content_hash => {}
        _ => return Ok(false),
    }
    let sql = "INSERT INTO tlsrpt_report_resends (domain_id, organization_name, report_id, content_hash, channel, \
               arrival, source, dkim_domain, received_at, raw_gzip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
               ON CONFLICT (domain_id, organization_name, report_id, content_hash) DO NOTHING";
    on_tx!(tx, |conn| sqlx::query(sql)
        .bind(domain_id)
        .bind(&report.organization_name)
        .bind(&report.report_id)
        .bind(new.content_hash)
        .bind(new.channel)
        .bind(new.provenance.arrival.as_deref())
        .bind(new.provenance.source.as_deref())
        .bind(new.provenance.dkim_domain.as_deref())
        .bind(new.received_at)
        .bind(new.raw_gzip)
        .execute(conn)
        .await
        .map(|_| ()))?;
    Ok(true)
}

async fn insert_policy(
    tx: &mut WriteTx,
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
    let sql = "INSERT INTO tlsrpt_policies (report_row, domain_id, start_at, position, policy_type, policy_domain, \
               policy_string, mx_hosts, successful, failed, extra) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
    let policy_row: i64 = on_tx!(tx, |conn| sqlx::query_scalar(sql)
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
        .fetch_one(conn)
        .await)?;
    for chunk in policy.failure_details.chunks(FAILURES_PER_INSERT) {
        let keys = FailureRowKeys {
            policy_row,
            report_row,
            domain_id,
            start_at,
        };
        insert_failures(tx, &keys, chunk).await?;
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

async fn insert_failures(tx: &mut WriteTx, keys: &FailureRowKeys, details: &[FailureDetail]) -> Result<(), StoreError> {
    // QueryBuilder numbers PostgreSQL's parameters and leaves SQLite's anonymous (`?`): SQLite
    // looks a numbered parameter's name up by walking a list, once per bind, which is
    // quadratic in a long VALUES list.
    on_tx!(tx, |conn| {
        let mut query = QueryBuilder::new(
            "INSERT INTO tlsrpt_failures (policy_row, report_row, domain_id, start_at, \
             result_type, sending_ip, receiving_mx, receiving_helo, receiving_ip, failed, reason_code, \
             additional_info, extra) ",
        );
        query.push_values(details, |mut row, d| {
            row.push_bind(keys.policy_row)
                .push_bind(keys.report_row)
                .push_bind(keys.domain_id)
                .push_bind(keys.start_at)
                .push_bind(d.result_type.as_str())
                .push_bind(d.sending_mta_ip.as_deref())
                .push_bind(d.receiving_mx_hostname.as_deref())
                .push_bind(d.receiving_mx_helo.as_deref())
                .push_bind(d.receiving_ip.as_deref())
                .push_bind(count(d.failed_session_count))
                .push_bind(d.failure_reason_code.as_deref())
                .push_bind(d.additional_information.as_deref())
                .push_bind(extra_json(&d.extra));
        });
        query.build().execute(conn).await.map(|done| done.rows_affected())
    })?;
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

    async fn write(self, tx: &mut WriteTx) -> Result<(), StoreError> {
        let rows: Vec<_> = self.0.into_iter().collect();
        for chunk in rows.chunks(DAYS_PER_UPSERT) {
            on_tx!(tx, |conn| {
                let mut query = QueryBuilder::new(
                    "INSERT INTO tlsrpt_failure_days (domain_id, day_at, result_type, receiving_mx, failed) ",
                );
                query.push_values(chunk, |mut row, ((domain_id, day_at, result_type, mx), failed)| {
                    row.push_bind(*domain_id)
                        .push_bind(*day_at)
                        .push_bind(result_type.as_str())
                        .push_bind(mx.as_str())
                        .push_bind(*failed);
                });
                query.push(
                    " ON CONFLICT (domain_id, day_at, result_type, receiving_mx) \
                     DO UPDATE SET failed = tlsrpt_failure_days.failed + excluded.failed",
                );
                query.build().execute(conn).await.map(|done| done.rows_affected())
            })?;
        }
        Ok(())
    }
}
