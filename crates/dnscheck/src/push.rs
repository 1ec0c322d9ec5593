//! Push mode: the `_mta-sts` TXT written into the owner's own DNS by an RFC 2136 update signed
//! with TSIG, through `dns-update` (which also implements common providers' APIs). The record
//! set is replaced, not appended to: two `v=STSv1` records would make senders ignore both.

use dns_update::{DnsRecord, DnsRecordType, DnsUpdater, TsigAlgorithm};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// TTL of a pushed `_mta-sts` TXT: short, so a new id reaches resolvers soon.
pub const PUSH_TTL: u32 = 300;

/// How long one push may take, connection included.
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// TSIG algorithms offered, by their BIND names.
pub const TSIG_ALGORITHMS: [&str; 3] = ["hmac-sha256", "hmac-sha384", "hmac-sha512"];

/// Where and how to send updates: the primary server (UDP, or TCP with `tcp://`), the TSIG key's
/// name, algorithm and secret.
#[derive(Clone)]
pub struct PushTarget {
    pub server: PushServer,
    pub key_name: String,
    pub algorithm: String,
    pub secret: Vec<u8>,
}

impl fmt::Debug for PushTarget {
    // The secret stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushTarget")
            .field("server", &self.server)
            .field("key_name", &self.key_name)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// The primary server's address: `192.0.2.1`, `192.0.2.1:5353`, `[2001:db8::1]:53`, with an
/// optional `udp://` or `tcp://` in front (UDP by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushServer {
    pub addr: SocketAddr,
    pub tcp: bool,
}

impl PushServer {
    pub fn parse(input: &str) -> Result<Self, PushError> {
        let input = input.trim();
        let (rest, tcp) = match (input.strip_prefix("tcp://"), input.strip_prefix("udp://")) {
            (Some(rest), _) => (rest, true),
            (_, Some(rest)) => (rest, false),
            _ => (input, false),
        };
        let addr = rest
            .parse::<SocketAddr>()
            .or_else(|_| rest.parse::<std::net::IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
            .map_err(|_| {
                PushError::Settings(
                    "the server is an IP address with an optional port (192.0.2.1, 192.0.2.1:53, [2001:db8::1]:53), optionally after tcp:// or udp://".into(),
                )
            })?;
        Ok(Self { addr, tcp })
    }
}

impl fmt::Display for PushServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", if self.tcp { "tcp" } else { "udp" }, self.addr)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The settings cannot work (bad address, algorithm, key).
    #[error("{0}")]
    Settings(String),
    /// The server answered and refused.
    #[error("{0}")]
    Refused(String),
    /// No usable answer: unreachable, timed out, or a response that failed TSIG verification.
    #[error("{0}")]
    Failed(String),
}

/// A TSIG key name as BIND writes it: DNS labels (letters, digits, `-`, `_`), single-label names
/// included; lower-cased, without the final dot.
pub fn key_name(input: &str) -> Result<String, PushError> {
    let name = input.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok =
        |l: &str| (1..=63).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok) {
        Ok(name)
    } else {
        Err(PushError::Settings(
            "the key name is a DNS name, as in the key's BIND definition (for example portcullis-key)".into(),
        ))
    }
}

fn algorithm(name: &str) -> Result<TsigAlgorithm, PushError> {
    match name {
        "hmac-sha256" => Ok(TsigAlgorithm::HmacSha256),
        "hmac-sha384" => Ok(TsigAlgorithm::HmacSha384),
        "hmac-sha512" => Ok(TsigAlgorithm::HmacSha512),
        _ => Err(PushError::Settings(format!(
            "the TSIG algorithm is one of {}",
            TSIG_ALGORITHMS.join(", ")
        ))),
    }
}

/// Words for a refused update's response code, saying what usually causes it.
fn refused(rcode: &str, zone: &str) -> PushError {
    let why = match rcode.to_ascii_uppercase().as_str() {
        c if c.contains("NOTAUTH") => {
            "the server did not accept the TSIG key (wrong key name, algorithm or secret), or is not authoritative for the zone"
        }
        c if c.contains("REFUSED") => "the server does not allow this key to update the zone (its update-policy or allow-update)",
        c if c.contains("NOTZONE") => "the name is outside the zone",
        c if c.contains("SERVFAIL") => "the server failed to apply the update",
        _ => "the update was not applied",
    };
    PushError::Refused(format!("the DNS server answered {rcode} for zone {zone}: {why}"))
}

