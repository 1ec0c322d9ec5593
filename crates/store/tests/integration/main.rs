//! Integration tests, one binary for the crate (one link instead of one per file).

mod certs;
mod dns;
mod leases;
mod monitor;
mod report_views;
mod reports;
mod shared_state;
mod story;
mod test_databases;
