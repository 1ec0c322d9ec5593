//! TLS-RPT reports: taking them in from every channel (`ingest`), the views over them
//! (`views`) and the policies senders applied (`senders`).

pub(crate) mod ingest;
pub(crate) mod senders;
pub(crate) mod views;
