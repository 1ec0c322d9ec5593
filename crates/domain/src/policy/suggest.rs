//! From live MX hosts to proposed `mx:` patterns, and which host each pattern covers.
//!
//! The proposal is deliberately narrow: an exact pattern per host, and a wildcard only where
//! several hosts share a parent (or a provider documents one), because every extra name a
//! pattern admits is a name an attacker could try to get a certificate for.

use super::MxPattern;
use serde::{Deserialize, Serialize};

/// Providers whose MX names change per customer or over time, and whose documentation asks for
/// a wildcard pattern.
const PROVIDER_WILDCARDS: &[&str] = &["mail.protection.outlook.com"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestedPattern {
    pub pattern: MxPattern,
    /// The live MX hosts this pattern admits.
    pub covers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnusableMx {
    pub host: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Suggestion {
    pub patterns: Vec<SuggestedPattern>,
    /// MX targets no pattern can cover (IP literals, malformed names): mail to them would be
    /// refused in enforce mode whatever the policy says.
    pub unusable: Vec<UnusableMx>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxCoverage {
    pub host: String,
    /// Patterns that admit the host; empty means senders in enforce mode would refuse it.
    pub covered_by: Vec<MxPattern>,
}

fn normalise(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Proposes patterns for `hosts` (in preference order; duplicates and case ignored).
pub fn suggest_patterns(hosts: &[String]) -> Suggestion {
    let mut valid: Vec<String> = Vec::new();
    let mut out = Suggestion::default();
    for raw in hosts {
        let host = normalise(raw);
        if valid.contains(&host) || out.unusable.iter().any(|u| u.host == host) {
            continue;
        }
        match MxPattern::parse(&host) {
            Ok(_) => valid.push(host),
            Err(e) => out.unusable.push(UnusableMx {
                host,
                reason: e.to_string(),
            }),
        }
    }
    let parent = |h: &str| h.split_once('.').map(|(_, p)| p.to_string()).unwrap_or_default();
    for host in &valid {
        if out.patterns.iter().any(|s| s.pattern.matches(host)) {
            continue;
        }
        let provider = PROVIDER_WILDCARDS.iter().find(|p| parent(host) == **p);
        let siblings: Vec<&String> = valid.iter().filter(|h| parent(h) == parent(host)).collect();
        let wildcard_base = match provider {
            Some(p) => Some(p.to_string()),
            None if siblings.len() >= 2 && parent(host).contains('.') => Some(parent(host)),
            None => None,
        };
        let pattern = match wildcard_base {
            Some(base) => MxPattern::parse(&format!("*.{base}")),
            None => MxPattern::parse(host),
        };
        if let Ok(pattern) = pattern {
            let covers = valid.iter().filter(|h| pattern.matches(h)).cloned().collect();
            out.patterns.push(SuggestedPattern { pattern, covers });
        }
    }
    out
}

/// For each live MX host, the patterns that admit it.
pub fn coverage(patterns: &[MxPattern], hosts: &[String]) -> Vec<MxCoverage> {
    hosts
        .iter()
        .map(|h| MxCoverage {
            host: normalise(h),
            covered_by: patterns.iter().filter(|p| p.matches(h)).cloned().collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn patterns(s: &Suggestion) -> Vec<&str> {
        s.patterns.iter().map(|p| p.pattern.as_str()).collect()
    }

    #[test]
    fn one_exact_pattern_per_lone_host() {
        let s = suggest_patterns(&hosts(&["mx1.example.com.", "backup.example.net"]));
        assert_eq!(patterns(&s), vec!["mx1.example.com", "backup.example.net"]);
        assert_eq!(s.patterns[0].covers, vec!["mx1.example.com"]);
        assert!(s.unusable.is_empty());
    }

    #[test]
    fn siblings_share_a_wildcard() {
        let s = suggest_patterns(&hosts(&[
            "mx1.mail.example.com",
            "MX2.mail.example.com",
            "mx1.mail.example.com",
        ]));
        assert_eq!(patterns(&s), vec!["*.mail.example.com"]);
        assert_eq!(
            s.patterns[0].covers,
            vec!["mx1.mail.example.com", "mx2.mail.example.com"]
        );
    }

    #[test]
    fn google_workspace_gets_its_documented_pair() {
        let s = suggest_patterns(&hosts(&[
            "aspmx.l.google.com",
            "alt1.aspmx.l.google.com",
            "alt2.aspmx.l.google.com",
            "alt3.aspmx.l.google.com",
            "alt4.aspmx.l.google.com",
        ]));
        assert_eq!(patterns(&s), vec!["aspmx.l.google.com", "*.aspmx.l.google.com"]);
        assert_eq!(s.patterns[1].covers.len(), 4);
    }

    #[test]
    fn microsoft_365_gets_the_provider_wildcard_even_alone() {
        let s = suggest_patterns(&hosts(&["contoso-com.mail.protection.outlook.com"]));
        assert_eq!(patterns(&s), vec!["*.mail.protection.outlook.com"]);
    }

    #[test]
    fn ip_literal_mx_is_unusable() {
        let s = suggest_patterns(&hosts(&["192.0.2.25", "mx.example.com"]));
        assert_eq!(patterns(&s), vec!["mx.example.com"]);
        assert_eq!(s.unusable.len(), 1);
        assert_eq!(s.unusable[0].host, "192.0.2.25");
    }

    #[test]
    fn coverage_flags_uncovered_hosts() {
        let p = vec![MxPattern::parse("*.mx.example.com").unwrap()];
        let c = coverage(&p, &hosts(&["a.mx.example.com.", "mx.example.com"]));
        assert_eq!(c[0].covered_by, p);
        assert!(c[1].covered_by.is_empty());
    }
}
