//! How a report arrived and who vouches for its origin. Anyone can POST a report or send a
//! mail claiming to be google.com; the enforce gate counts *sources* (a verified DKIM signing
//! domain, or a network address) rather than the organisation names reports claim, so forged
//! reports from one place cannot open it alone.

use serde::{Deserialize, Serialize};

/// Longest `arrival` text kept (it is built from a few short facts).
const MAX_ARRIVAL: usize = 300;

/// What DKIM said about a report mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DkimVerdict {
    /// A signature verified; the signing domain (`d=`).
    Pass { domain: String },
    /// Signatures present, none verified: the first one's domain and why.
    Fail { domain: String, reason: String },
    /// No signature, or DKIM could not be checked (DNS down): `reason` says which.
    None { reason: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// For people: "HTTPS from 192.0.2.9 over TLSv1.3 (TLS13_AES_256_GCM_SHA384)".
    pub arrival: Option<String>,
    /// What the gate counts distinct: `dkim:<domain>`, `ip:<address>`, `mailbox`, `upload` or
    /// `import`. `None` when nothing is known (counted by organisation name, as before).
    pub source: Option<String>,
    /// The verified DKIM signing domain, when there is one.
    pub dkim_domain: Option<String>,
}

fn capped(text: String) -> Option<String> {
    Some(text.chars().take(MAX_ARRIVAL).collect())
}

/// Only what a protocol name or cipher suite name can hold: they come from our own TLS stack,
/// but the text ends up on pages.
fn token(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(64)
        .collect()
}

impl Provenance {
    /// A report POSTed over HTTPS (or plain HTTP behind a proxy) from `client`; `tls` is the
    /// negotiated protocol version and cipher suite.
    pub fn https(client: std::net::IpAddr, tls: Option<(&str, &str)>) -> Self {
        let how = match tls {
            Some((version, cipher)) => format!("HTTPS from {client} over {} ({})", token(version), token(cipher)),
            None => format!("HTTP from {client} (TLS ended before Portcullis, or none)"),
        };
        Self {
            arrival: capped(how),
            source: Some(format!("ip:{client}")),
            dkim_domain: None,
        }
    }

    /// A report mail: received over SMTP from `peer` (with its TLS version, if STARTTLS was
    /// used) or fetched from the IMAP mailbox (`peer` `None`), with its DKIM verdict.
    pub fn mail(peer: Option<std::net::IpAddr>, tls: Option<&str>, dkim: &DkimVerdict) -> Self {
        let how = match (peer, tls) {
            (Some(ip), Some(version)) => format!("mail via SMTP from {ip} over {}", token(version)),
            (Some(ip), None) => format!("mail via SMTP from {ip} without TLS"),
            (None, _) => "mail fetched from the IMAP mailbox".to_string(),
        };
        let dkim_words = match dkim {
            DkimVerdict::Pass { domain } => format!("DKIM pass (d={domain})"),
            DkimVerdict::Fail { domain, reason } => format!("DKIM fail (d={domain}: {reason})"),
            DkimVerdict::None { reason } => format!("no valid DKIM ({reason})"),
        };
        let (source, dkim_domain) = match (dkim, peer) {
            (DkimVerdict::Pass { domain }, _) => (format!("dkim:{domain}"), Some(domain.clone())),
            (_, Some(ip)) => (format!("ip:{ip}"), None),
            (_, None) => ("mailbox".to_string(), None),
        };
        Self {
            arrival: capped(format!("{how}, {dkim_words}")),
            source: Some(source),
            dkim_domain,
        }
    }

    /// Uploaded in the dashboard or imported from the command line: the user vouches for it.
    pub fn by_hand(channel: &str, who: &str) -> Self {
        let how = match channel {
            "upload" => format!("uploaded in the dashboard ({who})"),
            _ => format!("imported from the command line ({who})"),
        };
        Self {
            arrival: capped(how),
            source: Some(channel.to_string()),
            dkim_domain: None,
        }
    }

    /// Whether the origin is authenticated (a verified DKIM signature).
    pub fn is_authenticated(&self) -> bool {
        self.dkim_domain.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_prefer_a_verified_signature_then_the_address() {
        let ip: std::net::IpAddr = "192.0.2.9".parse().unwrap();
        let https = Provenance::https(ip, Some(("TLSv1_3", "TLS13_AES_256_GCM_SHA384")));
        assert_eq!(https.source.as_deref(), Some("ip:192.0.2.9"));
        assert_eq!(
            https.arrival.as_deref(),
            Some("HTTPS from 192.0.2.9 over TLSv1_3 (TLS13_AES_256_GCM_SHA384)")
        );
        let pass = DkimVerdict::Pass {
            domain: "google.com".into(),
        };
        let signed = Provenance::mail(Some(ip), Some("TLSv1_3"), &pass);
        assert_eq!(signed.source.as_deref(), Some("dkim:google.com"));
        assert!(signed.is_authenticated());
        assert_eq!(
            signed.arrival.as_deref(),
            Some("mail via SMTP from 192.0.2.9 over TLSv1_3, DKIM pass (d=google.com)")
        );
        let failed = DkimVerdict::Fail {
            domain: "google.com".into(),
            reason: "signature does not verify".into(),
        };
        let forged = Provenance::mail(Some(ip), None, &failed);
        assert_eq!(forged.source.as_deref(), Some("ip:192.0.2.9"));
        assert!(!forged.is_authenticated());
        let fetched = Provenance::mail(
            None,
            None,
            &DkimVerdict::None {
                reason: "no signature".into(),
            },
        );
        assert_eq!(fetched.source.as_deref(), Some("mailbox"));
        assert_eq!(
            fetched.arrival.as_deref(),
            Some("mail fetched from the IMAP mailbox, no valid DKIM (no signature)")
        );
        assert_eq!(
            Provenance::by_hand("upload", "a@b.example").source.as_deref(),
            Some("upload")
        );
        // Our own TLS facts only ever hold these characters; anything else is dropped.
        let odd = Provenance::https(ip, Some(("<b>", "x y")));
        assert_eq!(odd.arrival.as_deref(), Some("HTTPS from 192.0.2.9 over b (xy)"));
    }
}
