//! TXT, CNAME and TLSA look-ups for the checks: the raw answers, with the CNAME a TXT answer was
//! reached through (senders follow it, and users should know it is there).

use crate::resolver::{classify, fqdn, Dns, DnsError};
use hickory_resolver::proto::rr::{RData, RecordType};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxtAnswer {
    /// Each record's strings joined, as senders read them.
    pub records: Vec<String>,
    /// The alias target when the name is a CNAME.
    pub via_cname: Option<String>,
}

fn plain(name: &hickory_resolver::proto::rr::Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

impl Dns {
    /// The TXT records at `name`; empty when there are none or the name does not exist.
    pub async fn txt(&self, name: &str) -> Result<TxtAnswer, DnsError> {
        let lookup = match self.resolver.lookup(fqdn(name), RecordType::TXT).await {
            Ok(lookup) => lookup,
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => {
                // A CNAME to a name without TXT is still worth telling the user about.
                return Ok(TxtAnswer {
                    records: Vec::new(),
                    via_cname: self.cname(name).await?,
                });
            }
            Err(e) => return Err(classify(&e)),
        };
        let mut answer = TxtAnswer::default();
        for record in lookup.records() {
            match record.data() {
                RData::TXT(txt) => {
                    let bytes: Vec<u8> = txt.txt_data().iter().flat_map(|s| s.iter().copied()).collect();
                    answer.records.push(String::from_utf8_lossy(&bytes).into_owned());
                }
                RData::CNAME(target) if answer.via_cname.is_none() => answer.via_cname = Some(plain(&target.0)),
                _ => {}
            }
        }
        if answer.via_cname.is_none() {
            answer.via_cname = self.cname(name).await?;
        }
        Ok(answer)
    }

    /// The CNAME target of `name`, if it is an alias.
    pub async fn cname(&self, name: &str) -> Result<Option<String>, DnsError> {
        match self.resolver.lookup(fqdn(name), RecordType::CNAME).await {
            Ok(lookup) => Ok(lookup.records().iter().find_map(|r| match r.data() {
                RData::CNAME(target) => Some(plain(&target.0)),
                _ => None,
            })),
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => Ok(None),
            Err(e) => Err(classify(&e)),
        }
    }

    /// How many TLSA records `name` has (DANE is reported, not checked).
    pub async fn tlsa_count(&self, name: &str) -> Result<usize, DnsError> {
        match self.resolver.lookup(fqdn(name), RecordType::TLSA).await {
            Ok(lookup) => Ok(lookup
                .records()
                .iter()
                .filter(|r| r.record_type() == RecordType::TLSA)
                .count()),
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => Ok(0),
            Err(e) => Err(classify(&e)),
        }
    }
}
