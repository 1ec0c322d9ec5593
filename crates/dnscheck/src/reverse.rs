//! Reverse DNS of the sending MTAs named in TLS-RPT failure details.

use crate::resolver::{classify, Dns, DnsError};
use std::net::IpAddr;

/// The name an address's PTR record gives, and whether that name resolves back to the address
/// (forward-confirmed): an unconfirmed name is only what the address's owner claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverseName {
    pub name: String,
    pub confirmed: bool,
}

impl Dns {
    /// The first PTR name of `ip` (without the trailing dot), `None` when it has none.
    pub async fn reverse(&self, ip: IpAddr) -> Result<Option<ReverseName>, DnsError> {
        let lookup = match self.resolver.reverse_lookup(ip).await {
            Ok(lookup) => lookup,
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => return Ok(None),
            Err(e) => return Err(classify(&e)),
        };
        let mut names: Vec<String> = lookup
            .iter()
            .map(|ptr| ptr.0.to_ascii().trim_end_matches('.').to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        let Some(name) = names.into_iter().next() else {
            return Ok(None);
        };
        // A failed forward look-up only means "not confirmed"; the PTR answer still stands.
        let confirmed = self
            .addresses(&name)
            .await
            .map(|ips| ips.contains(&ip))
            .unwrap_or(false);
        Ok(Some(ReverseName { name, confirmed }))
    }
}
