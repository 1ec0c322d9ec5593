//! The `tag=value; tag=value` syntax shared by `_mta-sts` (RFC 8461 §3.1) and `_smtp._tls`
//! (RFC 8460 §3) records.

/// A tag-list problem, before the record's own rules are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TagListError {
    /// A field without `=`, or with an empty name.
    Malformed(String),
    Duplicate(String),
}

/// The fields in order, names as written. The version field is the first one.
pub(crate) fn parse(text: &str) -> Result<Vec<(String, String)>, TagListError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for raw in text.split(';') {
        let field = raw.trim_matches([' ', '\t']);
        if field.is_empty() {
            continue;
        }
        let Some((name, value)) = field.split_once('=') else {
            return Err(TagListError::Malformed(field.to_string()));
        };
        let name = name.trim_matches([' ', '\t']);
        if name.is_empty() {
            return Err(TagListError::Malformed(field.to_string()));
        }
        if fields.iter().any(|(n, _)| n == name) {
            return Err(TagListError::Duplicate(name.to_string()));
        }
        fields.push((name.to_string(), value.trim_matches([' ', '\t']).to_string()));
    }
    Ok(fields)
}
