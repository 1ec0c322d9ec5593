//! Bounds on what one report may make the store keep. Report addresses are public, so the parsed
//! report is the place where an oversized name or a report of a hundred thousand domains stops.
//!
//! Two rules. A field that identifies the report (`organization-name`, `report-id`: the
//! de-duplication key) or its size (policies, distinct domains, failure details) refuses the
//! report when over its cap: cutting it could merge two reports. Every other text is cut to its
//! cap on a character boundary and ends in `…`; nothing is lost, since the raw report is kept
//! verbatim beside the parsed one. Extra (non-RFC) fields larger than [`MAX_EXTRA`] once
//! serialized are replaced by a note that says where to find them.

use std::collections::HashSet;

use super::error::{ReportError, ReportErrorCode};
use super::model::{Extra, Report, ResultType};

/// `organization-name`, `report-id` (refused over it) and `contact-info` (cut).
pub const MAX_NAME: usize = 1024;
/// Host names, IP addresses, `policy-domain`, `mx-host`, result types and policy lines.
pub const MAX_HOST: usize = 255;
/// `failure-reason-code` and `additional-information`.
pub const MAX_DETAIL_TEXT: usize = 4096;
/// A block of extra fields, serialized.
pub const MAX_EXTRA: usize = 4096;
pub const MAX_POLICIES: usize = 10_000;
pub const MAX_DOMAINS: usize = 1_000;
/// Failure details over all policies. The largest real report seen lists a few thousand.
pub const MAX_FAILURE_DETAILS: usize = 100_000;

/// Refuses a report over a refusing cap; cuts every other field to its cap.
pub fn bound_fields(report: &mut Report) -> Result<(), ReportError> {
    refuse_long("organization-name", &report.organization_name)?;
    refuse_long("report-id", &report.report_id)?;
    refuse_many("policies", report.policies.len(), MAX_POLICIES)?;
    let details: usize = report.policies.iter().map(|p| p.failure_details.len()).sum();
    refuse_many("failure details", details, MAX_FAILURE_DETAILS)?;
    let domains: HashSet<String> = report
        .policies
        .iter()
        .filter_map(|p| p.policy.policy_domain.as_deref())
        .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    refuse_many("policy domains", domains.len(), MAX_DOMAINS)?;

    cut_option(&mut report.contact_info, MAX_NAME);
    bound_extra(&mut report.extra);
    for policy in &mut report.policies {
        let details = &mut policy.policy;
        cut_option(&mut details.policy_domain, MAX_HOST);
        details.policy_string.iter_mut().for_each(|line| cut(line, MAX_HOST));
        details.mx_host.iter_mut().for_each(|host| cut(host, MAX_HOST));
        cut_free_text(&mut details.policy_type);
        bound_extra(&mut details.extra);
        bound_extra(&mut policy.extra);
        for failure in &mut policy.failure_details {
            cut_free_text(&mut failure.result_type);
            for host in [
                &mut failure.sending_mta_ip,
                &mut failure.receiving_mx_hostname,
                &mut failure.receiving_mx_helo,
                &mut failure.receiving_ip,
            ] {
                cut_option(host, MAX_HOST);
            }
            cut_option(&mut failure.additional_information, MAX_DETAIL_TEXT);
            cut_option(&mut failure.failure_reason_code, MAX_DETAIL_TEXT);
            bound_extra(&mut failure.extra);
        }
    }
    Ok(())
}

/// Shortens `text` to at most `max` bytes, ending in `…`, on a character boundary.
pub fn cut(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('…');
}

fn cut_option(text: &mut Option<String>, max: usize) {
    if let Some(text) = text {
        cut(text, max);
    }
}

/// Unknown `result-type` and `policy-type` values are kept as sent: their text is bounded too.
trait FreeText {
    fn free_text(&mut self) -> Option<&mut String>;
}

impl FreeText for ResultType {
    fn free_text(&mut self) -> Option<&mut String> {
        match self {
            Self::Other(text) => Some(text),
            _ => None,
        }
    }
}

impl FreeText for super::model::PolicyType {
    fn free_text(&mut self) -> Option<&mut String> {
        match self {
            Self::Other(text) => Some(text),
            _ => None,
        }
    }
}

fn cut_free_text(value: &mut impl FreeText) {
    if let Some(text) = value.free_text() {
        cut(text, MAX_HOST);
    }
}

fn bound_extra(extra: &mut Extra) {
    if extra.is_empty() {
        return;
    }
    let size = serde_json::to_vec(extra).map_or(usize::MAX, |v| v.len());
    if size > MAX_EXTRA {
        extra.clear();
        extra.insert(
            "portcullis-cut".into(),
            serde_json::Value::String(format!(
                "{size} bytes of fields beyond RFC 8460 here; the raw report keeps them"
            )),
        );
    }
}

fn refuse_long(field: &str, value: &str) -> Result<(), ReportError> {
    if value.len() <= MAX_NAME {
        return Ok(());
    }
    Err(ReportError::new(
        ReportErrorCode::InvalidReport,
        format!(
            "not an RFC 8460 report: {field} is {} bytes long; at most {MAX_NAME} are accepted",
            value.len()
        ),
    ))
}

fn refuse_many(what: &str, count: usize, max: usize) -> Result<(), ReportError> {
    if count <= max {
        return Ok(());
    }
    Err(ReportError::new(
        ReportErrorCode::TooManyItems,
        format!("the report lists {count} {what}; at most {max} are accepted in one report"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_on_a_character_boundary_and_marked() {
        let mut ascii = "a".repeat(300);
        cut(&mut ascii, MAX_HOST);
        assert_eq!(ascii.len(), MAX_HOST);
        assert!(ascii.ends_with('…'));
        // 'é' is two bytes: the cut may not land inside one.
        let mut accents = "é".repeat(200);
        cut(&mut accents, MAX_HOST);
        assert!(accents.len() <= MAX_HOST);
        assert!(accents.ends_with('…'));
        assert!(accents.trim_end_matches('…').chars().all(|c| c == 'é'));
        let mut short = "mx.example".to_string();
        cut(&mut short, MAX_HOST);
        assert_eq!(short, "mx.example");
    }
}
