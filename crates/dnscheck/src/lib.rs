//! Live DNS for Portcullis through `hickory-resolver` with a configurable upstream (so tests and
//! air-gapped deployments never depend on the public internet): MX for policy generation, and the
//! full check of a domain's records, policy host and MX hosts as senders see them.

mod address_policy;
mod addresses;
mod check;
mod fetch;
mod mx;
mod probe_cache;
mod push;
mod records;
mod resolver;
mod reverse;
mod settings;
mod smtp_probe;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;

pub use address_policy::is_public;
pub use check::{CheckInput, Checker, CurrentPolicy, ProofCheck};
pub use fetch::MAX_POLICY_BODY;
pub use mx::{MxAnswer, MxRecord};
pub use push::{
    key_name, push_txt, ApiToken, PushDestination, PushError, PushServer, PushTarget, PUSH_PROVIDERS, PUSH_TIMEOUT,
    PUSH_TTL, TSIG_ALGORITHMS,
};
pub use records::TxtAnswer;
pub use resolver::{Dns, DnsError};
pub use reverse::ReverseName;
pub use settings::CheckSettings;
pub use tls::{CertVerdict, TlsFacts};
