//! Shared page parts: the page frame, the layout with header and organisation switcher,
//! one-time messages, form errors, pagination.

mod claims;
mod dns_parts;
mod flash;
mod form_error;
mod layout;
mod mx_drift;
mod org_select;
mod page;
mod pagination;
mod policy_parts;
mod proof;

pub use claims::{ClaimsSection, ReleaseNotices};
pub use dns_parts::{DnsStatusBadge, SeverityBadge};
pub use flash::FlashMessages;
pub use form_error::{form_error, ErrorPanel, FieldError, Loading};
pub use layout::Layout;
pub use mx_drift::MxDriftBanner;
pub use org_select::OrgSelect;
pub use page::{page_frame, Crumbs};
pub use pagination::Pagination;
pub use policy_parts::{describe_seconds, ModeBadge, PolicyDiff};
pub use proof::ProofBanner;
