//! MX look-up, with the outcomes a user must be told apart: hosts, null MX (RFC 7505: the
//! domain accepts no mail), no MX at all, and a name that does not exist.

use crate::resolver::{classify, fqdn, Dns, DnsError};
use portcullis_domain::DomainName;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxRecord {
    pub preference: u16,
    /// Lower case, without the trailing root dot.
    pub host: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MxAnswer {
    /// Sorted by preference, then name.
    Hosts {
        records: Vec<MxRecord>,
    },
    NullMx,
    NoMx,
    NoDomain,
}

impl MxAnswer {
    pub fn hosts(&self) -> Vec<String> {
        match self {
            MxAnswer::Hosts { records } => records.iter().map(|r| r.host.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// What to tell a user who asked for a policy from these records, when there is nothing to
    /// generate from.
    pub fn explain(&self) -> Option<&'static str> {
        match self {
            MxAnswer::Hosts { .. } => None,
            MxAnswer::NullMx => Some(
                "the domain publishes a null MX (\".\"): it declares that it accepts no mail, so an \
                 MTA-STS policy has nothing to protect; use mode none or remove the null MX first",
            ),
            MxAnswer::NoMx => Some(
                "the domain has no MX records: senders fall back to its A/AAAA address, which \
                 MTA-STS cannot cover; publish MX records first",
            ),
            MxAnswer::NoDomain => {
                Some("the domain does not exist in DNS (NXDOMAIN); check the spelling or register it")
            }
        }
    }
}

impl Dns {
    pub async fn mx(&self, domain: &DomainName) -> Result<MxAnswer, DnsError> {
        let lookup = match self.resolver.mx_lookup(fqdn(domain.as_str())).await {
            Ok(lookup) => lookup,
            Err(e) if e.is_nx_domain() => return Ok(MxAnswer::NoDomain),
            Err(e) if e.is_no_records_found() => return Ok(MxAnswer::NoMx),
            Err(e) => return Err(classify(&e)),
        };
        let mut records: Vec<MxRecord> = lookup
            .iter()
            .map(|mx| MxRecord {
                preference: mx.preference(),
                host: mx.exchange().to_ascii().trim_end_matches('.').to_ascii_lowercase(),
            })
            .collect();
        if records.len() == 1 && records[0].host.is_empty() {
            return Ok(MxAnswer::NullMx);
        }
        records.retain(|r| !r.host.is_empty());
        if records.is_empty() {
            return Ok(MxAnswer::NoMx);
        }
        records.sort_by(|a, b| (a.preference, &a.host).cmp(&(b.preference, &b.host)));
        records.dedup();
        Ok(MxAnswer::Hosts { records })
    }
}
