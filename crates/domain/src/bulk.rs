//! Bulk input: a pasted list or a CSV export, one domain per line, turned into a per-line verdict.
//!
//! Only the first CSV column is read, so exports with extra columns (status, notes) work as is.
//! Verdicts that need the database (already registered) are added by the caller.

use crate::DomainName;
use serde::{Deserialize, Serialize};

/// Upper bound on one paste or file: big enough for an MSP's whole book, small enough to stay one
/// transaction.
pub const MAX_BULK_LINES: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkLine {
    /// 1-based line number in the input, as the user's editor shows it.
    pub line: usize,
    pub input: String,
    pub entry: BulkEntry,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkEntry {
    Valid(DomainName),
    /// The same name appeared earlier in the input, on the given line.
    RepeatedInInput {
        first_line: usize,
    },
    Invalid(String),
}

/// Parses every non-empty, non-comment line. A first line that looks like a CSV header
/// (`domain`, `name`, …) is skipped rather than reported as invalid.
pub fn parse_bulk(input: &str) -> Result<Vec<BulkLine>, usize> {
    let mut out = Vec::new();
    let mut seen: std::collections::HashMap<DomainName, usize> = Default::default();
    for (idx, raw) in input.lines().enumerate() {
        let line = idx + 1;
        let text = first_column(raw);
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if out.is_empty() && is_header(&text) {
            continue;
        }
        if out.len() >= MAX_BULK_LINES {
            return Err(MAX_BULK_LINES);
        }
        let entry = match DomainName::parse(&text) {
            Ok(name) => match seen.get(&name) {
                Some(first) => BulkEntry::RepeatedInInput { first_line: *first },
                None => {
                    seen.insert(name.clone(), line);
                    BulkEntry::Valid(name)
                }
            },
            Err(e) => BulkEntry::Invalid(e.to_string()),
        };
        out.push(BulkLine {
            line,
            input: text,
            entry,
        });
    }
    Ok(out)
}

/// What happened to one line of a bulk add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkOutcome {
    Added,
    /// Already registered in Portcullis, or repeated in the input; the reason says which.
    Duplicate(String),
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResultLine {
    pub line: usize,
    pub input: String,
    /// The canonical name, when the line parsed.
    pub name: Option<String>,
    pub outcome: BulkOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BulkReport {
    pub lines: Vec<BulkResultLine>,
    pub added: usize,
    pub duplicates: usize,
    pub invalid: usize,
}

fn first_column(raw: &str) -> String {
    let raw = raw.trim().trim_start_matches('\u{feff}');
    let field = raw.split([',', ';', '\t']).next().unwrap_or("").trim();
    field.trim_matches('"').trim_matches('\'').trim().to_string()
}

fn is_header(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "domain" | "domains" | "name" | "domain name" | "domain_name" | "hostname"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_each_line_with_its_number() {
        let lines = parse_bulk("example.com\n\n# comment\nbad domain\nEXAMPLE.com.\nb.example\n").unwrap();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].line, 1);
        assert_eq!(
            lines[0].entry,
            BulkEntry::Valid(DomainName::parse("example.com").unwrap())
        );
        assert_eq!(lines[1].line, 4);
        assert!(matches!(lines[1].entry, BulkEntry::Invalid(_)));
        assert_eq!(lines[2].entry, BulkEntry::RepeatedInInput { first_line: 1 });
        assert_eq!(lines[3].line, 6);
    }

    #[test]
    fn reads_the_first_csv_column_and_skips_a_header() {
        let csv = "\u{feff}Domain,Owner\n\"example.org\",alice\nexample.net;bob\nexample.io\tcarol\r\n";
        let lines = parse_bulk(csv).unwrap();
        let names: Vec<_> = lines.iter().map(|l| l.input.as_str()).collect();
        assert_eq!(names, ["example.org", "example.net", "example.io"]);
        assert!(lines.iter().all(|l| matches!(l.entry, BulkEntry::Valid(_))));
    }

    #[test]
    fn refuses_oversized_input() {
        let big: String = (0..=MAX_BULK_LINES).map(|i| format!("d{i}.example\n")).collect();
        assert_eq!(parse_bulk(&big), Err(MAX_BULK_LINES));
    }
}
