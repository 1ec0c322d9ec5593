//! Delegated DNS: the owner publishes three CNAMEs once, pointing into a zone this server answers
//! itself, and the records behind them follow every policy change. Names in that zone are built
//! from the domain's proof token (fixed length), never from the domain name, so they fit DNS
//! length limits for any domain, IDNs included, and a registration by another organisation gets
//! names of its own.

use super::DnsRecord;
use crate::DomainName;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Characters in a proof token.
pub const TOKEN_LEN: usize = 32;

/// The owner name of the TXT proof (`_portcullis-challenge.<domain>`).
pub const CHALLENGE_LABEL: &str = "_portcullis-challenge";

/// What the proof TXT record holds before the token.
pub const CHALLENGE_PREFIX: &str = "portcullis-proof=";

/// The longest zone the names fit under: `_smtp._tls.<token>.` takes 44 characters of 253.
pub const MAX_ZONE_LEN: usize = 253 - 11 - TOKEN_LEN - 1;

/// A registration's proof token: 32 lowercase hex digits, random, made when the domain is added.
/// It is the TXT proof's value and the label under which the delegated zone answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProofToken(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a proof token is 32 lowercase hexadecimal digits")]
pub struct ProofTokenError;

impl ProofToken {
    pub fn parse(input: &str) -> Result<Self, ProofTokenError> {
        let ok = input.len() == TOKEN_LEN && input.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(input.to_string())).ok_or(ProofTokenError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProofToken {
    type Error = ProofTokenError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ProofToken> for String {
    fn from(token: ProofToken) -> Self {
        token.0
    }
}

impl fmt::Display for ProofToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The three delegated names, which record each answers, and the owner's name pointing at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Delegated {
    /// `_mta-sts`: the TXT with the current policy id.
    StsRecord,
    /// `_smtp._tls`: the TLS-RPT TXT with this server's addresses.
    TlsRpt,
    /// `mta-sts`: the policy host, pointing at this server.
    PolicyHost,
}

impl Delegated {
    pub const ALL: [Delegated; 3] = [Delegated::StsRecord, Delegated::TlsRpt, Delegated::PolicyHost];

    /// The label(s) before the domain (or before the token in the zone).
    pub fn prefix(self) -> &'static str {
        match self {
            Delegated::StsRecord => "_mta-sts",
            Delegated::TlsRpt => "_smtp._tls",
            Delegated::PolicyHost => "mta-sts",
        }
    }

    /// The owner's name: `_mta-sts.example.com`.
    pub fn owner_name(self, domain: &DomainName) -> String {
        format!("{}.{domain}", self.prefix())
    }

    /// The name in the delegated zone: `_mta-sts.<token>.<zone>` (no trailing dot).
    pub fn target(self, token: &ProofToken, zone: &str) -> String {
        format!("{}.{token}.{}", self.prefix(), zone.trim_end_matches('.'))
    }

    /// Which delegated name `name` (lower case, without the zone) is: `Some((kind, token))`.
    pub fn split(relative: &str) -> Option<(Delegated, &str)> {
        Delegated::ALL.into_iter().find_map(|kind| {
            let rest = relative.strip_prefix(kind.prefix())?.strip_prefix('.')?;
            (rest.len() == TOKEN_LEN && !rest.contains('.')).then_some((kind, rest))
        })
    }
}

/// The CNAMEs the owner publishes once for delegation.
pub fn delegation_records(domain: &DomainName, token: &ProofToken, zone: &str) -> Vec<DnsRecord> {
    Delegated::ALL
        .into_iter()
        .map(|kind| DnsRecord {
            name: kind.owner_name(domain),
            rtype: "CNAME".into(),
            value: format!("{}.", kind.target(token, zone)),
        })
        .collect()
}

/// The TXT record that proves control without delegating.
pub fn challenge_record(domain: &DomainName, token: &ProofToken) -> DnsRecord {
    DnsRecord {
        name: format!("{CHALLENGE_LABEL}.{domain}"),
        rtype: "TXT".into(),
        value: format!("{CHALLENGE_PREFIX}{token}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> ProofToken {
        ProofToken::parse("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn tokens_are_fixed_length_hex() {
        assert!(ProofToken::parse("0123456789ABCDEF0123456789abcdef").is_err());
        assert!(ProofToken::parse("0123456789abcdef").is_err());
        assert!(ProofToken::parse("0123456789abcdef0123456789abcdeg").is_err());
        assert_eq!(token().as_str().len(), TOKEN_LEN);
    }

    #[test]
    fn names_fit_for_the_longest_domains() {
        let long = format!(
            "{}.{}.{}.{}.com",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(57)
        );
        let domain = DomainName::parse(&long).unwrap();
        let zone = ["w", "x", "y", "z"].map(|c| c.repeat(50)).join(".") + ".net";
        assert!(zone.len() <= MAX_ZONE_LEN);
        for record in delegation_records(&domain, &token(), &zone) {
            let target = record.value.trim_end_matches('.');
            assert!(target.len() <= 253, "{target}");
            assert!(target.split('.').all(|l| l.len() <= 63));
        }
        let idn = DomainName::parse("räksmörgås.se").unwrap();
        let records = delegation_records(&idn, &token(), "sts.example-msp.net");
        assert_eq!(records[0].name, "_mta-sts.xn--rksmrgs-5wao1o.se");
        assert_eq!(
            records[0].value,
            "_mta-sts.0123456789abcdef0123456789abcdef.sts.example-msp.net."
        );
    }

    #[test]
    fn zone_names_split_back() {
        for kind in Delegated::ALL {
            let full = kind.target(&token(), "zone.test");
            let relative = full.strip_suffix(".zone.test").unwrap();
            assert_eq!(Delegated::split(relative), Some((kind, token().as_str())));
        }
        assert_eq!(Delegated::split("_mta-sts.short"), None);
        assert_eq!(Delegated::split("www.0123456789abcdef0123456789abcdef"), None);
        assert_eq!(Delegated::split("_tls.0123456789abcdef0123456789abcdef"), None);
    }

    #[test]
    fn the_challenge_record() {
        let domain = DomainName::parse("example.com").unwrap();
        let record = challenge_record(&domain, &token());
        assert_eq!(record.name, "_portcullis-challenge.example.com");
        assert_eq!(record.value, "portcullis-proof=0123456789abcdef0123456789abcdef");
    }
}
