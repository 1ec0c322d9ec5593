//! TLS-RPT reports: taking them in from every channel (`ingest`), the views over them
//! (`views`), the policies senders applied (`senders`) and patterns across domains (`patterns`).

pub(crate) mod ingest;
pub(crate) mod patterns;
pub(crate) mod senders;
pub(crate) mod views;
