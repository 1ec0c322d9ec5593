//! Portcullis's WASM-safe domain logic: checked newtypes that the server and the browser parse
//! with the same code, so a form validates as the user types exactly as the server will.
//!
//! Nothing here does I/O; everything compiles for `wasm32-unknown-unknown`.

mod alert;
mod bulk;
pub mod dns;
mod domain_name;
mod email;
pub mod lifecycle;
mod local_path;
pub mod models;
pub mod numbers;
mod org;
mod password;
pub mod policy;
mod role;
pub mod smtp_command;
pub mod tlsrpt;

pub use alert::AlertKind;
pub use bulk::{parse_bulk, BulkEntry, BulkLine, BulkOutcome, BulkReport, BulkResultLine, MAX_BULK_LINES};
pub use domain_name::{DomainName, DomainNameError};
pub use email::{Email, EmailError};
pub use local_path::LocalPath;
pub use org::{OrgName, OrgNameError, OrgSlug};
pub use password::{Password, PasswordError};
pub use policy::{Mode, MxPattern, Policy, PolicyId, PolicySpec};
pub use role::{Role, RoleError};
