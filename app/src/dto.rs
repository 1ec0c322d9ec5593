//! What pages receive from server functions: plain, serializable views of the data.

use portcullis_domain::{BulkReport, Role};
// The read models the services return, shown as they are (one declaration, in the domain crate).
pub use portcullis_domain::models::{
    CertState, DailyResult, DomainEvent, DomainRow, FailureRow, Invitation, Member, OrgWithRole, PolicyRow,
    PolicyVersion, ReportRow, ReportSummary, SummaryRow, TokenInfo, Transition,
};
use serde::{Deserialize, Serialize};

/// Who is looking, and the anti-forgery token every form must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCtx {
    pub csrf: String,
    pub viewer: Option<Viewer>,
    pub flash: Vec<Flash>,
    /// First-run setup asks for the token the server printed (the dashboard is not loopback-only).
    pub setup_token_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub email: String,
    pub is_admin: bool,
    pub must_change_password: bool,
    pub orgs: Vec<OrgWithRole>,
}

impl Viewer {
    pub fn org(&self, slug: &str) -> Option<&OrgWithRole> {
        self.orgs.iter().find(|o| o.slug == slug)
    }

    /// Organisations where the viewer may add domains.
    pub fn editable_orgs(&self) -> Vec<OrgWithRole> {
        self.orgs
            .iter()
            .filter(|o| o.role.allows(Role::Editor))
            .cloned()
            .collect()
    }
}

/// One-time messages shown on the next page a user sees (the no-JavaScript way to report the
/// result of a form post). Secrets travel this way so they never appear in a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flash {
    Notice(String),
    /// Something the user must act on (a push that failed, say).
    Warning(String),
    TokenCreated {
        name: String,
        secret: String,
    },
    /// An invitation link, shown once to the owner who passes it on.
    MemberInvited {
        email: String,
        link: String,
        expires_at: i64,
    },
    Bulk(BulkReport),
    Uploaded(UploadReport),
    /// A share link, shown once to the owner who passes it on.
    ShareCreated {
        scope: String,
        link: String,
        expires_at: i64,
    },
}

/// A domain's stored TLS-RPT reports: totals and the most recent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportsView {
    pub domain: String,
    pub reports: i64,
    pub successful: i64,
    pub failed: i64,
    pub recent: Vec<ReportRow>,
    /// Senders of the last weeks with when their latest report arrived, latest first.
    pub senders: Vec<(portcullis_domain::tlsrpt::Reporting, i64)>,
    /// The domain as a whole: whether reports still arrive.
    pub reporting: Option<portcullis_domain::tlsrpt::Reporting>,
    /// This server has addresses for reports, so the DNS section shows an `_smtp._tls` record.
    pub report_record_shown: bool,
}

/// The cross-domain overview: domains ranked by failed sessions, with a daily trend each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendsView {
    pub from: String,
    pub to: String,
    pub days: i64,
    pub org: Option<String>,
    pub rows: Vec<TrendRow>,
}

/// Keys failing on three or more of the domains a user can see, over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternsView {
    pub from: String,
    pub to: String,
    pub days: i64,
    pub org: Option<String>,
    pub patterns: Vec<portcullis_domain::tlsrpt::Pattern>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendRow {
    pub domain: String,
    pub org_name: String,
    pub org_slug: String,
    pub successful: i64,
    pub failed: i64,
    pub reports: i64,
    pub daily_failed: Vec<i64>,
}

/// One page of a domain's report list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportListView {
    pub domain: String,
    pub reports: Vec<ReportRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub sort: String,
    pub descending: bool,
}

/// One report, readable: its facts, policies and failure details, and its JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDetailView {
    pub domain: String,
    pub report: ReportRow,
    pub policies: Vec<PolicyRow>,
    /// The JSON as the sender wrote it, indented for reading.
    pub json: String,
    /// Re-sends of it whose content differs, kept aside.
    pub resends: Vec<portcullis_domain::models::ResendRow>,
}

