//! `DomainName`: a registrable mail domain in its canonical A-label form.
//!
//! Canonical means: IDN converted to punycode (UTS #46), lower case, no trailing dot. Every
//! later feature (policy hosting on `mta-sts.<name>`, DNS checks, report matching) compares
//! names byte for byte, so there must be exactly one spelling of each name.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// RFC 1035: 255 octets on the wire, which is 253 characters in text form without the root dot.
pub const MAX_NAME_LEN: usize = 253;
pub const MAX_LABEL_LEN: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DomainName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainNameError {
    #[error("enter a domain name, e.g. example.com")]
    Empty,
    #[error("{0} is an IP address; enter a domain name such as example.com")]
    IpLiteral(String),
    #[error("enter a domain with at least two labels, e.g. example.com (not just {0})")]
    SingleLabel(String),
    #[error("the name has an empty label (two dots in a row or a leading dot)")]
    EmptyLabel,
    #[error("the label {0:?} is longer than 63 characters")]
    LabelTooLong(String),
    #[error("the name is longer than 253 characters")]
    TooLong,
    #[error("{0:?} is not allowed in a domain name (use letters, digits and hyphens)")]
    InvalidCharacter(char),
    #[error("a label cannot start or end with a hyphen ({0:?})")]
    HyphenAtEdge(String),
    #[error("the last label ({0:?}) cannot be all digits")]
    NumericTld(String),
    #[error("the internationalised name is not valid ({0})")]
    InvalidIdn(String),
    #[error("enter only the domain, without a scheme, path or port")]
    NotBareName,
}