fn failed(e: dns_update::Error, target: &PushTarget, zone: &str) -> PushError {
    match e {
        dns_update::Error::Response(rcode) => refused(&rcode, zone),
        dns_update::Error::Unauthorized => PushError::Refused(
            "the DNS server did not accept the TSIG key (wrong key name, algorithm or secret)".into(),
        ),
        other => {
            let detail = match other {
                dns_update::Error::Protocol(s) | dns_update::Error::Client(s) | dns_update::Error::Parse(s) => s,
                other => format!("{other:?}"),
            };
            PushError::Failed(format!("no valid answer from {}: {detail}", target.server))
        }
    }
}

/// Replaces the TXT records at `name` (in `zone`) with `value`.
pub async fn push_txt(target: &PushTarget, zone: &str, name: &str, value: &str) -> Result<(), PushError> {
    let updater = DnsUpdater::new_rfc2136_tsig(
        target.server.to_string(),
        &target.key_name,
        target.secret.clone(),
        algorithm(&target.algorithm)?,
    )
    .map_err(|e| PushError::Settings(format!("the push settings are unusable: {e:?}")))?;
    let work = async {
        updater
            .delete(name, zone, DnsRecordType::TXT)
            .await
            .map_err(|e| failed(e, target, zone))?;
        updater
            .create(name, DnsRecord::TXT(value.to_string()), PUSH_TTL, zone)
            .await
            .map_err(|e| failed(e, target, zone))
    };
    match tokio::time::timeout(PUSH_TIMEOUT, work).await {
        // A server that refuses a key answers unsigned (or signed with an error), which the
        // client only reports as a protocol error. If the server answers a plain query, the key
        // is what failed: say so.
        Ok(Err(PushError::Failed(_))) if answers_plain_queries(target, name).await => Err(PushError::Refused(format!(
            "{} answers queries, but refused the update signed with TSIG key {} ({}): the key name, algorithm or secret does not match the server's",
            target.server, target.key_name, target.algorithm
        ))),
        Ok(result) => result,
        Err(_) => Err(PushError::Failed(format!(
            "{} did not answer within {} s",
            target.server,
            PUSH_TIMEOUT.as_secs()
        ))),
    }
}

/// Whether the server answers an unsigned query for `name` (any answer, NXDOMAIN included).
async fn answers_plain_queries(target: &PushTarget, name: &str) -> bool {
    match crate::Dns::new(Some(target.server.addr)) {
        Ok(dns) => dns.txt(name).await.is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses() {
        let s = PushServer::parse("192.0.2.1").unwrap();
        assert_eq!((s.addr.to_string(), s.tcp), ("192.0.2.1:53".into(), false));
        let s = PushServer::parse("tcp://[2001:db8::1]:5353").unwrap();
        assert_eq!((s.addr.to_string(), s.tcp), ("[2001:db8::1]:5353".into(), true));
        assert_eq!(s.to_string(), "tcp://[2001:db8::1]:5353");
        assert!(PushServer::parse("ns1.example.com").is_err());
        assert!(PushServer::parse("http://192.0.2.1").is_err());
    }

    #[test]
    fn key_names() {
        assert_eq!(key_name("Portcullis-Key.").unwrap(), "portcullis-key");
        assert_eq!(key_name("tsig.example.com").unwrap(), "tsig.example.com");
        assert!(key_name("").is_err());
        assert!(key_name("two words").is_err());
        assert!(key_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn algorithms_and_secrets_stay_out_of_debug() {
        assert!(algorithm("hmac-md5").is_err());
        for name in TSIG_ALGORITHMS {
            assert!(algorithm(name).is_ok());
        }
        let target = PushTarget {
            server: PushServer::parse("127.0.0.1").unwrap(),
            key_name: "k".into(),
            algorithm: "hmac-sha256".into(),
            secret: b"very secret".to_vec(),
        };
        assert!(!format!("{target:?}").contains("secret\""));
        assert!(!format!("{target:?}").contains("very"));
    }
}
