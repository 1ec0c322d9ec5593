//! The HTTP surface: the router (dashboard, server functions, REST API, exports), its
//! middleware and the metrics it counts.

pub mod api;
pub(crate) mod export;
pub(crate) mod metrics;
pub(crate) mod middleware;
pub(crate) mod router;
