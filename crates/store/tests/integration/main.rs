//! Integration tests, one binary for the crate (one link instead of one per file).

mod certs;
mod dns_checks;
mod story;
mod test_databases;
mod tlsrpt;
mod tlsrpt_summary;
