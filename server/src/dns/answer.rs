//! What the delegated zone answers for one question, worked out from the in-memory snapshot:
//! the zone's SOA and NS at its apex, and under each proven domain's proof token the three
//! delegated names (`_mta-sts`, `_smtp._tls`, `mta-sts`). Everything else in the zone is
//! NXDOMAIN; a name that exists without the asked type is NODATA; names outside the zone are
//! refused (no recursion).

use hickory_server::proto::op::ResponseCode;
use hickory_server::proto::rr::rdata::{CNAME, NS, SOA, TXT};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use portcullis_domain::dns::{Delegated, StsRecord, TOKEN_LEN};
use portcullis_domain::PolicyId;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

/// TTL of the `_mta-sts` and `_smtp._tls` TXT records: short, so a new policy id reaches
/// resolvers within a minute.
pub const TXT_TTL: u32 = 60;
/// TTL of the policy host's CNAME or addresses.
pub const HOST_TTL: u32 = 300;
/// TTL of the SOA and NS records.
pub const ZONE_TTL: u32 = 3600;
/// How long resolvers may remember that a name or type does not exist (the SOA minimum).
pub const NEGATIVE_TTL: u32 = 60;

/// Where `mta-sts.<domain>` leads: this server's public name, or its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyHost {
    Name(Name),
    Addrs(Vec<IpAddr>),
}

/// The zone's fixed parts, made once from the settings.
#[derive(Debug, Clone)]
pub struct Zone {
    /// `sts.example-msp.net.`, lower case.
    origin_text: String,
    soa: Record,
    ns: Vec<Record>,
    /// The `_smtp._tls` value (`v=TLSRPTv1; rua=…`), when this server takes reports.
    tlsrpt: Option<String>,
    policy_host: PolicyHost,
}

/// One question's answer: the response code and the sections.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub code: ResponseCode,
    pub answers: Vec<Record>,
    /// The SOA, in the authority section of a negative answer.
    pub soa: Vec<Record>,
}

/// What the snapshot says about a token: the domain, and its served policy id if any.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<(String, Option<Arc<str>>)>;

fn fqdn(name: &str) -> Result<Name, String> {
    let text = format!("{}.", name.trim_end_matches('.'));
    Name::from_str(&text).map_err(|e| format!("{name:?} is not a valid DNS name: {e}"))
}

impl Zone {
    /// `zone` is the delegated zone (`sts.example-msp.net`), `nameservers` the names its NS
    /// records give (at least one), `public_host` where policy hosts lead.
    pub fn new(zone: &str, nameservers: &[String], public_host: &str, tlsrpt: Option<String>) -> Result<Self, String> {
        let origin = fqdn(&zone.to_ascii_lowercase())?;
        let ns_names = nameservers.iter().map(|n| fqdn(n)).collect::<Result<Vec<_>, _>>()?;
        let Some(primary) = ns_names.first().cloned() else {
            return Err("the delegated zone needs at least one name server".into());
        };
        let hostmaster = Name::from_str("hostmaster")
            .and_then(|h| h.append_domain(&origin))
            .map_err(|e| e.to_string())?;
        // Records are made from the snapshot at each answer, so there are no versions to
        // transfer: the serial stays put.
        let soa = SOA::new(primary, hostmaster, 1, 3600, 600, 1_209_600, NEGATIVE_TTL);
        let soa = Record::from_rdata(origin.clone(), ZONE_TTL, RData::SOA(soa));
        let ns = ns_names
            .into_iter()
            .map(|n| Record::from_rdata(origin.clone(), ZONE_TTL, RData::NS(NS(n))))
            .collect();
        let host = public_host.trim_end_matches('.');
        let policy_host = match host.parse::<IpAddr>() {
            Ok(ip) => PolicyHost::Addrs(vec![ip]),
            Err(_) => PolicyHost::Name(fqdn(host)?),
        };
        Ok(Self {
            origin_text: origin.to_ascii(),
            soa,
            ns,
            tlsrpt,
            policy_host,
        })
    }

    /// The zone's name, `sts.example-msp.net.`.
    pub fn origin(&self) -> &str {
        &self.origin_text
    }

