//! Read models: the shapes services return and pages, the REST API and the CLI show, declared once.
//!
//! WASM-safe like the rest of this crate; with the `sqlx` feature (server side only) the store
//! decodes its rows straight into them.

mod accounts;
mod domains;
mod monitoring;
mod policies;
mod reports;

pub use accounts::{Invitation, InvitationFor, Member, Org, OrgWithRole, TokenInfo, User};
pub use domains::{DomainPage, DomainRow};
pub use monitoring::{AlertChannel, AlertRow, DnsCheckRow, DomainEvent};
pub use policies::{CertState, PolicyVersion, SaveOutcome, Transition};
pub use reports::{
    DailyResult, DomainTrend, FailureRow, OverviewData, PolicyRow, ReportDetail, ReportRow, ReportSummary,
    ReportTotals, ResendRow, SourceName, SummaryGroup, SummaryRow,
};
