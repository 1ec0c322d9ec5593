//! The policy editor's form, checked field by field: the browser runs this as the user types
//! and the server runs it again on save, so both show the same messages.

use super::{Mode, MxPattern, Policy, PolicyError, PolicyWarning, MAX_MAX_AGE};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PolicyDraft {
    pub mode: String,
    pub max_age: String,
    /// One pattern per line; a pasted `mx: ` prefix and blank lines are ignored.
    pub mx: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// `mode`, `max_age` or `mx`.
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftCheck {
    pub policy: Option<Policy>,
    pub problems: Vec<FieldProblem>,
}

impl DraftCheck {
    pub fn message_for(&self, field: &str) -> Option<String> {
        let msgs: Vec<&str> = self
            .problems
            .iter()
            .filter(|p| p.field == field)
            .map(|p| p.message.as_str())
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("; "))
    }

    pub fn warnings(&self) -> Vec<PolicyWarning> {
        self.policy.as_ref().map(Policy::warnings).unwrap_or_default()
    }
}

impl PolicyDraft {
    pub fn from_policy(policy: &Policy) -> Self {
        Self {
            mode: policy.mode().to_string(),
            max_age: policy.max_age().to_string(),
            mx: policy.mx().iter().map(|p| p.as_str()).collect::<Vec<_>>().join("\n"),
        }
    }

    pub fn check(&self) -> DraftCheck {
        let mut problems = Vec::new();
        let mut problem = |field, message: String| problems.push(FieldProblem { field, message });
        let mode = Mode::parse(&self.mode).map_err(|e| problem("mode", e.to_string())).ok();
        let raw_age = self.max_age.trim();
        let max_age = match raw_age.parse::<u64>() {
            Ok(n) if n <= MAX_MAX_AGE && raw_age.chars().all(|c| c.is_ascii_digit()) => Some(n),
            Ok(n) if raw_age.chars().all(|c| c.is_ascii_digit()) => {
                problem("max_age", PolicyError::MaxAgeTooLarge(n).to_string());
                None
            }
            _ => {
                problem(
                    "max_age",
                    "enter max_age as a whole number of seconds, e.g. 604800 for a week".into(),
                );
                None
            }
        };
        let mut mx = Vec::new();
        let mut mx_ok = true;
        for (idx, line) in self.mx.lines().enumerate() {
            let entry = line.trim();
            let entry = entry.strip_prefix("mx:").map(str::trim).unwrap_or(entry);
            if entry.is_empty() {
                continue;
            }
            match MxPattern::parse(entry) {
                Ok(p) => mx.push(p),
                Err(e) => {
                    mx_ok = false;
                    problem("mx", format!("line {} ({entry}): {e}", idx + 1));
                }
            }
        }
        let policy = match (mode, max_age, mx_ok) {
            (Some(mode), Some(max_age), true) => match Policy::new(mode, max_age, mx) {
                Ok(p) => Some(p),
                Err(e) => {
                    problem(e.field(), e.to_string());
                    None
                }
            },
            _ => None,
        };
        DraftCheck { policy, problems }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(mode: &str, max_age: &str, mx: &str) -> DraftCheck {
        PolicyDraft {
            mode: mode.into(),
            max_age: max_age.into(),
            mx: mx.into(),
        }
        .check()
    }

    #[test]
    fn a_valid_draft_becomes_a_policy() {
        let c = draft("enforce", " 604800 ", "mx: MX1.example.com\n\n*.mx.example.com\r\n");
        let p = c.policy.unwrap();
        assert_eq!(p.mx().len(), 2);
        assert!(c.problems.is_empty());
        assert_eq!(PolicyDraft::from_policy(&p).mx, "mx1.example.com\n*.mx.example.com");
    }

    #[test]
    fn each_field_gets_its_own_message() {
        let c = draft("sometimes", "a week", "ok.example.com\n192.0.2.1\nmx.*.example.com");
        assert!(c.policy.is_none());
        assert!(c.message_for("mode").unwrap().contains("testing, enforce or none"));
        assert!(c.message_for("max_age").unwrap().contains("whole number"));
        let mx = c.message_for("mx").unwrap();
        assert!(
            mx.contains("line 2 (192.0.2.1)") && mx.contains("line 3 (mx.*.example.com)"),
            "{mx}"
        );
        assert!(draft("testing", "31557601", "a.example.com")
            .message_for("max_age")
            .unwrap()
            .contains("31557600"));
        assert!(draft("testing", "-1", "a.example.com").message_for("max_age").is_some());
        assert!(draft("testing", "86400", "")
            .message_for("mx")
            .unwrap()
            .contains("at least one"));
        assert!(draft("testing", "86400", "a.example.com\nA.example.com")
            .message_for("mx")
            .unwrap()
            .contains("twice"));
        assert!(draft("none", "86400", "").policy.is_some());
    }
}
