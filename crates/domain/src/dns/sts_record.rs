//! The `_mta-sts.<domain>` TXT record (RFC 8461 §3.1): `v=STSv1; id=<1-32 alphanumerics>`.

use super::tag_list::{self, TagListError};
use crate::policy::PolicyId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsRecord {
    pub id: PolicyId,
    /// Tags other than `v` and `id`, which senders ignore (worth a warning: usually a typo).
    pub unknown_tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsRecordError {
    #[error("the record must start with v=STSv1")]
    Version,
    #[error("the record has no id= tag")]
    MissingId,
    #[error("id={0:?} is not 1 to 32 letters and digits")]
    BadId(String),
    #[error("the tag {0:?} appears twice")]
    Duplicate(String),
    #[error("{0:?} is not a tag=value field")]
    Malformed(String),
}

/// Whether senders consider `text` at all: RFC 8461 discards records not starting `v=STSv1;`
/// (a bare `v=STSv1` is kept too, so that its missing id is reported rather than ignored).
pub fn is_sts_record(text: &str) -> bool {
    let t = text.trim_start();
    t.strip_prefix("v=STSv1").is_some_and(|rest| {
        let rest = rest.trim_start_matches([' ', '\t']);
        rest.is_empty() || rest.starts_with(';')
    })
}

impl StsRecord {
    pub fn parse(text: &str) -> Result<Self, StsRecordError> {
        if !is_sts_record(text) {
            return Err(StsRecordError::Version);
        }
        let fields = tag_list::parse(text).map_err(|e| match e {
            TagListError::Malformed(f) => StsRecordError::Malformed(f),
            TagListError::Duplicate(n) => StsRecordError::Duplicate(n),
        })?;
        let id = fields
            .iter()
            .find(|(n, _)| n == "id")
            .ok_or(StsRecordError::MissingId)?;
        let id = PolicyId::new(&id.1).map_err(|_| StsRecordError::BadId(id.1.clone()))?;
        let unknown_tags = fields
            .iter()
            .skip(1)
            .filter(|(n, _)| n != "id")
            .map(|(n, _)| n.clone())
            .collect();
        Ok(Self { id, unknown_tags })
    }

    pub fn render(id: &PolicyId) -> String {
        format!("v=STSv1; id={id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_records() {
        let r = StsRecord::parse("v=STSv1; id=20261128T101500").unwrap();
        assert_eq!(r.id.as_str(), "20261128T101500");
        assert!(r.unknown_tags.is_empty());
        let r = StsRecord::parse("v=STSv1;id=abc;").unwrap();
        assert_eq!(r.id.as_str(), "abc");
        let r = StsRecord::parse("v=STSv1; id=1; foo=bar").unwrap();
        assert_eq!(r.unknown_tags, vec!["foo".to_string()]);
        assert_eq!(StsRecord::parse(&StsRecord::render(&r.id)).unwrap().id, r.id);
    }

    #[test]
    fn refuses_broken_records() {
        assert_eq!(StsRecord::parse("id=1; v=STSv1"), Err(StsRecordError::Version));
        assert_eq!(StsRecord::parse("v=STSv2; id=1"), Err(StsRecordError::Version));
        assert_eq!(StsRecord::parse("v=STSv1"), Err(StsRecordError::MissingId));
        assert_eq!(
            StsRecord::parse("v=STSv1; id=2026-11-28"),
            Err(StsRecordError::BadId("2026-11-28".into()))
        );
        assert_eq!(
            StsRecord::parse(&format!("v=STSv1; id={}", "a".repeat(33))),
            Err(StsRecordError::BadId("a".repeat(33)))
        );
        assert_eq!(
            StsRecord::parse("v=STSv1; id=1; id=2"),
            Err(StsRecordError::Duplicate("id".into()))
        );
        assert_eq!(
            StsRecord::parse("v=STSv1; id"),
            Err(StsRecordError::Malformed("id".into()))
        );
    }

    #[test]
    fn tells_candidates_apart() {
        assert!(is_sts_record("v=STSv1; id=1"));
        assert!(is_sts_record("v=STSv1"));
        assert!(!is_sts_record("v=STSv10; id=1"));
        assert!(!is_sts_record("v=spf1 -all"));
    }
}
