//! The `portcullis` binary's library half: configuration, the HTTP router (dashboard, server
//! functions, REST API, health and metrics) and the command line. The router is built without a
//! socket so tests drive it with `tower::ServiceExt::oneshot`.

pub mod acme;
pub mod allocator;
pub mod api;
pub mod certs;
pub mod cli;
pub mod config;
pub mod https;
pub mod imap;
pub mod import;
pub mod listener;
mod metrics;
mod middleware;
pub mod policy_host;
mod report_export;
pub mod report_http;
mod report_upload;
mod router;
pub mod smtp;

pub use config::Config;
pub use router::{build_public_router, build_router, leptos_options, ServerState};