/// The report overview of a domain for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOverviewView {
    pub domain: String,
    pub org_slug: String,
    pub from: String,
    pub to: String,
    pub days: i64,
    pub current: PeriodTotals,
    pub previous: PeriodTotals,
    pub by_category: Vec<ResultCategoryView>,
    pub by_organization: Vec<SummaryRow>,
    /// The sending IPs with the most failures (the page shows the first 100; exports hold all).
    pub by_sending_ip: Vec<SummaryRow>,
    /// How many sending IPs the period has in all.
    pub sending_ips: usize,
    pub by_receiving_mx: Vec<SummaryRow>,
    pub by_day: Vec<SummaryRow>,
    /// Failed sessions per day and result type, for the table under the stacked chart.
    pub daily_results: Vec<DailyResult>,
    pub charts: OverviewCharts,
}

/// The sender policy tracker for one domain and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendersView {
    pub domain: String,
    pub from: String,
    pub to: String,
    pub days: i64,
    /// The served version: id, mode, when it was saved.
    pub served: Option<(String, String, i64)>,
    pub senders: Vec<portcullis_domain::tlsrpt::SenderPolicy>,
    /// Server-rendered SVG of the first senders' runs.
    pub chart: String,
}

/// "36 hours", "3 days": how long something took, in words.
pub fn duration_words(secs: i64) -> String {
    let hours = (secs + 1_799) / 3_600;
    match secs {
        s if s < 3_600 => "less than an hour".to_string(),
        _ if hours < 48 => format!("{hours} hours"),
        _ => format!("{} days", (secs + 43_199) / 86_400),
    }
}

/// Server-rendered SVG charts (inline markup), each over the same numbers as a table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewCharts {
    pub daily: String,
    /// Failed sessions per day stacked by result type.
    pub daily_results: String,
    pub by_result: String,
    pub by_organization: String,
    pub by_receiving_mx: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodTotals {
    pub successful: i64,
    pub failed: i64,
    pub reports: i64,
    pub organizations: i64,
}

impl From<&ReportSummary> for PeriodTotals {
    fn from(s: &ReportSummary) -> Self {
        Self {
            successful: s.successful,
            failed: s.failed,
            reports: s.reports,
            organizations: s.organizations,
        }
    }
}

impl PeriodTotals {
    /// Failed sessions as a share of all, when there were any.
    pub fn failure_rate(&self) -> Option<f64> {
        let total = self.successful + self.failed;
        (total > 0).then(|| self.failed as f64 / total as f64)
    }
}

/// Failures of one category (negotiation, MTA-STS, DANE), each result type explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultCategoryView {
    pub label: String,
    pub failed: i64,
    pub results: Vec<ResultView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultView {
    pub result_type: String,
    pub failed: i64,
    pub meaning: String,
    pub fix: String,
}

/// What became of each report in an upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReport {
    pub stored: usize,
    pub duplicates: usize,
    pub failed: usize,
    pub lines: Vec<UploadLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadLine {
    /// The file (and attachment) name.
    pub file: String,
    pub outcome: UploadOutcome,
    /// Sender and report id with the domains it was stored for, or why it failed.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadOutcome {
    Stored,
    Duplicate,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainListing {
    pub rows: Vec<DomainRow>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    /// This server runs a DNS zone: onboarding offers delegation.
    pub delegation_available: bool,
}

impl DomainListing {
    pub fn pages(&self) -> i64 {
        ((self.total + self.page_size - 1) / self.page_size).max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainDetail {
    pub domain: DomainRow,
    pub role: Role,
    /// In enforce: live MX hosts the policy does not cover (from the latest check).
    pub mx_drift: Vec<String>,
    /// A new id reaches DNS by itself (delegation in place, or push).
    pub id_automatic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDetail {
    pub org: OrgWithRole,
    pub members: Vec<Member>,
    /// Only owners see tokens and pending invitations.
    pub tokens: Option<Vec<TokenInfo>>,
    pub invitations: Option<Vec<Invitation>>,
    /// Push mode's settings (owners only; `None` for others and when unset).
    pub push: Option<PushSettingsItem>,
    /// The server can seal push credentials (`PORTCULLIS_SECRET_KEY`).
    pub push_available: bool,
    /// Read-only share links (owners only), newest first.
    pub shares: Option<Vec<ShareItem>>,
    /// The organisation's domains, for the share form (owners only).
    pub domains: Vec<String>,
}

/// A share link as the organisation page lists it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareItem {
    pub id: i64,
    /// `None`: every domain of the organisation.
    pub domain: Option<String>,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub live: bool,
}

/// What a share link shows: one domain, or the organisation's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedView {
    pub token: String,
    pub org_name: String,
    pub expires_at: i64,
    /// The link is for one domain only.
    pub single: bool,
    pub domain: Option<SharedDomainView>,
    /// The organisation's domains (an organisation's link, at its top).
    pub domains: Vec<SharedDomainRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedDomainRow {
    pub name: String,
    pub mode: Option<String>,
    pub dns_status: Option<String>,
    pub successful: i64,
    pub failed: i64,
    pub reports: i64,
}

/// One domain on a share page: status, records health and the last 30 days of reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedDomainView {
    pub name: String,
    pub mode: Option<String>,
    pub dns_status: Option<String>,
    pub checked_at: Option<i64>,
    /// Findings of the latest check that need attention: (severity, what was seen).
    pub findings: Vec<(String, String)>,
    pub from: String,
    pub to: String,
    pub successful: i64,
    pub failed: i64,
    pub reports: i64,
    pub daily_chart: String,
    pub results_chart: String,
}

/// What an invitation link shows its recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPage {
    pub org_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: i64,
    /// An account for the address exists (sign in to accept).
    pub has_account: bool,
    /// Who is signed in now, if anyone.
    pub signed_in_as: Option<String>,
}

/// "2026-11-28 10:15 UTC" from Unix seconds, without a date library in the browser bundle.
pub fn format_time(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, (secs % 3600) / 60)
}

