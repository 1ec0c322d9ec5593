//! The HTTPS policy host: certificates by SNI, their ACME orders and renewals, and the fast path
//! that answers policy fetches.

pub mod acme;
pub mod certs;
pub mod https;
pub mod policy_host;
