//! TLS-RPT reports: taking them in from every channel (`ingest`) and the views over them
//! (`views`).

pub(crate) mod ingest;
pub(crate) mod views;
