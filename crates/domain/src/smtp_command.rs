//! SMTP command lines (RFC 5321 §4.1) as the built-in report receiver reads them: the verb, its
//! argument, and the `<path> params` of `MAIL FROM:` and `RCPT TO:`. Any client on the internet
//! writes these lines, so nothing here slices where a character could straddle the cut.

/// `VERB argument` → (upper-case verb, trimmed argument).
pub fn split_command(line: &str) -> (String, String) {
    match line.split_once(' ') {
        Some((verb, arg)) => (verb.to_ascii_uppercase(), arg.trim().to_string()),
        None => (line.trim().to_ascii_uppercase(), String::new()),
    }
}

/// `text` without `prefix` (compared without regard to ASCII case), and trimmed at the start.
pub fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    let rest = text.get(prefix.len()..)?;
    head.eq_ignore_ascii_case(prefix).then(|| rest.trim_start())
}

/// `<path> params` → (path without brackets, params).
pub fn split_path(text: &str) -> (String, &str) {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('<') {
        if let Some((path, params)) = rest.split_once('>') {
            return (path.to_string(), params.trim());
        }
    }
    match text.split_once(' ') {
        Some((path, params)) => (path.to_string(), params.trim()),
        None => (text.to_string(), ""),
    }
}

/// The `SIZE=` parameter among `MAIL FROM:` params: `None` when absent, `Some(None)` when it is
/// not a number.
pub fn size_param(params: &str) -> Option<Option<u64>> {
    params
        .split_whitespace()
        .find_map(|param| strip_prefix_ci(param, "SIZE="))
        .map(|size| size.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_paths_and_parameters_are_split() {
        assert_eq!(split_command("mail FROM:<a@b>"), ("MAIL".into(), "FROM:<a@b>".into()));
        assert_eq!(split_command("quit"), ("QUIT".into(), String::new()));
        assert_eq!(
            split_path("<a@b.example> SIZE=10"),
            ("a@b.example".to_string(), "SIZE=10")
        );
        assert_eq!(split_path("<>"), (String::new(), ""));
        assert_eq!(strip_prefix_ci("from:<x>", "FROM:"), Some("<x>"));
        assert_eq!(size_param("BODY=8BITMIME size=2048"), Some(Some(2048)));
        assert_eq!(size_param("SIZE=lots"), Some(None));
        assert_eq!(size_param("BODY=8BITMIME"), None);
    }

    #[test]
    fn multi_byte_characters_at_a_cut_are_refused_not_a_panic() {
        assert_eq!(strip_prefix_ci("fé:<x>", "FROM:"), None);
        assert_eq!(strip_prefix_ci("FROMé<x>", "FROM:"), None);
        assert_eq!(split_path("<é>é"), ("é".to_string(), "é"));
        let _ = split_command("é é");
    }
}
