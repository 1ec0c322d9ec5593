//! Live DNS for Portcullis: the look-ups behind "generate from MX" (and, later, the full DNS
//! checks), through `hickory-resolver` with a configurable upstream so that tests and air-gapped
//! deployments never depend on the public internet.

mod addresses;
mod mx;
mod resolver;
#[cfg(feature = "testing")]
pub mod testing;

pub use mx::{MxAnswer, MxRecord};
pub use resolver::{Dns, DnsError};
