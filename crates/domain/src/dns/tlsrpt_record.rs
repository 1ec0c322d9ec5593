//! The `_smtp._tls.<domain>` TXT record (RFC 8460 §3): `v=TLSRPTv1; rua=<uri>[,<uri>]`.

use super::tag_list::{self, TagListError};
use crate::DomainName;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "lowercase")]
pub enum RuaUri {
    /// The address, lower-cased.
    Mailto {
        address: String,
    },
    Https {
        url: String,
        host: String,
    },
}

impl RuaUri {
    pub fn parse(raw: &str) -> Result<Self, TlsRptRecordError> {
        let bad = || TlsRptRecordError::BadUri(raw.to_string());
        let (scheme, rest) = raw.split_once(':').ok_or_else(bad)?;
        match scheme.to_ascii_lowercase().as_str() {
            "mailto" => {
                // Query parts (?subject=…) are allowed by RFC 6068 and irrelevant here.
                let address = rest.split('?').next().unwrap_or_default();
                let (local, domain) = address.rsplit_once('@').ok_or_else(bad)?;
                if local.is_empty() || local.contains(char::is_whitespace) || DomainName::parse(domain).is_err() {
                    return Err(bad());
                }
                Ok(RuaUri::Mailto {
                    address: address.to_ascii_lowercase(),
                })
            }
            "https" => {
                let after = rest.strip_prefix("//").ok_or_else(bad)?;
                let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
                let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                let host = match host.rsplit_once(':') {
                    Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
                    _ => host,
                };
                if host.is_empty() || DomainName::parse(host).is_err() {
                    return Err(bad());
                }
                Ok(RuaUri::Https {
                    url: raw.to_string(),
                    host: host.to_ascii_lowercase(),
                })
            }
            _ => Err(TlsRptRecordError::Scheme(raw.to_string())),
        }
    }

    pub fn as_uri(&self) -> String {
        match self {
            RuaUri::Mailto { address } => format!("mailto:{address}"),
            RuaUri::Https { url, .. } => url.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRptRecord {
    pub rua: Vec<RuaUri>,
    pub unknown_tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsRptRecordError {
    #[error("the record must start with v=TLSRPTv1")]
    Version,
    #[error("the record has no rua= tag")]
    MissingRua,
    #[error("the tag {0:?} appears twice")]
    Duplicate(String),
    #[error("{0:?} is not a tag=value field")]
    Malformed(String),
    #[error("{0:?} is neither a mailto: address with a local part nor an https:// URL with a host")]
    BadUri(String),
    #[error("{0:?} uses a scheme senders do not support (only mailto: and https:)")]
    Scheme(String),
}

/// Whether senders consider `text` a TLSRPT record at all.
pub fn is_tlsrpt_record(text: &str) -> bool {
    let t = text.trim_start();
    t.strip_prefix("v=TLSRPTv1").is_some_and(|rest| {
        let rest = rest.trim_start_matches([' ', '\t']);
        rest.is_empty() || rest.starts_with(';')
    })
}

impl TlsRptRecord {
    pub fn parse(text: &str) -> Result<Self, TlsRptRecordError> {
        if !is_tlsrpt_record(text) {
            return Err(TlsRptRecordError::Version);
        }
        let fields = tag_list::parse(text).map_err(|e| match e {
            TagListError::Malformed(f) => TlsRptRecordError::Malformed(f),
            TagListError::Duplicate(n) => TlsRptRecordError::Duplicate(n),
        })?;
        let rua = fields
            .iter()
            .find(|(n, _)| n == "rua")
            .ok_or(TlsRptRecordError::MissingRua)?;
        let rua = rua
            .1
            .split(',')
            .map(|u| RuaUri::parse(u.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let unknown_tags = fields
            .iter()
            .skip(1)
            .filter(|(n, _)| n != "rua")
            .map(|(n, _)| n.clone())
            .collect();
        Ok(Self { rua, unknown_tags })
    }

    pub fn render(rua: &[String]) -> String {
        format!("v=TLSRPTv1; rua={}", rua.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_uri_kinds() {
        let r =
            TlsRptRecord::parse("v=TLSRPTv1; rua=mailto:TLSRPT@Example.com,https://r.example.net:8443/tlsrpt").unwrap();
        assert_eq!(
            r.rua,
            vec![
                RuaUri::Mailto {
                    address: "tlsrpt@example.com".into()
                },
                RuaUri::Https {
                    url: "https://r.example.net:8443/tlsrpt".into(),
                    host: "r.example.net".into()
                }
            ]
        );
        assert_eq!(r.rua[0].as_uri(), "mailto:tlsrpt@example.com");
    }

    #[test]
    fn refuses_bad_records() {
        assert_eq!(TlsRptRecord::parse("rua=mailto:a@b.c"), Err(TlsRptRecordError::Version));
        assert_eq!(TlsRptRecord::parse("v=TLSRPTv1;"), Err(TlsRptRecordError::MissingRua));
        assert_eq!(
            TlsRptRecord::parse("v=TLSRPTv1; rua=mailto:@example.com"),
            Err(TlsRptRecordError::BadUri("mailto:@example.com".into()))
        );
        assert_eq!(
            TlsRptRecord::parse("v=TLSRPTv1; rua=https:///path"),
            Err(TlsRptRecordError::BadUri("https:///path".into()))
        );
        assert_eq!(
            TlsRptRecord::parse("v=TLSRPTv1; rua=http://example.com/r"),
            Err(TlsRptRecordError::Scheme("http://example.com/r".into()))
        );
        assert_eq!(
            TlsRptRecord::parse("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com"),
            Err(TlsRptRecordError::Duplicate("rua".into()))
        );
    }
}
