//! JSON text → [`Report`]: UTF-8 and structure limits first, then the lenient typed parse, then
//! the few rules that must hold for the numbers to mean anything.

use super::error::{ReportError, ReportErrorCode};
use super::field_limits::bound_fields;
use super::model::Report;
use super::structure::{check_structure, JsonLimits};

pub fn parse_report(json: &[u8]) -> Result<Report, ReportError> {
    parse_report_with(json, JsonLimits::default())
}

pub fn parse_report_with(json: &[u8], limits: JsonLimits) -> Result<Report, ReportError> {
    let json = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    let text = std::str::from_utf8(json).map_err(|e| {
        ReportError::new(
            ReportErrorCode::InvalidUtf8,
            format!("the report is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    check_structure(json, limits)?;
    // The fast path parses without tracking where it is; only a report that fails is parsed
    // again to name the field that is wrong.
    if let Ok(report) = serde_json::from_str::<Report>(text) {
        return check_rules(report);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let report: Report = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let code = if inner.is_syntax() || inner.is_eof() {
            ReportErrorCode::InvalidJson
        } else {
            ReportErrorCode::InvalidReport
        };
        let message = match code {
            ReportErrorCode::InvalidJson => format!("the report is not valid JSON: {inner}"),
            _ if path == "." || path.is_empty() => format!("not an RFC 8460 report: {inner}"),
            _ => format!("not an RFC 8460 report: {path}: {}", strip_position(&inner)),
        };
        ReportError::new(code, message)
    })?;
    de.end()
        .map_err(|e| ReportError::new(ReportErrorCode::InvalidJson, format!("text after the report: {e}")))?;
    check_rules(report)
}

/// The rules a typed report must still pass: a date range that runs forward, and the field
/// bounds of [`bound_fields`].
fn check_rules(mut report: Report) -> Result<Report, ReportError> {
    let range = report.date_range;
    if range.end_datetime < range.start_datetime {
        return Err(ReportError::new(
            ReportErrorCode::InvalidReport,
            format!(
                "not an RFC 8460 report: date-range ends ({}) before it starts ({})",
                range.end_datetime.to_rfc3339(),
                range.start_datetime.to_rfc3339()
            ),
        ));
    }
    bound_fields(&mut report)?;
    Ok(report)
}

/// serde_json appends " at line L column C"; with the field path given, the position is noise.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
