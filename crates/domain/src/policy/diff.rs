//! Line diff between two policy texts, for "what changes if I save this" and version history.
//! Policies are a handful of lines, so a plain longest-common-subsequence table is enough.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub text: String,
}

/// Lines of `old` and `new` (CRLF or LF) in order, each marked same, added or removed.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let line = |kind, text: &str| DiffLine {
        kind,
        text: text.to_string(),
    };
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(line(DiffKind::Same, a[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(line(DiffKind::Removed, a[i]));
            i += 1;
        } else {
            out.push(line(DiffKind::Added, b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|t| line(DiffKind::Removed, t)));
    out.extend(b[j..].iter().map(|t| line(DiffKind::Added, t)));
    out
}

/// Whether a diff changes anything.
pub fn has_changes(diff: &[DiffLine]) -> bool {
    diff.iter().any(|l| l.kind != DiffKind::Same)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn marks_changed_lines() {
        let old = "version: STSv1\r\nmode: testing\r\nmx: a.example\r\nmax_age: 86400\r\n";
        let new = "version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmx: b.example\r\nmax_age: 86400\r\n";
        let d = diff_lines(old, new);
        let kinds: Vec<_> = d.iter().map(|l| (l.kind, l.text.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (DiffKind::Same, "version: STSv1"),
                (DiffKind::Removed, "mode: testing"),
                (DiffKind::Added, "mode: enforce"),
                (DiffKind::Same, "mx: a.example"),
                (DiffKind::Added, "mx: b.example"),
                (DiffKind::Same, "max_age: 86400"),
            ]
        );
        assert!(has_changes(&d));
        assert!(!has_changes(&diff_lines(old, old)));
        assert!(diff_lines("", new).iter().all(|l| l.kind == DiffKind::Added));
    }

    proptest! {
        #[test]
        fn both_sides_can_be_rebuilt_from_the_diff(
            a in proptest::collection::vec("[abc]", 0..8),
            b in proptest::collection::vec("[abc]", 0..8),
        ) {
            let d = diff_lines(&a.join("\n"), &b.join("\n"));
            let old: Vec<_> = d.iter().filter(|l| l.kind != DiffKind::Added).map(|l| l.text.clone()).collect();
            let new: Vec<_> = d.iter().filter(|l| l.kind != DiffKind::Removed).map(|l| l.text.clone()).collect();
            prop_assert_eq!(old, a);
            prop_assert_eq!(new, b);
        }
    }
}