    /// The answer to `qname`/`qtype`; `None` when the name is outside the zone (refused).
    pub fn answer(&self, qname: &Name, qtype: RecordType, lookup: Lookup<'_>) -> Option<Answer> {
        let mut text = qname.to_ascii().to_ascii_lowercase();
        if !text.ends_with('.') {
            text.push('.');
        }
        let relative = if text == self.origin_text {
            ""
        } else {
            text.strip_suffix(&self.origin_text)?.strip_suffix('.')?
        };
        let owner = || qname.to_lowercase();
        if relative.is_empty() {
            let mut answers = Vec::new();
            if matches!(qtype, RecordType::SOA | RecordType::ANY) {
                answers.push(self.soa.clone());
            }
            if matches!(qtype, RecordType::NS | RecordType::ANY) {
                answers.extend(self.ns.iter().cloned());
            }
            return Some(self.positive(answers));
        }
        let Some((kind, token)) = Delegated::split(relative) else {
            return Some(self.empty_non_terminal(relative, lookup));
        };
        let Some((_, policy_id)) = lookup(token) else {
            return Some(self.negative(ResponseCode::NXDomain));
        };
        let txt = |value: String| {
            let wanted = matches!(qtype, RecordType::TXT | RecordType::ANY);
            let records = wanted.then(|| Record::from_rdata(owner(), TXT_TTL, RData::TXT(txt_rdata(&value))));
            self.positive(records.into_iter().collect())
        };
        Some(match kind {
            Delegated::StsRecord => match policy_id.and_then(|id| PolicyId::new(&id).ok()) {
                Some(id) => txt(StsRecord::render(&id)),
                None => self.positive(Vec::new()),
            },
            Delegated::TlsRpt => match &self.tlsrpt {
                Some(value) => txt(value.clone()),
                None => self.positive(Vec::new()),
            },
            Delegated::PolicyHost => match &self.policy_host {
                // A CNAME answers every type: the resolver follows it.
                PolicyHost::Name(target) => self.positive(vec![Record::from_rdata(
                    owner(),
                    HOST_TTL,
                    RData::CNAME(CNAME(target.clone())),
                )]),
                PolicyHost::Addrs(addrs) => {
                    let records = addrs
                        .iter()
                        .filter_map(|ip| match (ip, qtype) {
                            (IpAddr::V4(v4), RecordType::A | RecordType::ANY) => Some(RData::A((*v4).into())),
                            (IpAddr::V6(v6), RecordType::AAAA | RecordType::ANY) => Some(RData::AAAA((*v6).into())),
                            _ => None,
                        })
                        .map(|rdata| Record::from_rdata(owner(), HOST_TTL, rdata))
                        .collect();
                    self.positive(records)
                }
            },
        })
    }

    /// `<token>` and `_tls.<token>` exist (they hold names below them) but have no records:
    /// NODATA for a known token, NXDOMAIN for anything else.
    fn empty_non_terminal(&self, relative: &str, lookup: Lookup<'_>) -> Answer {
        let token = relative.strip_prefix("_tls.").unwrap_or(relative);
        if token.len() == TOKEN_LEN && !token.contains('.') && lookup(token).is_some() {
            self.positive(Vec::new())
        } else {
            self.negative(ResponseCode::NXDomain)
        }
    }

    /// Records found, or NODATA (no records, the SOA for the negative TTL).
    fn positive(&self, answers: Vec<Record>) -> Answer {
        if answers.is_empty() {
            return self.negative(ResponseCode::NoError);
        }
        Answer {
            code: ResponseCode::NoError,
            answers,
            soa: Vec::new(),
        }
    }

    fn negative(&self, code: ResponseCode) -> Answer {
        Answer {
            code,
            answers: Vec::new(),
            soa: vec![self.soa.clone()],
        }
    }
}