/// Failed sessions as a share of all, "1.23 %", or "–" without sessions.
pub use portcullis_domain::numbers::{change_text, count_text};

pub fn failure_rate_text(successful: i64, failed: i64) -> String {
    let total = successful.saturating_add(failed);
    if total > 0 {
        format!("{:.2} %", failed as f64 * 100.0 / total as f64)
    } else {
        "–".into()
    }
}

/// A day number (days since 1970-01-01) as `YYYY-MM-DD`.
pub fn format_day(day: i64) -> String {
    format_time(day.saturating_mul(86_400))
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_times_as_utc() {
        assert_eq!(format_day(20_769), "2026-11-12");
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_795_860_900), "2026-11-28 10:15 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn counts_pages() {
        let l = |total| DomainListing {
            rows: vec![],
            total,
            page: 1,
            page_size: 50,
            delegation_available: false,
        };
        assert_eq!(l(0).pages(), 1);
        assert_eq!(l(50).pages(), 1);
        assert_eq!(l(51).pages(), 2);
        assert_eq!(l(5000).pages(), 100);
    }
}

/// A domain's policy: what is served now, its warnings and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOverview {
    pub domain: DomainRow,
    pub role: Role,
    /// Newest first; the first is the served one.
    pub versions: Vec<PolicyVersion>,
    /// (code, message) for the served policy.
    pub warnings: Vec<(String, String)>,
    /// The served policy as editor fields.
    pub draft: Option<portcullis_domain::policy::PolicyDraft>,
    /// The `mta-sts.<domain>` certificate, once Portcullis has tried to obtain one.
    pub certificate: Option<CertState>,
    /// A new id reaches DNS by itself (delegation in place, or push): nothing to publish.
    pub id_automatic: bool,
}

impl PolicyOverview {
    pub fn current(&self) -> Option<&PolicyVersion> {
        self.versions.first()
    }
}

/// "Generate from MX": the live records and the proposed patterns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxProposalView {
    /// (preference, host).
    pub records: Vec<(u16, String)>,
    pub explanation: Option<String>,
    /// (pattern, hosts it covers).
    pub patterns: Vec<(String, Vec<String>)>,
    /// (host, why no pattern can cover it).
    pub unusable: Vec<(String, String)>,
    /// Live MX hosts the served policy does not cover.
    pub uncovered_now: Vec<String>,
}

