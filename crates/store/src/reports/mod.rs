//! TLS-RPT reports: storing them (`ingest`) and reading them back for the views (`views`).

pub(crate) mod ingest;
pub(crate) mod views;
