//! TLS-RPT reports: storing them (`ingest`), reading stored ones back (`stored`), the
//! aggregates one domain's views show (`views`), the policies senders applied (`senders`), the
//! cross-domain ranking (`trends`) and patterns (`patterns`).

pub(crate) mod ingest;
pub(crate) mod patterns;
pub(crate) mod senders;
pub(crate) mod stored;
pub(crate) mod trends;
pub(crate) mod views;
