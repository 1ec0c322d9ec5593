//! Aggregates over a domain's reports for a period: session totals from the reports' summaries,
//! and groups by result type, sending IP or receiving MX (failure details, which carry no
//! success counts) or by sending organisation and day (report summaries, which do).

use portcullis_domain::models::{DailyResult, OverviewData, ReportSummary, SummaryGroup, SummaryRow};
use portcullis_domain::{DomainName, Role};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::FromRow;

use crate::{Backend, OrgAccess, Store, StoreError};

/// The key of failure details that leave the grouped field out.
pub const NOT_REPORTED: &str = "(not reported)";

pub(super) const DAY: i64 = 86_400;

/// Failed sessions per day and result type, one row each.
const DAILY_RESULTS: &str =
    "SELECT CAST(day_at / 86400 AS BIGINT) AS day, result_type, CAST(SUM(failed) AS BIGINT) AS failed \
    FROM tlsrpt_failure_days WHERE domain_id = $1 AND day_at >= $2 AND day_at < $3 \
    GROUP BY day_at, result_type";

/// SQLite's sending-IP groups, one row each. SQLite would group the period's rows in a
/// temporary B-tree: over a year of a busy domain, most of the page's time. Instead this walks
/// the domain's distinct sending IPs on the IP-first index (one seek each) and sums each IP's
/// period range there, so nothing is sorted and, beyond one entry per IP, no row outside the
/// period is read. `sums` is materialised so that each IP's sum runs once, not again for the
/// filter. Details naming no IP come last, as one group.
const SQLITE_SENDING_IPS: &str = "WITH RECURSIVE ips(ip) AS (\
    SELECT (SELECT sending_ip FROM tlsrpt_failures INDEXED BY tlsrpt_failures_ip \
    WHERE domain_id = $1 AND sending_ip IS NOT NULL ORDER BY sending_ip LIMIT 1) \
    UNION ALL SELECT (SELECT sending_ip FROM tlsrpt_failures INDEXED BY tlsrpt_failures_ip \
    WHERE domain_id = $1 AND sending_ip > ips.ip ORDER BY sending_ip LIMIT 1) FROM ips \
    WHERE ips.ip IS NOT NULL), \
    sums AS MATERIALIZED (SELECT ip, (SELECT SUM(failed) FROM tlsrpt_failures \
    INDEXED BY tlsrpt_failures_ip WHERE domain_id = $1 AND sending_ip = ips.ip \
    AND start_at >= $2 AND start_at < $3) AS failed FROM ips WHERE ip IS NOT NULL) \
    SELECT ip AS key, CAST(failed AS BIGINT) AS failed FROM sums WHERE failed IS NOT NULL \
    UNION ALL SELECT NULL, CAST(SUM(failed) AS BIGINT) FROM tlsrpt_failures \
    INDEXED BY tlsrpt_failures_ip WHERE domain_id = $1 AND sending_ip IS NULL \
    AND start_at >= $2 AND start_at < $3 HAVING COUNT(*) > 0";

/// One aggregate of a domain's reports over `[from, to)`. Each has one SQL text with `$1` the
/// domain id, `$2` and `$3` the period in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    /// Session totals, reports and distinct organisations.
    Totals,
    Group(SummaryGroup),
    /// Failed sessions per day and result type.
    DailyResults,
}

