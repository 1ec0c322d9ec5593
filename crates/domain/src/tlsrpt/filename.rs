//! RFC 8460 §5.3 attachment names, `submitter!policy-domain!start!end[!unique-id].json[.gz]`:
//! hints for which domain a mail report concerns when the report itself does not say.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilenameHint {
    pub submitter: String,
    pub policy_domain: String,
    pub start: i64,
    pub end: i64,
    pub unique_id: Option<String>,
}

pub fn parse_report_filename(name: &str) -> Option<FilenameHint> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    let stem_len = [".json.gz", ".json.zip", ".json", ".gz", ".zip"]
        .iter()
        .find(|ext| lower.ends_with(*ext))
        .map(|ext| base.len() - ext.len())
        .unwrap_or(base.len());
    let parts: Vec<&str> = base[..stem_len].split('!').collect();
    if !(4..=5).contains(&parts.len()) || parts[..2].iter().any(|p| p.is_empty()) {
        return None;
    }
    Some(FilenameHint {
        submitter: parts[0].to_string(),
        policy_domain: parts[1].trim_end_matches('.').to_ascii_lowercase(),
        start: parts[2].parse().ok()?,
        end: parts[3].parse().ok()?,
        unique_id: parts.get(4).filter(|id| !id.is_empty()).map(|id| id.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rfc_name_with_and_without_an_id() {
        let hint = parse_report_filename("google.com!Example.COM!1663200000!1663286399!001.json.gz").unwrap();
        assert_eq!(hint.submitter, "google.com");
        assert_eq!(hint.policy_domain, "example.com");
        assert_eq!((hint.start, hint.end), (1663200000, 1663286399));
        assert_eq!(hint.unique_id.as_deref(), Some("001"));
        let hint = parse_report_filename("a/b/mail.sender!example.net!1!2.json").unwrap();
        assert_eq!(hint.unique_id, None);
        assert_eq!(hint.policy_domain, "example.net");
    }

    #[test]
    fn other_names_give_no_hint() {
        assert_eq!(parse_report_filename("report.json.gz"), None);
        assert_eq!(parse_report_filename("a!b!x!2.json"), None);
        assert_eq!(parse_report_filename("!b!1!2.json"), None);
    }
}
