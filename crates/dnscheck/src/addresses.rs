//! A and AAAA look-ups, to tell whether a name points at this server.

use crate::resolver::{classify, fqdn, Dns, DnsError};
use std::net::IpAddr;

impl Dns {
    /// Every address of `name` (following CNAMEs); empty when it has none or does not exist.
    pub async fn addresses(&self, name: &str) -> Result<Vec<IpAddr>, DnsError> {
        match self.resolver.lookup_ip(fqdn(name)).await {
            Ok(lookup) => {
                let mut ips: Vec<IpAddr> = lookup.iter().collect();
                ips.sort();
                ips.dedup();
                Ok(ips)
            }
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => Ok(Vec::new()),
            Err(e) => Err(classify(&e)),
        }
    }
}