impl Aggregate {
    /// Each reads one domain's period range of a covering index or key, so no table row is
    /// visited: the reports' period index (totals, organisations, days), the failure details'
    /// period index (sending IPs; on SQLite their IP-first index, see [`SQLITE_SENDING_IPS`]), and the key of
    /// the daily rollup `tlsrpt_failure_days` (result types, MX, daily results). The rollup
    /// counts whole UTC days, so the period's ends must be UTC midnights, as every caller's are.
    fn sql(self, backend: Backend) -> &'static str {
        match self {
            Self::Group(SummaryGroup::SendingIp) if backend == Backend::Sqlite => SQLITE_SENDING_IPS,
            // SQLite's planner, not knowing how wide the period is (no statistics until the
            // database has been analysed, and none for bound values), prefers the
            // (domain, organisation) index for its order and then reads every report row of the
            // domain: 4× slower on a year. The period index it picks for literal dates is named.
            Self::Group(SummaryGroup::Organization) if backend == Backend::Sqlite => {
                "SELECT organization_name AS key, CAST(SUM(successful) AS BIGINT) AS successful, \
                 CAST(SUM(failed) AS BIGINT) AS failed FROM tlsrpt_reports INDEXED BY tlsrpt_reports_period \
                 WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3 GROUP BY organization_name"
            }
            Self::Totals => {
                "SELECT CAST(COALESCE(SUM(successful), 0) AS BIGINT) AS successful, \
                 CAST(COALESCE(SUM(failed), 0) AS BIGINT) AS failed, COUNT(*) AS reports, \
                 COUNT(DISTINCT organization_name) AS organizations FROM tlsrpt_reports \
                 WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3"
            }
            Self::Group(SummaryGroup::ResultType) => {
                "SELECT result_type AS key, CAST(SUM(failed) AS BIGINT) AS failed FROM tlsrpt_failure_days \
                 WHERE domain_id = $1 AND day_at >= $2 AND day_at < $3 GROUP BY result_type"
            }
            Self::Group(SummaryGroup::SendingIp) => {
                "SELECT sending_ip AS key, CAST(SUM(failed) AS BIGINT) AS failed FROM tlsrpt_failures \
                 WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3 GROUP BY sending_ip"
            }
            Self::Group(SummaryGroup::ReceivingMx) => {
                "SELECT NULLIF(receiving_mx, '') AS key, CAST(SUM(failed) AS BIGINT) AS failed \
                 FROM tlsrpt_failure_days WHERE domain_id = $1 AND day_at >= $2 AND day_at < $3 \
                 GROUP BY receiving_mx"
            }
            Self::Group(SummaryGroup::Organization) => {
                "SELECT organization_name AS key, CAST(SUM(successful) AS BIGINT) AS successful, \
                 CAST(SUM(failed) AS BIGINT) AS failed FROM tlsrpt_reports \
                 WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3 GROUP BY organization_name"
            }
            Self::Group(SummaryGroup::Day) => {
                "SELECT CAST(start_at / 86400 AS BIGINT) AS day, CAST(SUM(successful) AS BIGINT) AS successful, \
                 CAST(SUM(failed) AS BIGINT) AS failed FROM tlsrpt_reports \
                 WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3 GROUP BY day"
            }
            Self::DailyResults => DAILY_RESULTS,
        }
    }
}

