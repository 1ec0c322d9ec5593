//! The policy `mode:`: what a sender does when it cannot deliver over validated TLS.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Senders forget any earlier policy; used to switch MTA-STS off safely.
    None,
    /// Senders report failures (TLS-RPT) but still deliver.
    Testing,
    /// Senders refuse to deliver without validated TLS to a listed MX.
    Enforce,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode {0:?}: use testing, enforce or none")]
pub struct ModeError(pub String);

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Testing, Mode::Enforce, Mode::None];

    /// Exact, as senders read it: RFC 8461 spells the values in lower case.
    pub fn parse(input: &str) -> Result<Self, ModeError> {
        match input.trim() {
            "none" => Ok(Mode::None),
            "testing" => Ok(Mode::Testing),
            "enforce" => Ok(Mode::Enforce),
            other => Err(ModeError(other.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Testing => "testing",
            Mode::Enforce => "enforce",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Mode::None => "senders drop any earlier policy (use it to switch MTA-STS off)",
            Mode::Testing => "senders report TLS problems but still deliver",
            Mode::Enforce => "senders refuse to deliver unless TLS to a listed MX validates",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
