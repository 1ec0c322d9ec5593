//! Stored TLS-RPT reports and what the report views read of them.

use serde::{Deserialize, Serialize};

/// One stored report, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
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
    /// How it arrived, for people; `None` for reports stored before this was kept.
    pub arrival: Option<String>,
    /// The DKIM signing domain that verified its mail, when there is one.
    pub dkim_domain: Option<String>,
    /// Re-sends with the same organisation and report-id but other content, kept aside.
    pub resends: i64,
}

/// A re-send of a stored report whose content differs, kept aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct ResendRow {
    pub id: i64,
    pub received_at: i64,
    pub channel: String,
    pub arrival: Option<String>,
    pub dkim_domain: Option<String>,
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
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
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
    /// Differing re-sends of it, oldest first.
    #[serde(default)]
    pub resends: Vec<ResendRow>,
}

/// Totals over a domain's stored reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct ReportTotals {
    pub reports: i64,
    pub successful: i64,
    pub failed: i64,
    pub failure_rows: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryGroup {
    ResultType,
    Organization,
    SendingIp,
    ReceivingMx,
    Day,
}

impl SummaryGroup {
    pub const ALL: [SummaryGroup; 5] = [
        Self::ResultType,
        Self::Organization,
        Self::SendingIp,
        Self::ReceivingMx,
        Self::Day,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResultType => "result_type",
            Self::Organization => "organization",
            Self::SendingIp => "sending_ip",
            Self::ReceivingMx => "receiving_mx",
            Self::Day => "day",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub key: String,
    /// `None` where failure details are grouped: they do not break successes down.
    pub successful: Option<i64>,
    pub failed: i64,
    /// Sending IPs only: the address's reverse DNS, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_dns: Option<SourceName>,
}

/// A sending address's PTR name, and whether that name resolves back to the address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceName {
    pub name: String,
    pub confirmed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    pub successful: i64,
    pub failed: i64,
    /// Reports in the period, and the distinct organisations that sent them.
    pub reports: i64,
    pub organizations: i64,
    pub groups: Vec<SummaryRow>,
}

/// Everything the report overview page shows of one period, read in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewData {
    /// Totals of the period (no groups).
    pub current: ReportSummary,
    /// Totals of the period just before, for comparison.
    pub previous: ReportSummary,
    pub by_result: Vec<SummaryRow>,
    pub by_organization: Vec<SummaryRow>,
    pub by_sending_ip: Vec<SummaryRow>,
    pub by_receiving_mx: Vec<SummaryRow>,
    pub by_day: Vec<SummaryRow>,
    pub daily_results: Vec<DailyResult>,
}

/// Failed sessions per day and result type: one row per (day, result type) that has failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyResult {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub result_type: String,
    pub failed: i64,
}

/// One domain's reports over a period, for the cross-domain overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainTrend {
    pub domain: String,
    pub successful: i64,
    pub failed: i64,
    pub reports: i64,
    /// Failed sessions per day of the period, oldest first.
    pub daily_failed: Vec<i64>,
}
