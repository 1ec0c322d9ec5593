//! `Policy`: the body served at `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
//!
//! Rendering is exact (senders are strict: `version: STSv1` first, CRLF line ends); parsing is
//! lenient (LF or CRLF, any order, unknown keys kept) so that policies found in the wild, or
//! pasted by a user, can be read back and compared.

use super::{Mode, MxPattern, MxPatternError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// RFC 8461 §3.2: `max_age` is at most 31557600 seconds (about a year).
pub const MAX_MAX_AGE: u64 = 31_557_600;
/// Senders refuse policy bodies above 64 KiB (RFC 8461 §3.3).
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
pub const ONE_DAY: u64 = 86_400;
pub const ONE_WEEK: u64 = 604_800;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    mode: Mode,
    max_age: u64,
    mx: Vec<MxPattern>,
    /// Keys this version does not know, in their original order; served back unchanged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    extensions: Vec<(String, String)>,
}

/// What the editor and the API accept, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySpec {
    pub mode: Mode,
    pub max_age: u64,
    #[serde(default)]
    pub mx: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("max_age is {0} seconds; the largest allowed is 31557600 (about a year)")]
    MaxAgeTooLarge(u64),
    #[error("a {0} policy needs at least one mx pattern")]
    MxRequired(Mode),
    #[error("mx pattern {index} ({input:?}): {error}")]
    InvalidMx {
        /// 1-based position in the list.
        index: usize,
        input: String,
        error: MxPatternError,
    },
    #[error("{0} is listed twice")]
    DuplicateMx(MxPattern),
    #[error("the policy would be {0} bytes; senders refuse policies above 65536")]
    TooLarge(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct PolicyParseError {
    /// 1-based; 0 when the problem is with the policy as a whole.
    pub line: usize,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("the policy is empty")]
    Empty,
    #[error("the policy is larger than 64 KiB")]
    TooLarge,
    #[error("expected \"key: value\"")]
    NotKeyValue,
    #[error("{0} appears more than once")]
    DuplicateKey(&'static str),
    #[error("version must be STSv1, found {0:?}")]
    UnsupportedVersion(String),
    #[error("{0}")]
    Mode(#[from] super::ModeError),
    #[error("max_age must be a whole number of seconds, found {0:?}")]
    InvalidMaxAge(String),
    #[error("invalid mx pattern: {0}")]
    Mx(MxPatternError),
    #[error("the \"version: STSv1\" line is missing")]
    MissingVersion,
    #[error("the mode line is missing")]
    MissingMode,
    #[error("the max_age line is missing")]
    MissingMaxAge,
    #[error("{0}")]
    Invalid(PolicyError),
}

/// Advice that does not make a policy invalid but is worth acting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyWarning {
    MaxAgeBelowOneDay,
    EnforceMaxAgeBelowOneWeek,
}

impl PolicyError {
    /// The editor or API field the error belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            PolicyError::MaxAgeTooLarge(_) => "max_age",
            _ => "mx",
        }
    }
}

impl PolicyWarning {
    pub fn code(self) -> &'static str {
        match self {
            PolicyWarning::MaxAgeBelowOneDay => "max_age_below_one_day",
            PolicyWarning::EnforceMaxAgeBelowOneWeek => "enforce_max_age_below_one_week",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            PolicyWarning::MaxAgeBelowOneDay => {
                "max_age is under a day: senders forget the policy quickly and fetch it very often, \
                 so a downgrade attack has frequent windows"
            }
            PolicyWarning::EnforceMaxAgeBelowOneWeek => {
                "in enforce mode a max_age of at least a week (604800) is recommended, so senders \
                 keep protecting mail between fetches"
            }
        }
    }
}

impl Policy {
    /// A checked policy: max_age in range, mx present unless the mode is none, no duplicates,
    /// and a rendered size that senders accept.
    pub fn new(mode: Mode, max_age: u64, mx: Vec<MxPattern>) -> Result<Self, PolicyError> {
        for (i, p) in mx.iter().enumerate() {
            if mx[..i].contains(p) {
                return Err(PolicyError::DuplicateMx(p.clone()));
            }
        }
        Self::checked(mode, max_age, mx, Vec::new())
    }

