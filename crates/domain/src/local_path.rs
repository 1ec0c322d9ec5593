//! Where the dashboard may send a user after signing in: a path on this site, never another
//! site. Browsers drop tabs and newlines from URLs, so `/\t/evil.example` becomes the
//! protocol-relative `//evil.example`; a newline would not even fit in a `Location` header.
//! Hence only visible ASCII is accepted, which every path this site builds consists of (its
//! links are percent-encoded).

/// A path on this site: starts with one `/` (not `//` nor `/\`), and holds only visible ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let visible = bytes.iter().all(|b| (0x21..=0x7e).contains(b) && *b != b'\\');
        let local = bytes.first() == Some(&b'/') && bytes.get(1) != Some(&b'/');
        (visible && local).then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_accepted() {
        for ok in ["/", "/reports?from=2026-01-01", "/domains/example.com/policy", "/a%09b"] {
            assert_eq!(LocalPath::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\\evil.example",
            "\\/evil.example",
            "https://evil.example",
            "evil.example",
            " /x",
            "/ x",
            "/é",
            "",
        ] {
            assert_eq!(LocalPath::parse(bad), None, "{bad:?}");
        }
    }
}