/// A TXT value as character-strings of at most 255 bytes each (record values are ASCII).
fn txt_rdata(value: &str) -> TXT {
    let parts = value
        .as_bytes()
        .chunks(255)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    TXT::new(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn zone(public_host: &str) -> Zone {
        Zone::new(
            "STS.Example-MSP.net",
            &["ns1.example-msp.net".into(), "ns2.example-msp.net".into()],
            public_host,
            Some("v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.example.net".into()),
        )
        .unwrap()
    }

    fn lookup(token: &str) -> Option<(String, Option<Arc<str>>)> {
        match token {
            TOKEN => Some(("example.com".into(), Some(Arc::from("20261207T120000")))),
            "ffffffffffffffffffffffffffffffff" => Some(("nopolicy.example".into(), None)),
            _ => None,
        }
    }

    fn ask(zone: &Zone, name: &str, qtype: RecordType) -> Option<Answer> {
        zone.answer(&Name::from_str(name).unwrap(), qtype, &lookup)
    }

    fn txt_of(answer: &Answer) -> String {
        match answer.answers[0].data() {
            RData::TXT(txt) => txt.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn delegated_records() {
        let z = zone("portcullis.example.net");
        let sts = ask(&z, &format!("_mta-sts.{TOKEN}.sts.example-msp.net."), RecordType::TXT).unwrap();
        assert_eq!(sts.code, ResponseCode::NoError);
        assert_eq!(txt_of(&sts), "v=STSv1; id=20261207T120000");
        assert_eq!(sts.answers[0].ttl(), TXT_TTL);
        // Case is ignored, as resolvers randomise it.
        let rpt = ask(&z, &format!("_SMTP._tls.{TOKEN}.sts.EXAMPLE-msp.net."), RecordType::TXT).unwrap();
        assert!(txt_of(&rpt).starts_with("v=TLSRPTv1; rua=mailto:"));
        let host = ask(&z, &format!("mta-sts.{TOKEN}.sts.example-msp.net."), RecordType::A).unwrap();
        assert_eq!(
            host.answers[0].data(),
            &RData::CNAME(CNAME(Name::from_str("portcullis.example.net.").unwrap()))
        );
        let by_address = zone("192.0.2.7");
        let a = ask(
            &by_address,
            &format!("mta-sts.{TOKEN}.sts.example-msp.net."),
            RecordType::A,
        )
        .unwrap();
        assert_eq!(
            a.answers[0].data(),
            &RData::A("192.0.2.7".parse::<std::net::Ipv4Addr>().unwrap().into())
        );
        let aaaa = ask(
            &by_address,
            &format!("mta-sts.{TOKEN}.sts.example-msp.net."),
            RecordType::AAAA,
        )
        .unwrap();
        assert!(aaaa.answers.is_empty() && aaaa.code == ResponseCode::NoError, "NODATA");
    }

    #[test]
    fn negative_answers() {
        let z = zone("portcullis.example.net");
        let nodata = |a: Answer| a.code == ResponseCode::NoError && a.answers.is_empty() && a.soa.len() == 1;
        let nxdomain = |a: Answer| a.code == ResponseCode::NXDomain && a.answers.is_empty() && a.soa.len() == 1;
        assert!(nodata(
            ask(&z, &format!("_mta-sts.{TOKEN}.sts.example-msp.net."), RecordType::A).unwrap()
        ));
        assert!(
            nodata(
                ask(
                    &z,
                    "_mta-sts.ffffffffffffffffffffffffffffffff.sts.example-msp.net.",
                    RecordType::TXT
                )
                .unwrap()
            ),
            "no policy yet"
        );
        assert!(
            nodata(ask(&z, &format!("{TOKEN}.sts.example-msp.net."), RecordType::TXT).unwrap()),
            "empty non-terminal"
        );
        assert!(nodata(
            ask(&z, &format!("_tls.{TOKEN}.sts.example-msp.net."), RecordType::TXT).unwrap()
        ));
        assert!(
            nxdomain(
                ask(
                    &z,
                    "_mta-sts.00000000000000000000000000000000.sts.example-msp.net.",
                    RecordType::TXT
                )
                .unwrap()
            ),
            "unknown token"
        );
        assert!(nxdomain(ask(&z, "www.sts.example-msp.net.", RecordType::A).unwrap()));
        assert!(nxdomain(
            ask(&z, &format!("x._mta-sts.{TOKEN}.sts.example-msp.net."), RecordType::TXT).unwrap()
        ));
        assert!(nodata(ask(&z, "sts.example-msp.net.", RecordType::TXT).unwrap()));
        assert!(ask(&z, "example.com.", RecordType::TXT).is_none(), "outside the zone");
        assert!(ask(&z, "xsts.example-msp.net.", RecordType::TXT).is_none());
    }

    #[test]
    fn apex() {
        let z = zone("portcullis.example.net");
        let soa = ask(&z, "sts.example-msp.net.", RecordType::SOA).unwrap();
        assert_eq!(soa.answers.len(), 1);
        let ns = ask(&z, "sts.example-msp.net.", RecordType::NS).unwrap();
        assert_eq!(ns.answers.len(), 2);
        assert_eq!(z.origin(), "sts.example-msp.net.");
    }

    #[test]
    fn long_values_are_split_into_strings() {
        let txt = txt_rdata(&"a".repeat(600));
        assert_eq!(
            txt.txt_data().iter().map(|s| s.len()).collect::<Vec<_>>(),
            vec![255, 255, 90]
        );
    }
}
