//! How a domain's records reach DNS: delegated to this server's zone, published by hand, or
//! pushed by Portcullis into the owner's own DNS server.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsSetup {
    /// Three CNAMEs into this server's zone, published once; the records behind them follow
    /// every policy change.
    Delegated,
    /// The owner publishes the records, and each new policy id, by hand.
    Manual,
    /// Portcullis updates the `_mta-sts` TXT in the owner's DNS (RFC 2136 with TSIG).
    Push,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the DNS setup is one of delegated, manual or push")]
pub struct DnsSetupError;

impl DnsSetup {
    pub const ALL: [DnsSetup; 3] = [DnsSetup::Delegated, DnsSetup::Manual, DnsSetup::Push];

    pub fn parse(input: &str) -> Result<Self, DnsSetupError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(input.trim()))
            .ok_or(DnsSetupError)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DnsSetup::Delegated => "delegated",
            DnsSetup::Manual => "manual",
            DnsSetup::Push => "push",
        }
    }

    /// Whether a new policy id reaches DNS without the owner doing anything.
    pub fn keeps_id_current(self) -> bool {
        !matches!(self, DnsSetup::Manual)
    }

    pub fn label(self) -> &'static str {
        match self {
            DnsSetup::Delegated => "delegated to this server",
            DnsSetup::Manual => "published by hand",
            DnsSetup::Push => "pushed to your DNS server",
        }
    }
}

impl fmt::Display for DnsSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_others() {
        for setup in DnsSetup::ALL {
            assert_eq!(DnsSetup::parse(setup.as_str()), Ok(setup));
        }
        assert_eq!(DnsSetup::parse(" Delegated "), Ok(DnsSetup::Delegated));
        assert_eq!(DnsSetup::parse("cname"), Err(DnsSetupError));
        assert!(!DnsSetup::Manual.keeps_id_current());
        assert!(DnsSetup::Push.keeps_id_current());
    }
}