impl Store {
    /// Reports whose period starts in `[from, to)` (Unix seconds), grouped by `group`. Groups are
    /// ordered by failed sessions (most first), then key; days in date order, every day of the
    /// period present (zero when no report covers it).
    pub async fn tlsrpt_summary(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        from: i64,
        to: i64,
        group: Option<SummaryGroup>,
    ) -> Result<ReportSummary, StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let mut summary = self.period_totals(domain_id, from, to).await?;
        if let Some(group) = group {
            summary.groups = self.period_groups(domain_id, from, to, group).await?;
        }
        Ok(summary)
    }

    /// The overview of `[from, to)` with the totals of `[previous_from, from)`.
    pub async fn tlsrpt_overview(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        previous_from: i64,
        from: i64,
        to: i64,
    ) -> Result<OverviewData, StoreError> {
        access.require(Role::Viewer)?;
        let id = self.domain_id_in(access, domain).await?;
        // Independent reads, each on its own pooled connection: run together, they take about
        // as long as the slowest instead of the sum (on PostgreSQL and a SQLite file; an
        // in-memory SQLite database has one connection, so they queue).
        let (current, previous, by_result, by_organization, by_sending_ip, by_receiving_mx, by_day, daily_results) = tokio::try_join!(
            self.period_totals(id, from, to),
            self.period_totals(id, previous_from, from),
            self.period_groups(id, from, to, SummaryGroup::ResultType),
            self.period_groups(id, from, to, SummaryGroup::Organization),
            self.period_groups(id, from, to, SummaryGroup::SendingIp),
            self.period_groups(id, from, to, SummaryGroup::ReceivingMx),
            self.period_groups(id, from, to, SummaryGroup::Day),
            self.period_daily_results(id, from, to),
        )?;
        Ok(OverviewData {
            current,
            previous,
            by_result,
            by_organization,
            by_sending_ip,
            by_receiving_mx,
            by_day,
            daily_results,
        })
    }

    /// Failure details of `[from, to)` summed per day and result type, by day then result type.
    pub async fn tlsrpt_daily_results(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        from: i64,
        to: i64,
    ) -> Result<Vec<DailyResult>, StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        self.period_daily_results(domain_id, from, to).await
    }

    /// The rows of `aggregate` over `[from, to)`.
    async fn aggregate<T: PeriodRow>(
        &self,
        aggregate: Aggregate,
        domain_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<T>, StoreError> {
        debug_assert!(from % DAY == 0 && to % DAY == 0, "periods are whole UTC days");
        self.period_rows(aggregate.sql(self.backend()), domain_id, from, to)
            .await
    }

    /// A read of `sql` whose parameters are an id (`$1`) and a period (`$2`, `$3`).
    pub(super) async fn period_rows<T: PeriodRow>(
        &self,
        sql: &str,
        id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<T>, StoreError> {
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(id)
            .bind(from)
            .bind(to)
            .fetch_all(db)
            .await)?)
    }

    async fn period_totals(&self, domain_id: i64, from: i64, to: i64) -> Result<ReportSummary, StoreError> {
        let rows: Vec<Totals> = self.aggregate(Aggregate::Totals, domain_id, from, to).await?;
        let &(successful, failed, reports, organizations) = rows.first().ok_or(StoreError::NotFound)?;
        Ok(ReportSummary {
            successful,
            failed,
            reports,
            organizations,
            groups: Vec::new(),
        })
    }

    async fn period_groups(
        &self,
        domain_id: i64,
        from: i64,
        to: i64,
        group: SummaryGroup,
    ) -> Result<Vec<SummaryRow>, StoreError> {
        let aggregate = Aggregate::Group(group);
        let mut groups = match group {
            SummaryGroup::Day => {
                let rows: Vec<DayCounts> = self.aggregate(aggregate, domain_id, from, to).await?;
                let by_day: std::collections::HashMap<i64, (i64, i64)> =
                    rows.into_iter().map(|(day, ok, failed)| (day, (ok, failed))).collect();
                let mut days = Vec::new();
                let mut day = from.div_euclid(DAY);
                while day * DAY < to {
                    let (ok, failed) = by_day.get(&day).copied().unwrap_or((0, 0));
                    days.push(SummaryRow {
                        key: day_key(day),
                        successful: Some(ok),
                        failed,
                        reverse_dns: None,
                    });
                    day += 1;
                }
                return Ok(days);
            }
            SummaryGroup::Organization => {
                let rows: Vec<KeyedCounts> = self.aggregate(aggregate, domain_id, from, to).await?;
                rows.into_iter()
                    .map(|(key, ok, failed)| group_row(key, Some(ok), failed))
                    .collect::<Vec<_>>()
            }
            _ => {
                let rows: Vec<KeyedFailed> = self.aggregate(aggregate, domain_id, from, to).await?;
                rows.into_iter()
                    .map(|(key, failed)| group_row(key, None, failed))
                    .collect()
            }
        };
        // Sorted here, not in SQL: the backends order NULLs and collate text differently.
        groups.sort_by(|a, b| b.failed.cmp(&a.failed).then_with(|| a.key.cmp(&b.key)));
        Ok(groups)
    }

    async fn period_daily_results(&self, domain_id: i64, from: i64, to: i64) -> Result<Vec<DailyResult>, StoreError> {
        let mut rows: Vec<DayResults> = self.aggregate(Aggregate::DailyResults, domain_id, from, to).await?;
        rows.sort();
        Ok(rows
            .into_iter()
            .map(|(day, result_type, failed)| DailyResult {
                day: day_key(day),
                result_type,
                failed,
            })
            .collect())
    }
}

/// A row of a period read, decodable from both backends' rows: a tuple, read by column
/// position in the order the SQL selects.
pub(super) trait PeriodRow: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}

impl<T> PeriodRow for T where T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}

/// Successful, failed, reports, organisations.
type Totals = (i64, i64, i64, i64);
/// Group key (NULL where not reported), successful, failed.
type KeyedCounts = (Option<String>, i64, i64);
/// Group key, failed.
type KeyedFailed = (Option<String>, i64);
/// Day number, successful, failed.
type DayCounts = (i64, i64, i64);
/// Day number, result type, failed.
type DayResults = (i64, String, i64);

fn group_row(key: Option<String>, successful: Option<i64>, failed: i64) -> SummaryRow {
    SummaryRow {
        key: key.unwrap_or_else(|| NOT_REPORTED.to_string()),
        successful,
        failed,
        reverse_dns: None,
    }
}

fn day_key(day: i64) -> String {
    crate::utc_day(day * DAY)
}
