//! `MxPattern`: one `mx:` line of an MTA-STS policy (RFC 8461 §3.2, matching per §4.1).
//!
//! A pattern is either an exact host name or `*.` followed by a name; the wildcard stands for
//! exactly one label. Patterns are stored as A-labels, because senders compare them with the
//! MX names they see in DNS, and those are always A-labels.

use crate::{DomainName, DomainNameError};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MxPattern(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MxPatternError {
    #[error("enter an MX host name, e.g. mx1.example.com or *.mx.example.com")]
    Empty,
    #[error("{0} is an IP address; MTA-STS matches MX host names only, never addresses")]
    IpLiteral(String),
    #[error("a wildcard is allowed only as the whole leftmost label, written \"*.\" (as in *.mx.example.com)")]
    MisplacedWildcard,
    #[error("a wildcard must stand for a host below a domain (*.mx.example.com), not a top-level domain")]
    WildcardTooBroad,
    #[error("{0}")]
    Name(DomainNameError),
}

impl MxPattern {
    /// Parses user or policy input: any case, IDN converted to A-labels, optional trailing dot.
    pub fn parse(input: &str) -> Result<Self, MxPatternError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(MxPatternError::Empty);
        }
        let (wildcard, rest) = match trimmed.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if rest.contains('*') || trimmed == "*" {
            return Err(MxPatternError::MisplacedWildcard);
        }
        let base = DomainName::parse(rest).map_err(|e| match e {
            DomainNameError::IpLiteral(ip) => MxPatternError::IpLiteral(ip),
            DomainNameError::SingleLabel(_) if wildcard => MxPatternError::WildcardTooBroad,
            other => MxPatternError::Name(other),
        })?;
        Ok(Self(if wildcard {
            format!("*.{base}")
        } else {
            base.to_string()
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with("*.")
    }

    /// Whether a sender may deliver to MX host `host` under this pattern (RFC 8461 §4.1):
    /// case-insensitive, a trailing root dot ignored, and `*` standing for exactly one label.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        match self.0.strip_prefix("*.") {
            Some(base) => match host.split_once('.') {
                Some((first, rest)) => !first.is_empty() && rest == base,
                None => false,
            },
            None => host == self.0,
        }
    }
}

impl fmt::Display for MxPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for MxPattern {
    type Err = MxPatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for MxPattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pattern(s: &str) -> MxPattern {
        MxPattern::parse(s).unwrap()
    }

    /// RFC 8461 §4.1: "*.example.com" matches "mail.example.com" but not "example.com" nor
    /// "foo.bar.example.com"; comparison is case-insensitive; the root dot is not significant.
    #[test]
    fn wildcard_matching_agrees_with_rfc_8461() {
        let cases: &[(&str, &str, bool)] = &[
            ("*.mx.example", "a.mx.example", true),
            ("*.mx.example", "a.b.mx.example", false),
            ("*.mx.example", "mx.example", false),
            ("*.mx.example", ".mx.example", false),
            ("*.mx.example", "a.mx.example.", true),
            ("*.mx.example", "A.MX.Example", true),
            ("*.mx.example", "a.mx.example.org", false),
            ("*.mx.example", "amx.example", false),
            ("*.MX.Example.", "b.mx.example", true),
            ("mx.example", "mx.example", true),
            ("mx.example", "MX.EXAMPLE.", true),
            ("mx.example", "a.mx.example", false),
            ("mx.example", "mx.example.org", false),
            ("mx1.example.com", "mx2.example.com", false),
        ];
        for (p, host, expected) in cases {
            assert_eq!(pattern(p).matches(host), *expected, "{p} vs {host}");
        }
    }

    #[test]
    fn canonicalises_to_lower_case_a_labels() {
        assert_eq!(pattern(" MX1.Example.COM. ").as_str(), "mx1.example.com");
        assert_eq!(pattern("*.Bücher.example").as_str(), "*.xn--bcher-kva.example");
        assert!(pattern("*.mx.example").is_wildcard());
        assert!(pattern("mx.bücher.example").matches("MX.xn--bcher-kva.example"));
    }

    #[test]
    fn refuses_ips_misplaced_wildcards_and_empty_labels() {
        assert!(matches!(
            MxPattern::parse("192.0.2.25"),
            Err(MxPatternError::IpLiteral(_))
        ));
        assert!(matches!(
            MxPattern::parse("[2001:db8::25]"),
            Err(MxPatternError::IpLiteral(_))
        ));
        assert!(matches!(
            MxPattern::parse("*.192.0.2.1"),
            Err(MxPatternError::IpLiteral(_))
        ));
        for bad in [
            "mx.*.example.com",
            "*mx.example.com",
            "*.*.example.com",
            "*",
            "**.example.com",
        ] {
            assert_eq!(MxPattern::parse(bad), Err(MxPatternError::MisplacedWildcard), "{bad}");
        }
        assert_eq!(MxPattern::parse("*.com"), Err(MxPatternError::WildcardTooBroad));
        assert!(matches!(MxPattern::parse("*."), Err(MxPatternError::Name(_))));
        assert_eq!(
            MxPattern::parse("mx..example.com"),
            Err(MxPatternError::Name(DomainNameError::EmptyLabel))
        );
        assert_eq!(MxPattern::parse("  "), Err(MxPatternError::Empty));
    }

    proptest! {
        #[test]
        fn a_wildcard_matches_exactly_one_extra_label(
            labels in proptest::collection::vec("[a-z][a-z0-9]{0,8}", 2..5),
            extra in proptest::collection::vec("[a-z][a-z0-9]{0,8}", 0..3),
        ) {
            let base = labels.join(".");
            let p = pattern(&format!("*.{base}"));
            let host = if extra.is_empty() { base.clone() } else { format!("{}.{base}", extra.join(".")) };
            prop_assert_eq!(p.matches(&host), extra.len() == 1);
            prop_assert_eq!(p.matches(&host.to_ascii_uppercase()), extra.len() == 1);
        }

        #[test]
        fn parsing_is_idempotent(input in "(\\*\\.)?[a-zA-Z][a-zA-Z0-9-]{0,10}(\\.[a-zA-Z][a-zA-Z0-9]{0,10}){1,3}\\.?") {
            if let Ok(p) = MxPattern::parse(&input) {
                prop_assert_eq!(MxPattern::parse(p.as_str()), Ok(p.clone()));
            }
        }
    }
}
