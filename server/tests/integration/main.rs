//! Integration tests, one binary for the crate (one link instead of one per file).

mod acme;
mod alerts;
mod api;
mod claims;
mod common;
mod crash_safety;
mod dashboard;
mod dns;
mod dns_push;
mod dns_zone;
mod import_cli;
mod isolation;
mod lifecycle;
mod patterns;
mod policy;
mod policy_pages;
mod reports_api;
mod reports_http;
mod reports_imap;
mod reports_pages;
mod reports_smtp;
mod reports_upload;
mod senders;
mod shares;
mod startup;
