//! The records a domain owner publishes, exactly as they should appear, one by one and as a
//! BIND zone-file snippet.

use super::{StsRecord, TlsRptRecord};
use crate::policy::PolicyId;
use crate::DomainName;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One record to publish. `name` is the fully qualified owner without the trailing dot; `value`
/// is what goes in a provider's "value" box (TXT unquoted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub value: String,
}

/// Where this server takes TLS-RPT reports, as `rua=` URIs want them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportAddresses {
    /// `tlsrpt@reports.example.net`
    pub mailto: Option<String>,
    /// `https://reports.example.net/tlsrpt`
    pub https: Option<String>,
}

impl ReportAddresses {
    pub fn uris(&self) -> Vec<String> {
        let mut uris = Vec::new();
        if let Some(m) = &self.mailto {
            uris.push(format!("mailto:{m}"));
        }
        if let Some(h) = &self.https {
            uris.push(h.clone());
        }
        uris
    }
}

/// The records for `domain`: the policy host pointing at `public_host` (CNAME, or A/AAAA when it
/// is an address), the `_mta-sts` id once a policy exists, and `_smtp._tls` when this server has
/// report addresses.
pub fn publish_records(
    domain: &DomainName,
    public_host: &str,
    policy_id: Option<&PolicyId>,
    reports: &ReportAddresses,
) -> Vec<DnsRecord> {
    let mut records = Vec::new();
    let policy_host = format!("mta-sts.{domain}");
    let host = public_host.trim_end_matches('.');
    records.push(match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => DnsRecord {
            name: policy_host,
            rtype: "A".into(),
            value: ip.to_string(),
        },
        Ok(IpAddr::V6(ip)) => DnsRecord {
            name: policy_host,
            rtype: "AAAA".into(),
            value: ip.to_string(),
        },
        Err(_) => DnsRecord {
            name: policy_host,
            rtype: "CNAME".into(),
            value: format!("{host}."),
        },
    });
    if let Some(id) = policy_id {
        records.push(DnsRecord {
            name: format!("_mta-sts.{domain}"),
            rtype: "TXT".into(),
            value: StsRecord::render(id),
        });
    }
    let uris = reports.uris();
    if !uris.is_empty() {
        records.push(DnsRecord {
            name: format!("_smtp._tls.{domain}"),
            rtype: "TXT".into(),
            value: TlsRptRecord::render(&uris),
        });
    }
    records
}

/// The records as BIND zone-file lines (absolute names, one hour TTL, TXT quoted and split into
/// 255-byte strings).
pub fn zone_snippet(records: &[DnsRecord]) -> String {
    records
        .iter()
        .map(|r| {
            let value = if r.rtype == "TXT" {
                quote_txt(&r.value)
            } else {
                r.value.clone()
            };
            format!("{}.\t3600\tIN\t{}\t{}\n", r.name, r.rtype, value)
        })
        .collect()
}

fn quote_txt(value: &str) -> String {
    let escaped: Vec<String> = value
        .as_bytes()
        .chunks(255)
        .map(|chunk| {
            let s = String::from_utf8_lossy(chunk);
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
        })
        .collect();
    escaped.join(" ")
}

/// Where the names go at common DNS hosts: the mistakes that most often break these records.
pub const PROVIDER_NOTES: &[(&str, &str)] = &[
    (
        "Relative or full names",
        "Most web panels (Cloudflare, GoDaddy, Namecheap, Gandi, OVH) want the name relative to \
         the zone: enter _mta-sts, mta-sts and _smtp._tls, not the full name. Route 53, Google \
         Cloud DNS and zone files want the full name; in a zone file end it with a dot.",
    ),
    (
        "Quoting TXT values",
        "Web panels add the quotes themselves: paste the value without them. Zone files and \
         Route 53 need them, as in the snippet. Never add quotes twice, or the record starts \
         with a quote character and senders ignore it.",
    ),
    (
        "Cloudflare",
        "Set the mta-sts CNAME to \"DNS only\" (grey cloud) unless this server sits behind \
         Cloudflare on purpose: a proxied record serves Cloudflare's certificate, not the one \
         issued here.",
    ),
    (
        "TTL",
        "An hour (3600) is a good default. Lower the _mta-sts TTL to a few minutes before a \
         planned policy change so the new id reaches senders quickly.",
    ),
    (
        "Order of changes",
        "Change the policy here first, then the _mta-sts id, and only then the MX records: \
         senders fetch a new policy only when they see a new id.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> DomainName {
        DomainName::parse("example.com").unwrap()
    }

    #[test]
    fn lists_every_record() {
        let reports = ReportAddresses {
            mailto: Some("tlsrpt@portcullis.example.net".into()),
            https: Some("https://portcullis.example.net/tlsrpt".into()),
        };
        let id = PolicyId::new("20261128T101500").unwrap();
        let records = publish_records(&domain(), "portcullis.example.net", Some(&id), &reports);
        let rows: Vec<(&str, &str, &str)> = records
            .iter()
            .map(|r| (r.name.as_str(), r.rtype.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("mta-sts.example.com", "CNAME", "portcullis.example.net."),
                ("_mta-sts.example.com", "TXT", "v=STSv1; id=20261128T101500"),
                (
                    "_smtp._tls.example.com",
                    "TXT",
                    "v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.example.net,https://portcullis.example.net/tlsrpt"
                ),
            ]
        );
        let zone = zone_snippet(&records);
        assert!(zone.contains("mta-sts.example.com.\t3600\tIN\tCNAME\tportcullis.example.net.\n"));
        assert!(zone.contains("_mta-sts.example.com.\t3600\tIN\tTXT\t\"v=STSv1; id=20261128T101500\"\n"));
        // What we tell users to publish parses with the same rules the checker applies.
        assert!(TlsRptRecord::parse(&records[2].value).is_ok());
    }

    #[test]
    fn addresses_and_missing_parts() {
        let records = publish_records(&domain(), "192.0.2.7", None, &ReportAddresses::default());
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].rtype.as_str(), records[0].value.as_str()),
            ("A", "192.0.2.7")
        );
        let records = publish_records(&domain(), "2001:db8::7", None, &ReportAddresses::default());
        assert_eq!(records[0].rtype, "AAAA");
    }

    #[test]
    fn long_txt_is_split_and_quotes_escaped() {
        let r = DnsRecord {
            name: "x.example.com".into(),
            rtype: "TXT".into(),
            value: format!("a\"b{}", "c".repeat(300)),
        };
        let zone = zone_snippet(&[r]);
        assert!(zone.contains("\"a\\\"b"));
        assert_eq!(
            zone.matches('"').count(),
            4 + 1,
            "two strings plus one escaped quote: {zone}"
        );
    }
}
