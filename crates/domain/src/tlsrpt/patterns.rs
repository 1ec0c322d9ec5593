//! Patterns across domains: the same sending organisation or IP failing on several domains is
//! likely a problem on the sender's side; the same receiving MX host or MX provider failing
//! across domains is shared infrastructure, fixed once for all of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Domains a key must fail on to be a pattern.
pub const PATTERN_MIN_DOMAINS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatternKind {
    SendingOrganization,
    SendingIp,
    ReceivingMx,
    /// The MX hosts' parent domain: `mail.protection.outlook.com` for every Microsoft 365
    /// tenant's MX.
    MxProvider,
}

impl PatternKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendingOrganization => "sending_organization",
            Self::SendingIp => "sending_ip",
            Self::ReceivingMx => "receiving_mx",
            Self::MxProvider => "mx_provider",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SendingOrganization => "Sending organisation",
            Self::SendingIp => "Sending IP",
            Self::ReceivingMx => "Receiving MX",
            Self::MxProvider => "MX provider",
        }
    }

    /// Whether it points at the sender's side (else at shared receiving infrastructure).
    pub fn is_sender_side(self) -> bool {
        matches!(self, Self::SendingOrganization | Self::SendingIp)
    }
}

/// Failed sessions of one key on one domain (what the store reads), with the result type where
/// the source names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternRow {
    pub kind: PatternKind,
    pub key: String,
    pub domain: String,
    pub result_type: Option<String>,
    pub failed: i64,
}

/// A key failing on [`PATTERN_MIN_DOMAINS`] or more domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern {
    pub kind: PatternKind,
    pub key: String,
    /// Failed sessions in all.
    pub failed: i64,
    /// Each domain affected with its failed sessions, most first.
    pub domains: Vec<(String, i64)>,
    /// Result types where known, most first.
    pub result_types: Vec<(String, i64)>,
}

/// The MX provider of a host: its parent domain, when that still has two labels or more
/// (`mx1.mail.protection.outlook.com` → `mail.protection.outlook.com`).
pub fn provider_of(mx: &str) -> Option<String> {
    let host = mx.trim_end_matches('.').to_ascii_lowercase();
    let (_, parent) = host.split_once('.')?;
    parent.contains('.').then(|| parent.to_string())
}