/// Percent-encodes a query-string value (everything but unreserved characters).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A domain's DNS: what to publish, the latest check and status changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsView {
    pub domain: String,
    pub records: Vec<portcullis_domain::dns::DnsRecord>,
    pub zone: String,
    pub public_host_configured: bool,
    pub has_policy: bool,
    pub status: portcullis_domain::dns::Status,
    pub checked_at: Option<i64>,
    /// Who ran the latest check: monitor, user, api or cli.
    pub origin: Option<String>,
    pub findings: Vec<portcullis_domain::dns::Finding>,
    pub can_check: bool,
    pub events: Vec<DomainEvent>,
    /// How the records reach DNS.
    pub setup: portcullis_domain::dns::DnsSetup,
    /// The three delegation CNAMEs; empty when this server runs no DNS zone.
    pub delegation: Vec<portcullis_domain::dns::DnsRecord>,
    /// Nothing to publish after a policy change: delegation seen in place, or push.
    pub id_automatic: bool,
    /// The last push (push mode): which id, when, and why it failed.
    pub push_id: Option<String>,
    pub push_at: Option<i64>,
    pub push_error: Option<String>,
    /// The organisation has push settings, so push can be chosen.
    pub push_configured: bool,
    /// The viewer may change the setup and push.
    pub can_edit: bool,
}

/// A domain's mode, the readiness gate for enforce with the replay behind it, and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleView {
    pub domain: String,
    pub role: portcullis_domain::Role,
    /// A new id reaches DNS by itself (delegation in place, or push).
    pub id_automatic: bool,
    /// `unconfigured`, `testing`, `enforce` or `none` (being removed).
    pub mode: String,
    pub policy_id: Option<String>,
    pub readiness: portcullis_domain::lifecycle::Readiness,
    pub replay: portcullis_domain::lifecycle::ReplayOutcome,
    pub window: portcullis_domain::lifecycle::WindowTotals,
    pub window_from: String,
    pub window_to: String,
    /// The enforce policy the replay ran against.
    pub candidate: Option<String>,
    pub min_testing_days: i64,
    pub retire_at: Option<i64>,
    /// The latest DNS check's time, and whether it saw the current id after the last change.
    pub sts_seen: Option<(i64, bool)>,
    pub transitions: Vec<Transition>,
    /// In enforce: live MX hosts the policy does not cover.
    pub mx_drift: Vec<String>,
    pub max_age: Option<u64>,
    /// Set once enforce has been stable long enough for a longer max_age.
    pub max_age_advice: Option<String>,
}

/// An organisation's alert settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertsView {
    pub org_slug: String,
    pub org_name: String,
    pub role: Role,
    pub channels: Vec<ChannelItem>,
    pub recent: Vec<AlertItem>,
    /// E-mail channels can be added (the server has an SMTP relay).
    pub can_email: bool,
    /// The server delivers alerts at all.
    pub delivering: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelItem {
    pub id: i64,
    pub kind: String,
    /// Webhook URLs are shown without their secret part.
    pub target: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertItem {
    pub domain: String,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub created_at: i64,
}

/// Open claims and notices of released registrations, for the home page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsView {
    pub claims: Vec<ClaimItem>,
    pub notices: Vec<NoticeItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimItem {
    pub org_slug: String,
    pub org_name: String,
    pub name: String,
    /// The TXT record that proves the claim.
    pub record: portcullis_domain::dns::DnsRecord,
    /// The delegation CNAMEs under the claim's token (they prove it too).
    pub delegation: Vec<portcullis_domain::dns::DnsRecord>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeItem {
    pub org_name: String,
    pub detail: String,
    pub created_at: i64,
}

/// An organisation's push settings as shown (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSettingsItem {
    /// `rfc2136` or `cloudflare`.
    pub provider: String,
    pub server: String,
    pub key_name: String,
    pub algorithm: String,
    pub updated_by: String,
    pub updated_at: i64,
    pub domains: i64,
}

/// The MX migration page: the open plan with its progress, or what a new plan starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MxPlanInfo {
    pub domain: String,
    pub role: Role,
    /// The served policy's mode and mx patterns (`None` without a policy).
    pub policy: Option<(String, Vec<String>)>,
    /// The MX hosts the latest DNS check saw, and when.
    pub live_mx: Option<(i64, Vec<String>)>,
    pub plan: Option<MxPlanDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MxPlanDto {
    pub kind: String,
    pub add: Vec<String>,
    pub retire: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub steps: Vec<portcullis_domain::lifecycle::PlanStep>,
    pub complete: bool,
    pub planned_policy: String,
    pub replay: portcullis_domain::lifecycle::ReplayOutcome,
    pub replay_from: String,
    pub replay_to: String,
}
