//! `PolicyId`: the `id=` of the `_mta-sts` TXT record. Senders re-fetch the policy only when it
//! changes, so every change to the served text gets a new one.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_POLICY_ID_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PolicyId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyIdError {
    #[error("a policy id needs 1 to 32 letters and digits")]
    Length,
    #[error("a policy id may hold only letters and digits (found {0:?})")]
    InvalidCharacter(char),
}

impl PolicyId {
    pub fn new(input: &str) -> Result<Self, PolicyIdError> {
        if input.is_empty() || input.len() > MAX_POLICY_ID_LEN {
            return Err(PolicyIdError::Length);
        }
        if let Some(c) = input.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(PolicyIdError::InvalidCharacter(c));
        }
        Ok(Self(input.to_string()))
    }

    /// The id for a change made at `stamp` (UTC `YYYYMMDDTHHMMSS`, 15 characters). Readable at a
    /// glance in DNS; a second change within the same second gets a counter (`…n2`, `…n3`) so
    /// the id still changes.
    pub fn successor(stamp: &str, previous: Option<&PolicyId>) -> Result<Self, PolicyIdError> {
        let Some(prev) = previous.map(PolicyId::as_str).filter(|p| p.starts_with(stamp)) else {
            return Self::new(stamp);
        };
        let counter = match prev[stamp.len()..].strip_prefix('n') {
            Some(n) => n.parse::<u32>().unwrap_or(1) + 1,
            None => 2,
        };
        Self::new(&format!("{stamp}n{counter}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PolicyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::new(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_1_to_32_alphanumerics() {
        assert!(PolicyId::new("20261128T101500").is_ok());
        assert!(PolicyId::new(&"a".repeat(32)).is_ok());
        assert_eq!(PolicyId::new(""), Err(PolicyIdError::Length));
        assert_eq!(PolicyId::new(&"a".repeat(33)), Err(PolicyIdError::Length));
        assert_eq!(PolicyId::new("2026-11-28"), Err(PolicyIdError::InvalidCharacter('-')));
    }

    #[test]
    fn successor_changes_even_within_one_second() {
        let stamp = "20261128T101500";
        let first = PolicyId::successor(stamp, None).unwrap();
        assert_eq!(first.as_str(), stamp);
        let second = PolicyId::successor(stamp, Some(&first)).unwrap();
        assert_eq!(second.as_str(), "20261128T101500n2");
        let third = PolicyId::successor(stamp, Some(&second)).unwrap();
        assert_eq!(third.as_str(), "20261128T101500n3");
        let later = PolicyId::successor("20261128T101501", Some(&third)).unwrap();
        assert_eq!(later.as_str(), "20261128T101501");
    }
}
