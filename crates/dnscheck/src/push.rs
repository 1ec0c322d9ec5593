//! Push mode: the `_mta-sts` TXT written into the owner's own DNS, by an RFC 2136 update signed
//! with TSIG or through a DNS provider's API (Cloudflare), both through `dns-update`. The record
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

/// Ways to push, by the names the settings store: RFC 2136 to the owner's primary server, or
/// Cloudflare's API.
pub const PUSH_PROVIDERS: [&str; 2] = ["rfc2136", "cloudflare"];

/// Most TXT records removed at the name before the new one is written (the provider's API
/// removes one per call); more means something else writes there, and the push stops.
const MAX_REPLACED: usize = 8;

/// Where a push goes.
#[derive(Clone, Debug)]
pub enum PushDestination {
    Rfc2136(PushTarget),
    Cloudflare(ApiToken),
}

/// A provider's API token: kept out of `Debug` and logs.
#[derive(Clone)]
pub struct ApiToken(String);

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(..)")
    }
}

impl ApiToken {
    /// A Cloudflare API token as shown once in its dashboard: 20 to 200 letters, digits, `-`,
    /// `_` or `.`.
    pub fn parse(input: &str) -> Result<Self, PushError> {
        let token = input.trim();
        let ok = (20..=200).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Self(token.to_string()))
        } else {
            Err(PushError::Settings(
                "the API token is the one Cloudflare showed when it was made (20 to 200 letters, digits, - or _), with permission Zone → DNS → Edit for the domain's zone".into(),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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

/// Replaces the TXT records at `name` (in `zone`, or the closest zone above it for a provider)
/// with `value`.
pub async fn push_txt(destination: &PushDestination, zone: &str, name: &str, value: &str) -> Result<(), PushError> {
    match destination {
        PushDestination::Rfc2136(target) => push_rfc2136(target, zone, name, value).await,
        PushDestination::Cloudflare(token) => push_cloudflare(token, zone, name, value).await,
    }
}

/// Words for an API refusal, saying what usually causes it.
fn api_failed(e: dns_update::Error, zone: &str) -> PushError {
    match e {
        dns_update::Error::Unauthorized => PushError::Refused(
            "Cloudflare did not accept the API token (revoked, expired or mistyped): make a new one with permission Zone → DNS → Edit".into(),
        ),
        dns_update::Error::Api(m) if m.contains("No Cloudflare zone found") => PushError::Refused(format!(
            "the API token sees no Cloudflare zone for {zone}: the domain is not on this Cloudflare account, or the token is limited to other zones"
        )),
        dns_update::Error::Api(m) if m.contains("code 403") => PushError::Refused(format!(
            "Cloudflare refused the change: the API token lacks permission Zone → DNS → Edit for {zone}"
        )),
        dns_update::Error::Api(m) if m.contains("Failed to send request") => {
            PushError::Failed(format!("Cloudflare's API could not be reached: {m}"))
        }
        dns_update::Error::Api(m) | dns_update::Error::Serialize(m) | dns_update::Error::Client(m) => {
            PushError::Failed(format!("Cloudflare's API answered unexpectedly: {m}"))
        }
        other => PushError::Failed(format!("Cloudflare's API answered unexpectedly: {other:?}")),
    }
}

async fn push_cloudflare(token: &ApiToken, zone: &str, name: &str, value: &str) -> Result<(), PushError> {
    let updater = DnsUpdater::new_cloudflare(token.as_str(), None::<&str>, Some(PUSH_TIMEOUT))
        .map_err(|e| PushError::Settings(format!("the push settings are unusable: {e:?}")))?;
    let work = async {
        let mut removed = 0;
        loop {
            match updater.delete(name, zone, DnsRecordType::TXT).await {
                Ok(()) if removed < MAX_REPLACED => removed += 1,
                Ok(()) => {
                    return Err(PushError::Refused(format!(
                        "more than {MAX_REPLACED} TXT records at {name}: something else writes there; remove them and push again"
                    )))
                }
                Err(dns_update::Error::Api(m)) if m.contains("not found") => break,
                Err(e) => return Err(api_failed(e, zone)),
            }
        }
        updater
            .create(name, DnsRecord::TXT(value.to_string()), PUSH_TTL, zone)
            .await
            .map_err(|e| api_failed(e, zone))
    };
    tokio::time::timeout(PUSH_TIMEOUT * 3, work).await.unwrap_or_else(|_| {
        Err(PushError::Failed(format!(
            "Cloudflare's API did not finish within {} s",
            PUSH_TIMEOUT.as_secs() * 3
        )))
    })
}

async fn push_rfc2136(target: &PushTarget, zone: &str, name: &str, value: &str) -> Result<(), PushError> {
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
    fn api_tokens() {
        let token = ApiToken::parse(" abcdefghij_KLMNOPQRST-0123456789 ").unwrap();
        assert_eq!(token.as_str(), "abcdefghij_KLMNOPQRST-0123456789");
        assert_eq!(
            format!("{:?}", PushDestination::Cloudflare(token)),
            "Cloudflare(ApiToken(..))"
        );
        assert!(ApiToken::parse("short").is_err());
        assert!(ApiToken::parse(&"a".repeat(201)).is_err());
        assert!(ApiToken::parse("abcdefghij klmnopqrst 0123").is_err(), "no spaces");
        assert!(
            ApiToken::parse("abcdefghij\nklmnopqrst0123").is_err(),
            "no header injection"
        );
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
