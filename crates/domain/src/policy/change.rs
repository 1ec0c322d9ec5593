//! A one-line account of what a new policy version changes, for the version history.

use super::Policy;

/// E.g. "mode testing → enforce; added mx b.example; max_age 86400 → 604800".
pub fn describe_change(old: Option<&Policy>, new: &Policy) -> String {
    let Some(old) = old else {
        return format!("first policy ({}, {} mx)", new.mode(), new.mx().len());
    };
    let mut parts = Vec::new();
    if old.mode() != new.mode() {
        parts.push(format!("mode {} → {}", old.mode(), new.mode()));
    }
    let added: Vec<&str> = new
        .mx()
        .iter()
        .filter(|p| !old.mx().contains(p))
        .map(|p| p.as_str())
        .collect();
    let removed: Vec<&str> = old
        .mx()
        .iter()
        .filter(|p| !new.mx().contains(p))
        .map(|p| p.as_str())
        .collect();
    if !added.is_empty() {
        parts.push(format!("added mx {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed mx {}", removed.join(", ")));
    }
    if old.max_age() != new.max_age() {
        parts.push(format!("max_age {} → {}", old.max_age(), new.max_age()));
    }
    if parts.is_empty() {
        parts.push("reordered mx or changed other fields".to_string());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Mode, MxPattern};

    fn policy(mode: Mode, age: u64, mx: &[&str]) -> Policy {
        Policy::new(mode, age, mx.iter().map(|m| MxPattern::parse(m).unwrap()).collect()).unwrap()
    }

    #[test]
    fn names_each_kind_of_change() {
        let a = policy(Mode::Testing, 86_400, &["a.example", "c.example"]);
        let b = policy(Mode::Enforce, 604_800, &["a.example", "b.example"]);
        assert_eq!(describe_change(None, &a), "first policy (testing, 2 mx)");
        assert_eq!(
            describe_change(Some(&a), &b),
            "mode testing → enforce; added mx b.example; removed mx c.example; max_age 86400 → 604800"
        );
        let reordered = policy(Mode::Testing, 86_400, &["c.example", "a.example"]);
        assert_eq!(
            describe_change(Some(&a), &reordered),
            "reordered mx or changed other fields"
        );
    }
}