impl DomainName {
    /// Parses user input (ASCII or Unicode, any case, optional trailing dot) into canonical form.
    pub fn parse(input: &str) -> Result<Self, DomainNameError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(DomainNameError::Empty);
        }
        if trimmed.contains("://") || trimmed.contains('/') || trimmed.contains('@') {
            return Err(DomainNameError::NotBareName);
        }
        let bracketless = trimmed.trim_start_matches('[').trim_end_matches(']');
        if bracketless.parse::<Ipv4Addr>().is_ok() || bracketless.parse::<Ipv6Addr>().is_ok() {
            return Err(DomainNameError::IpLiteral(trimmed.to_string()));
        }
        if trimmed.contains(':') {
            return Err(DomainNameError::NotBareName);
        }
        let without_root = trimmed.strip_suffix('.').unwrap_or(trimmed);
        if without_root.is_empty() || without_root.split('.').any(str::is_empty) {
            return Err(DomainNameError::EmptyLabel);
        }
        if let Some(c) = without_root.chars().find(|c| c.is_whitespace() || *c == '_') {
            return Err(DomainNameError::InvalidCharacter(c));
        }
        let ascii = if without_root.is_ascii() {
            without_root.to_ascii_lowercase()
        } else {
            idna::domain_to_ascii(without_root).map_err(|e| DomainNameError::InvalidIdn(e.to_string()))?
        };
        Self::check_ascii(&ascii)?;
        // A-labels written by hand must decode to valid Unicode, or senders will disagree on them.
        if ascii.split('.').any(|l| l.starts_with("xn--")) {
            let (_, result) = idna::domain_to_unicode(&ascii);
            result.map_err(|e| DomainNameError::InvalidIdn(e.to_string()))?;
        }
        Ok(Self(ascii))
    }

    fn check_ascii(name: &str) -> Result<(), DomainNameError> {
        if name.len() > MAX_NAME_LEN {
            return Err(DomainNameError::TooLong);
        }
        let labels: Vec<&str> = name.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return Err(DomainNameError::EmptyLabel);
        }
        if labels.len() < 2 {
            return Err(DomainNameError::SingleLabel(name.to_string()));
        }
        for label in &labels {
            if label.len() > MAX_LABEL_LEN {
                return Err(DomainNameError::LabelTooLong(label.to_string()));
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
            {
                return Err(DomainNameError::InvalidCharacter(c));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(DomainNameError::HyphenAtEdge(label.to_string()));
            }
        }
        let tld = labels[labels.len() - 1];
        if tld.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainNameError::NumericTld(tld.to_string()));
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Unicode spelling for display, when the name has A-labels; `None` for plain ASCII.
    pub fn unicode(&self) -> Option<String> {
        if !self.0.split('.').any(|l| l.starts_with("xn--")) {
            return None;
        }
        let (unicode, result) = idna::domain_to_unicode(&self.0);
        result.ok().map(|_| unicode)
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DomainName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for DomainName {
    type Err = DomainNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for DomainName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(input: &str) -> String {
        DomainName::parse(input).unwrap().to_string()
    }

    #[test]
    fn canonicalises_case_whitespace_and_trailing_dot() {
        assert_eq!(ok(" Example.COM. "), "example.com");
        assert_eq!(ok("mail.example.co.uk"), "mail.example.co.uk");
    }

    #[test]
    fn converts_idn_to_a_labels() {
        assert_eq!(ok("bücher.example"), "xn--bcher-kva.example");
        assert_eq!(ok("BÜCHER.example"), "xn--bcher-kva.example");
        assert_eq!(ok("例え.テスト"), "xn--r8jz45g.xn--zckzah");
        let name = DomainName::parse("xn--bcher-kva.example").unwrap();
        assert_eq!(name.unicode().as_deref(), Some("bücher.example"));
        assert_eq!(DomainName::parse("example.com").unwrap().unicode(), None);
    }

    #[test]
    fn refuses_ip_literals() {
        for ip in ["192.0.2.1", "[2001:db8::1]", "2001:db8::1", "::1"] {
            assert!(
                matches!(DomainName::parse(ip), Err(DomainNameError::IpLiteral(_))),
                "{ip}"
            );
        }
        assert_eq!(DomainName::parse("1.2.3"), Err(DomainNameError::NumericTld("3".into())));
    }

    #[test]
    fn refuses_structural_errors() {
        assert_eq!(DomainName::parse("   "), Err(DomainNameError::Empty));
        assert_eq!(
            DomainName::parse("localhost"),
            Err(DomainNameError::SingleLabel("localhost".into()))
        );
        assert_eq!(DomainName::parse("a..b"), Err(DomainNameError::EmptyLabel));
        assert_eq!(DomainName::parse(".a.b"), Err(DomainNameError::EmptyLabel));
        assert_eq!(DomainName::parse("."), Err(DomainNameError::EmptyLabel));
        assert_eq!(
            DomainName::parse("-a.example"),
            Err(DomainNameError::HyphenAtEdge("-a".into()))
        );
        assert_eq!(
            DomainName::parse("a_b.example"),
            Err(DomainNameError::InvalidCharacter('_'))
        );
        assert_eq!(
            DomainName::parse("a b.example"),
            Err(DomainNameError::InvalidCharacter(' '))
        );
        assert_eq!(
            DomainName::parse("https://example.com"),
            Err(DomainNameError::NotBareName)
        );
        assert_eq!(DomainName::parse("example.com:25"), Err(DomainNameError::NotBareName));
        assert_eq!(DomainName::parse("user@example.com"), Err(DomainNameError::NotBareName));
    }

    #[test]
    fn enforces_length_limits() {
        let label63 = "a".repeat(63);
        assert!(DomainName::parse(&format!("{label63}.example")).is_ok());
        let label64 = "a".repeat(64);
        assert!(matches!(
            DomainName::parse(&format!("{label64}.example")),
            Err(DomainNameError::LabelTooLong(_))
        ));
        let long = format!("{0}.{0}.{0}.{0}.com", "b".repeat(62)); // 4*63 + 3 = 255
        assert_eq!(DomainName::parse(&long), Err(DomainNameError::TooLong));
        let fits = format!("{0}.{0}.{0}.{1}.com", "b".repeat(62), "c".repeat(60));
        assert_eq!(fits.len(), 253);
        assert!(DomainName::parse(&fits).is_ok());
    }

    #[test]
    fn refuses_broken_a_labels() {
        assert!(matches!(
            DomainName::parse("xn--zz.example"),
            Err(DomainNameError::InvalidIdn(_))
        ));
    }

    #[test]
    fn deserialises_through_the_parser() {
        let name: DomainName = serde_json::from_str("\"Example.com.\"").unwrap();
        assert_eq!(name.as_str(), "example.com");
        assert!(serde_json::from_str::<DomainName>("\"10.0.0.1\"").is_err());
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(labels in proptest::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", 1..5), tld in "[a-zA-Z]{2,6}") {
            let input = format!("{}.{}", labels.join("."), tld);
            let once = DomainName::parse(&input).unwrap();
            let twice = DomainName::parse(once.as_str()).unwrap();
            prop_assert_eq!(&once, &twice);
            prop_assert_eq!(once.as_str(), input.to_ascii_lowercase());
        }

        #[test]
        fn never_panics_and_output_is_ldh(input in "\\PC{0,80}") {
            if let Ok(name) = DomainName::parse(&input) {
                prop_assert!(name.as_str().len() <= MAX_NAME_LEN);
                prop_assert!(name.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'));
                prop_assert!(name.as_str().split('.').count() >= 2);
            }
        }
    }
}
