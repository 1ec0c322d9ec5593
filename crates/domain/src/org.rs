//! Organisation names and their URL slugs.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgName(String);

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgNameError {
    #[error("enter a name for the organisation")]
    Empty,
    #[error("use at most 100 characters")]
    TooLong,
    #[error("the name needs at least one letter or digit")]
    NoSlug,
    #[error("{0:?} is not a valid organisation identifier (lower-case letters, digits, hyphens)")]
    BadSlug(String),
}

impl OrgName {
    pub fn parse(input: &str) -> Result<Self, OrgNameError> {
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(OrgNameError::Empty);
        }
        if name.chars().count() > 100 {
            return Err(OrgNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(OrgNameError::Empty);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL identifier derived from the name: "Acme Corp." → "acme-corp".
    pub fn slug(&self) -> Result<OrgSlug, OrgNameError> {
        let mut slug = String::new();
        for c in self.0.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug.trim_end_matches('-').chars().take(40).collect();
        let slug = slug.trim_end_matches('-').to_string();
        if slug.is_empty() {
            return Err(OrgNameError::NoSlug);
        }
        Ok(OrgSlug(slug))
    }
}

impl OrgSlug {
    pub fn parse(input: &str) -> Result<Self, OrgNameError> {
        let s = input.trim();
        let ok = !s.is_empty()
            && s.len() <= 40
            && !s.starts_with('-')
            && !s.ends_with('-')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(OrgNameError::BadSlug(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        let name = OrgName::parse("  Acme   Corp. (EU) ").unwrap();
        assert_eq!(name.as_str(), "Acme Corp. (EU)");
        assert_eq!(name.slug().unwrap().as_str(), "acme-corp-eu");
        assert_eq!(
            OrgName::parse("Bäckerei Müller").unwrap().slug().unwrap().as_str(),
            "b-ckerei-m-ller"
        );
        assert_eq!(OrgName::parse("***").unwrap().slug(), Err(OrgNameError::NoSlug));
        assert_eq!(OrgName::parse("  "), Err(OrgNameError::Empty));
        assert_eq!(OrgName::parse(&"x".repeat(101)), Err(OrgNameError::TooLong));
    }

    #[test]
    fn slug_parser_accepts_only_canonical_slugs() {
        assert!(OrgSlug::parse("acme-corp").is_ok());
        assert!(OrgSlug::parse("Acme").is_err());
        assert!(OrgSlug::parse("-acme").is_err());
        assert!(OrgSlug::parse("").is_err());
    }
}