    fn checked(
        mode: Mode,
        max_age: u64,
        mx: Vec<MxPattern>,
        extensions: Vec<(String, String)>,
    ) -> Result<Self, PolicyError> {
        if max_age > MAX_MAX_AGE {
            return Err(PolicyError::MaxAgeTooLarge(max_age));
        }
        if mx.is_empty() && mode != Mode::None {
            return Err(PolicyError::MxRequired(mode));
        }
        let policy = Self {
            mode,
            max_age,
            mx,
            extensions,
        };
        let size = policy.render().len();
        if size > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge(size));
        }
        Ok(policy)
    }

    /// Checks what a user typed, pattern by pattern, so each error names the entry at fault.
    pub fn from_spec(spec: &PolicySpec) -> Result<Self, PolicyError> {
        let mut mx = Vec::with_capacity(spec.mx.len());
        for (i, input) in spec.mx.iter().enumerate() {
            let pattern = MxPattern::parse(input).map_err(|error| PolicyError::InvalidMx {
                index: i + 1,
                input: input.clone(),
                error,
            })?;
            mx.push(pattern);
        }
        Self::new(spec.mode, spec.max_age, mx)
    }

    pub fn to_spec(&self) -> PolicySpec {
        PolicySpec {
            mode: self.mode,
            max_age: self.max_age,
            mx: self.mx.iter().map(|p| p.to_string()).collect(),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn max_age(&self) -> u64 {
        self.max_age
    }

    pub fn mx(&self) -> &[MxPattern] {
        &self.mx
    }

    pub fn extensions(&self) -> &[(String, String)] {
        &self.extensions
    }

    /// Whether a sender following this policy may deliver to MX host `host`.
    pub fn allows_mx(&self, host: &str) -> bool {
        self.mx.iter().any(|p| p.matches(host))
    }

    pub fn warnings(&self) -> Vec<PolicyWarning> {
        let mut out = Vec::new();
        if self.mode != Mode::None && self.max_age < ONE_DAY {
            out.push(PolicyWarning::MaxAgeBelowOneDay);
        }
        if self.mode == Mode::Enforce && self.max_age < ONE_WEEK {
            out.push(PolicyWarning::EnforceMaxAgeBelowOneWeek);
        }
        out
    }

    /// The exact bytes to serve: `version` first, then mode, one `mx:` per pattern, `max_age`,
    /// and any extension keys, each line ended by CRLF.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(64 + self.mx.len() * 32);
        out.push_str("version: STSv1\r\n");
        out.push_str("mode: ");
        out.push_str(self.mode.as_str());
        out.push_str("\r\n");
        for p in &self.mx {
            out.push_str("mx: ");
            out.push_str(p.as_str());
            out.push_str("\r\n");
        }
        out.push_str("max_age: ");
        out.push_str(&self.max_age.to_string());
        out.push_str("\r\n");
        for (k, v) in &self.extensions {
            out.push_str(k);
            out.push_str(": ");
            out.push_str(v);
            out.push_str("\r\n");
        }
        out
    }

    /// Reads a policy body as senders would, but forgiving about line ends, key order and
    /// unknown keys. Errors name the line.
    pub fn parse(text: &str) -> Result<Self, PolicyParseError> {
        let err = |line: usize, kind: ParseErrorKind| PolicyParseError { line, kind };
        if text.len() > MAX_POLICY_BYTES {
            return Err(err(0, ParseErrorKind::TooLarge));
        }
        if text.trim().is_empty() {
            return Err(err(0, ParseErrorKind::Empty));
        }
        let mut version = None;
        let mut mode = None;
        let mut max_age = None;
        let mut mx = Vec::new();
        let mut extensions = Vec::new();
        for (idx, raw) in text.split('\n').enumerate() {
            let line = idx + 1;
            let content = raw.strip_suffix('\r').unwrap_or(raw);
            if content.trim().is_empty() {
                continue;
            }
            let (key, value) = content
                .split_once(':')
                .ok_or_else(|| err(line, ParseErrorKind::NotKeyValue))?;
            let key = key.trim();
            let value = value.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
                return Err(err(line, ParseErrorKind::NotKeyValue));
            }
            let once = |seen: bool, name: &'static str| match seen {
                true => Err(err(line, ParseErrorKind::DuplicateKey(name))),
                false => Ok(()),
            };
            match key {
                "version" => {
                    once(version.is_some(), "version")?;
                    if value != "STSv1" {
                        return Err(err(line, ParseErrorKind::UnsupportedVersion(value.to_string())));
                    }
                    version = Some(());
                }
                "mode" => {
                    once(mode.is_some(), "mode")?;
                    mode = Some(Mode::parse(value).map_err(|e| err(line, e.into()))?);
                }
                "max_age" => {
                    once(max_age.is_some(), "max_age")?;
                    let parsed = value
                        .parse::<u64>()
                        .ok()
                        .filter(|_| value.chars().all(|c| c.is_ascii_digit()))
                        .ok_or_else(|| err(line, ParseErrorKind::InvalidMaxAge(value.to_string())))?;
                    if parsed > MAX_MAX_AGE {
                        return Err(err(line, ParseErrorKind::Invalid(PolicyError::MaxAgeTooLarge(parsed))));
                    }
                    max_age = Some(parsed);
                }
                "mx" => mx.push(MxPattern::parse(value).map_err(|e| err(line, ParseErrorKind::Mx(e)))?),
                other => extensions.push((other.to_string(), value.to_string())),
            }
        }
        version.ok_or_else(|| err(0, ParseErrorKind::MissingVersion))?;
        let mode = mode.ok_or_else(|| err(0, ParseErrorKind::MissingMode))?;
        let max_age = max_age.ok_or_else(|| err(0, ParseErrorKind::MissingMaxAge))?;
        Self::checked(mode, max_age, mx, extensions).map_err(|e| err(0, ParseErrorKind::Invalid(e)))
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl TryFrom<PolicySpec> for Policy {
    type Error = PolicyError;
    fn try_from(spec: PolicySpec) -> Result<Self, Self::Error> {
        Self::from_spec(&spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mx(list: &[&str]) -> Vec<MxPattern> {
        list.iter().map(|s| MxPattern::parse(s).unwrap()).collect()
    }

    #[test]
    fn renders_exactly_what_senders_expect() {
        let policy = Policy::new(Mode::Enforce, 604_800, mx(&["mx1.example.com", "*.mx.example.com"])).unwrap();
        assert_eq!(
            policy.render(),
            "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.mx.example.com\r\nmax_age: 604800\r\n"
        );
        let none = Policy::new(Mode::None, 86_400, vec![]).unwrap();
        assert_eq!(none.render(), "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n");
    }

    #[test]
    fn parses_leniently_any_order_lf_and_unknown_keys() {
        let text = "mx: MX.Example.com\nmax_age:86400\nversion: STSv1\nfoo_bar: baz qux\nmode: testing\n\n";
        let policy = Policy::parse(text).unwrap();
        assert_eq!(policy.mode(), Mode::Testing);
        assert_eq!(policy.max_age(), 86_400);
        assert_eq!(policy.mx(), mx(&["mx.example.com"]).as_slice());
        assert_eq!(policy.extensions(), &[("foo_bar".to_string(), "baz qux".to_string())]);
        assert!(policy.render().ends_with("max_age: 86400\r\nfoo_bar: baz qux\r\n"));
    }

    #[test]
    fn parse_errors_name_the_line() {
        let cases: &[(&str, usize, ParseErrorKind)] = &[
            ("", 0, ParseErrorKind::Empty),
            (
                "version: STSv1\nmode: testing\nmx: a.example\n",
                0,
                ParseErrorKind::MissingMaxAge,
            ),
            (
                "mode: testing\nmx: a.example\nmax_age: 1\n",
                0,
                ParseErrorKind::MissingVersion,
            ),
            (
                "version: STSv1\nmx: a.example\nmax_age: 1\n",
                0,
                ParseErrorKind::MissingMode,
            ),
            (
                "version: STSv2\n",
                1,
                ParseErrorKind::UnsupportedVersion("STSv2".into()),
            ),
            (
                "version: STSv1\nmode: Enforce\n",
                2,
                ParseErrorKind::Mode(super::super::ModeError("Enforce".into())),
            ),
            (
                "version: STSv1\nmode: none\nmax_age: -5\n",
                3,
                ParseErrorKind::InvalidMaxAge("-5".into()),
            ),
            (
                "version: STSv1\nmode: none\nmax_age: +5\n",
                3,
                ParseErrorKind::InvalidMaxAge("+5".into()),
            ),
            (
                "version: STSv1\nmode: none\nmode: none\n",
                3,
                ParseErrorKind::DuplicateKey("mode"),
            ),
            ("version: STSv1\njunk line\n", 2, ParseErrorKind::NotKeyValue),
            (
                "version: STSv1\nmode: none\nmax_age: 31557601\n",
                3,
                ParseErrorKind::Invalid(PolicyError::MaxAgeTooLarge(31_557_601)),
            ),
            (
                "version: STSv1\nmode: enforce\nmax_age: 86400\n",
                0,
                ParseErrorKind::Invalid(PolicyError::MxRequired(Mode::Enforce)),
            ),
        ];
        for (text, line, kind) in cases {
            let e = Policy::parse(text).unwrap_err();
            assert_eq!((&e.line, &e.kind), (line, kind), "{text:?}");
        }
        let e = Policy::parse("version: STSv1\nmode: testing\nmx: 192.0.2.1\nmax_age: 1\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(matches!(e.kind, ParseErrorKind::Mx(MxPatternError::IpLiteral(_))));
        assert_eq!(e.to_string(), "line 3: invalid mx pattern: 192.0.2.1 is an IP address; MTA-STS matches MX host names only, never addresses");
    }

    #[test]
    fn spec_checks_each_entry_and_the_whole() {
        let spec = |mode, max_age, list: &[&str]| PolicySpec {
            mode,
            max_age,
            mx: list.iter().map(|s| s.to_string()).collect(),
        };
        assert!(Policy::from_spec(&spec(Mode::Testing, 86_400, &["mx.example.com"])).is_ok());
        assert!(Policy::from_spec(&spec(Mode::None, 86_400, &[])).is_ok());
        assert_eq!(
            Policy::from_spec(&spec(Mode::Testing, 86_400, &[])),
            Err(PolicyError::MxRequired(Mode::Testing))
        );
        assert!(matches!(
            Policy::from_spec(&spec(Mode::Testing, 86_400, &["mx.example.com", "mx.*.example.com"])),
            Err(PolicyError::InvalidMx { index: 2, .. })
        ));
        assert!(matches!(
            Policy::from_spec(&spec(Mode::Testing, 86_400, &["MX.example.com", "mx.example.com."])),
            Err(PolicyError::DuplicateMx(_))
        ));
        assert_eq!(
            Policy::from_spec(&spec(Mode::Testing, MAX_MAX_AGE + 1, &["mx.example.com"])),
            Err(PolicyError::MaxAgeTooLarge(MAX_MAX_AGE + 1))
        );
        let many: Vec<String> = (0..2000)
            .map(|i| format!("mx{i}.a-rather-long-mail-host-name.example.com"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(matches!(
            Policy::from_spec(&spec(Mode::Testing, 86_400, &refs)),
            Err(PolicyError::TooLarge(_))
        ));
    }

    #[test]
    fn warns_about_short_max_age() {
        let p = |mode, age| Policy::new(mode, age, mx(&["mx.example.com"])).unwrap().warnings();
        assert_eq!(p(Mode::Testing, 3_600), vec![PolicyWarning::MaxAgeBelowOneDay]);
        assert_eq!(p(Mode::Testing, 86_400), vec![]);
        assert_eq!(p(Mode::Enforce, 86_400), vec![PolicyWarning::EnforceMaxAgeBelowOneWeek]);
        assert_eq!(
            p(Mode::Enforce, 0),
            vec![
                PolicyWarning::MaxAgeBelowOneDay,
                PolicyWarning::EnforceMaxAgeBelowOneWeek
            ]
        );
        assert_eq!(p(Mode::Enforce, ONE_WEEK), vec![]);
        assert_eq!(p(Mode::None, 60), vec![]);
    }

    fn arb_policy() -> impl Strategy<Value = Policy> {
        let pattern = "(\\*\\.)?[a-w][a-z0-9-]{0,6}[a-z0-9](\\.[a-z][a-z0-9]{0,6}){1,3}";
        let ext = ("x-[a-z_]{1,8}", "[!-~][ -~]{0,20}[!-~]");
        (
            prop_oneof![Just(Mode::None), Just(Mode::Testing), Just(Mode::Enforce)],
            0..=MAX_MAX_AGE,
            proptest::collection::btree_set(pattern, 1..6),
            proptest::collection::vec(ext, 0..3),
        )
            .prop_map(|(mode, max_age, patterns, extensions)| Policy {
                mode,
                max_age,
                mx: patterns.iter().map(|p| MxPattern::parse(p).unwrap()).collect(),
                extensions,
            })
    }

    proptest! {
        #[test]
        fn render_then_parse_is_the_identity(policy in arb_policy()) {
            let text = policy.render();
            prop_assert_eq!(Policy::parse(&text), Ok(policy.clone()));
            prop_assert_eq!(Policy::parse(&text.replace("\r\n", "\n")), Ok(policy));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = Policy::parse(&text);
        }
    }
}
