//! The `portcullis` binary's library half, by capability: `startup` (open, bind, run, stop),
//! `web` (router, middleware, REST API, exports, metrics), `ingest` (reports by HTTP, SMTP,
//! IMAP, upload and import), `tls` (the HTTPS policy host, certificates, ACME), `listener`
//! (limits every listener shares), `config` and `cli`. The router is built without a socket so
//! tests drive it with `tower::ServiceExt::oneshot`.

// The OpenAPI document is one `json!` literal, deeper than the default macro recursion limit.
#![recursion_limit = "256"]

pub mod allocator;
pub mod cli;
pub mod config;
pub mod dns;
pub mod ingest;
pub mod listener;
pub mod startup;
pub mod tls;
pub mod web;

pub use config::Config;
pub use startup::Application;
pub use web::router::{build_public_router, build_router, leptos_options, ServerState};
