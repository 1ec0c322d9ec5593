//! One file per area. Pages run on the server only (islands mode), load through server
//! functions and render complete HTML.

mod alerts;
mod auth;
mod domain;
mod domain_dns;
mod domain_reports;
mod home;
mod import;
mod invite;
mod lifecycle;
mod mx_plan;
mod not_found;
mod org_push;
mod org_shares;
mod orgs;
mod patterns;
mod policy;
mod report_list;
mod reports;
mod senders;
mod share;
mod trends;
mod upload;

pub use alerts::AlertsPage;
pub use auth::{AccountPage, LoginPage, SetupPage};
pub use domain::{DeleteDomainPage, DomainPage};
pub use home::HomePage;
pub use import::ImportPage;
pub use invite::InvitePage;
pub use lifecycle::LifecyclePage;
pub use mx_plan::MxPlanPage;
pub use not_found::NotFoundPage;
pub use orgs::{OrgPage, OrgsPage};
pub use patterns::PatternsPage;
pub use policy::{PolicyEditPage, PolicyVersionPage};
pub use report_list::{ReportDetailPage, ReportListPage};
pub use reports::ReportsPage;
pub use senders::SendersPage;
pub use share::SharePage;
pub use trends::TrendsPage;
pub use upload::{UploadReportsPage, UPLOAD_ACTION};
