//! A single pass over the JSON text that bounds nesting depth and the length of every array and
//! object before anything is allocated for them, so a hostile report costs at most one scan.

use super::error::{ReportError, ReportErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    pub max_depth: usize,
    /// Elements per array and members per object.
    pub max_items: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        // Real reports nest 5 deep; the largest seen list a few thousand failure details.
        Self {
            max_depth: 32,
            max_items: 100_000,
        }
    }
}

pub fn check_structure(json: &[u8], limits: JsonLimits) -> Result<(), ReportError> {
    // Item counts per open container: the separators seen so far.
    let mut open: Vec<usize> = Vec::with_capacity(8);
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if open.len() >= limits.max_depth {
                    return Err(ReportError::new(
                        ReportErrorCode::TooDeep,
                        format!("the JSON nests deeper than {} levels", limits.max_depth),
                    ));
                }
                open.push(0);
            }
            b']' | b'}' => {
                open.pop();
            }
            b',' => {
                if let Some(items) = open.last_mut() {
                    *items += 1;
                    if *items >= limits.max_items {
                        return Err(ReportError::new(
                            ReportErrorCode::TooManyItems,
                            format!("a JSON array or object holds more than {} items", limits.max_items),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIGHT: JsonLimits = JsonLimits {
        max_depth: 3,
        max_items: 3,
    };

    #[test]
    fn depth_is_bounded_outside_strings_only() {
        assert!(check_structure(br#"{"a":[{"b":1}]}"#, TIGHT).is_ok());
        let err = check_structure(br#"{"a":[{"b":[1]}]}"#, TIGHT).unwrap_err();
        assert_eq!(err.code, ReportErrorCode::TooDeep);
        assert!(check_structure(br#"{"a":"[[[[[[{{{{"}"#, TIGHT).is_ok());
        assert!(check_structure(br#"{"a":"\"[[[[[[{{{{"}"#, TIGHT).is_ok());
    }

    #[test]
    fn items_are_bounded_per_container() {
        assert!(check_structure(br#"{"a":[1,2,3],"b":[4,5,6]}"#, TIGHT).is_ok());
        let err = check_structure(br#"{"a":[1,2,3,4]}"#, TIGHT).unwrap_err();
        assert_eq!(err.code, ReportErrorCode::TooManyItems);
        assert!(check_structure(br#"{"a":"1,2,3,4,5"}"#, TIGHT).is_ok());
    }
}