/// Every key failing on at least [`PATTERN_MIN_DOMAINS`] domains, MX rows also counted by their
/// provider (a provider is shown only when it covers more than one of the MX hosts, else it
/// repeats the MX pattern). Most domains first, then most failures, then key.
pub fn find_patterns(rows: &[PatternRow]) -> Vec<Pattern> {
    type Sums = (BTreeMap<String, i64>, BTreeMap<String, i64>);
    let mut groups: BTreeMap<(PatternKind, String), Sums> = BTreeMap::new();
    let mut hosts_of: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut add = |kind: PatternKind, key: &str, row: &PatternRow| {
        let (domains, results) = groups.entry((kind, key.to_string())).or_default();
        let failed = row.failed.max(0);
        let d = domains.entry(row.domain.clone()).or_insert(0);
        *d = d.saturating_add(failed);
        if let Some(t) = &row.result_type {
            let r = results.entry(t.clone()).or_insert(0);
            *r = r.saturating_add(failed);
        }
    };
    for row in rows.iter().filter(|r| r.failed > 0) {
        add(row.kind, &row.key, row);
        if row.kind == PatternKind::ReceivingMx {
            if let Some(provider) = provider_of(&row.key) {
                add(PatternKind::MxProvider, &provider, row);
                hosts_of
                    .entry(provider)
                    .or_default()
                    .insert(row.key.to_ascii_lowercase());
            }
        }
    }
    let mut patterns: Vec<Pattern> = groups
        .into_iter()
        .filter(|((kind, key), (domains, _))| {
            domains.len() >= PATTERN_MIN_DOMAINS
                && (*kind != PatternKind::MxProvider || hosts_of.get(key).is_some_and(|h| h.len() > 1))
        })
        .map(|((kind, key), (domains, results))| {
            let mut domains: Vec<(String, i64)> = domains.into_iter().collect();
            domains.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let mut result_types: Vec<(String, i64)> = results.into_iter().collect();
            result_types.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Pattern {
                kind,
                key,
                failed: domains.iter().fold(0i64, |sum, d| sum.saturating_add(d.1)),
                domains,
                result_types,
            }
        })
        .collect();
    patterns.sort_by(|a, b| {
        b.domains
            .len()
            .cmp(&a.domains.len())
            .then_with(|| b.failed.cmp(&a.failed))
            .then_with(|| a.key.cmp(&b.key))
    });
    patterns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: PatternKind, key: &str, domain: &str, result: Option<&str>, failed: i64) -> PatternRow {
        PatternRow {
            kind,
            key: key.into(),
            domain: domain.into(),
            result_type: result.map(Into::into),
            failed,
        }
    }

    #[test]
    fn providers() {
        assert_eq!(
            provider_of("Contoso-com.mail.protection.outlook.com.").as_deref(),
            Some("mail.protection.outlook.com")
        );
        assert_eq!(provider_of("mx.example").as_deref(), None);
        assert_eq!(provider_of("localhost"), None);
    }

    #[test]
    fn keys_on_three_domains_are_patterns_with_their_numbers() {
        use PatternKind::*;
        let rows = vec![
            row(SendingOrganization, "Google Inc.", "a.example", None, 5),
            row(SendingOrganization, "Google Inc.", "b.example", None, 7),
            row(SendingOrganization, "Google Inc.", "c.example", None, 1),
            // Two domains only: not a pattern.
            row(SendingOrganization, "Yahoo", "a.example", None, 100),
            row(SendingOrganization, "Yahoo", "b.example", None, 100),
            // No failures on the third: not counted.
            row(SendingIp, "192.0.2.1", "a.example", None, 3),
            row(SendingIp, "192.0.2.1", "b.example", None, 3),
            row(SendingIp, "192.0.2.1", "c.example", None, 0),
            // Three tenants of one provider, two result types.
            row(
                ReceivingMx,
                "a-example.mail.protection.outlook.com",
                "a.example",
                Some("certificate-expired"),
                4,
            ),
            row(
                ReceivingMx,
                "b-example.mail.protection.outlook.com",
                "b.example",
                Some("certificate-expired"),
                6,
            ),
            row(
                ReceivingMx,
                "c-example.mail.protection.outlook.com",
                "c.example",
                Some("starttls-not-supported"),
                2,
            ),
            // One MX host shared by three domains.
            row(
                ReceivingMx,
                "mx.shared.example",
                "a.example",
                Some("validation-failure"),
                1,
            ),
            row(
                ReceivingMx,
                "mx.shared.example",
                "b.example",
                Some("validation-failure"),
                1,
            ),
            row(
                ReceivingMx,
                "mx.shared.example",
                "d.example",
                Some("validation-failure"),
                2,
            ),
        ];
        let p = find_patterns(&rows);
        let keys: Vec<(PatternKind, &str)> = p.iter().map(|p| (p.kind, p.key.as_str())).collect();
        // Three domains each, most failures first: Google 13, the provider 12, the shared MX 4
        // (its provider, shared.example, holds that one host only: no pattern of its own).
        assert_eq!(
            keys,
            [
                (SendingOrganization, "Google Inc."),
                (MxProvider, "mail.protection.outlook.com"),
                (ReceivingMx, "mx.shared.example"),
            ]
        );
        assert_eq!(p[0].failed, 13);
        assert_eq!(
            p[0].domains,
            [
                ("b.example".to_string(), 7),
                ("a.example".to_string(), 5),
                ("c.example".to_string(), 1)
            ]
        );
        assert!(p[0].result_types.is_empty());
        assert_eq!(
            p[1].result_types,
            [
                ("certificate-expired".to_string(), 10),
                ("starttls-not-supported".to_string(), 2)
            ]
        );
        assert!(p[0].kind.is_sender_side() && !p[1].kind.is_sender_side());
        assert!(find_patterns(&[]).is_empty());
    }
}
