//! Line diff between two policy texts, for "what changes if I save this" and version history.
//! Policies are a handful of lines, so a plain longest-common-subsequence table is enough for
//! the lines between the common head and tail. The table is bounded: past
//! [`MAX_TABLE_CELLS`] (two unrelated 64 KiB texts would need hundreds of megabytes) the middle
//! is shown as removed, then added.

use serde::{Deserialize, Serialize};

/// The largest LCS table built, in cells (4 MiB of `u32`).
pub const MAX_TABLE_CELLS: usize = 1 << 20;

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
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let line = |kind, text: &str| DiffLine {
        kind,
        text: text.to_string(),
    };
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    out.extend(a[..head].iter().map(|t| line(DiffKind::Same, t)));
    let (a_mid, b_mid) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    if (a_mid.len() + 1).saturating_mul(b_mid.len() + 1) <= MAX_TABLE_CELLS {
        diff_middle(a_mid, b_mid, &mut out);
    } else {
        out.extend(a_mid.iter().map(|t| line(DiffKind::Removed, t)));
        out.extend(b_mid.iter().map(|t| line(DiffKind::Added, t)));
    }
    out.extend(a[a.len() - tail..].iter().map(|t| line(DiffKind::Same, t)));
    out
}

fn diff_middle(a: &[&str], b: &[&str], out: &mut Vec<DiffLine>) {
    let line = |kind, text: &str| DiffLine {
        kind,
        text: text.to_string(),
    };
    // lcs[i * w + j]: length of the longest common subsequence of a[i..] and b[j..].
    let w = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(line(DiffKind::Same, a[i]));
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
            out.push(line(DiffKind::Removed, a[i]));
            i += 1;
        } else {
            out.push(line(DiffKind::Added, b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|t| line(DiffKind::Removed, t)));
    out.extend(b[j..].iter().map(|t| line(DiffKind::Added, t)));
}

/// Whether a diff changes anything.
pub fn has_changes(diff: &[DiffLine]) -> bool {
    diff.iter().any(|l| l.kind != DiffKind::Same)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Two unrelated 64 KiB policies: the diff stays bounded in memory (the table alone would
    /// have taken gigabytes) and still lists every line once.
    #[test]
    fn large_unrelated_texts_are_diffed_within_a_bounded_table() {
        let old: String = (0..16_000).map(|i| format!("a{i}\n")).collect();
        let new: String = (0..16_000).map(|i| format!("b{i}\n")).collect();
        #[cfg(target_os = "linux")]
        let before = peak_rss_kib();
        let d = diff_lines(&old, &new);
        #[cfg(target_os = "linux")]
        {
            let grown_mib = (peak_rss_kib() - before) / 1024;
            assert!(grown_mib < 64, "peak memory grew by {grown_mib} MiB");
        }
        assert_eq!(d.len(), 32_000);
        assert!(d[..16_000].iter().all(|l| l.kind == DiffKind::Removed));
        assert!(d[16_000..].iter().all(|l| l.kind == DiffKind::Added));
        // A change in the middle of a long text is found exactly, around the common head and tail.
        let edited = old.replacen("a8000\n", "changed\n", 1);
        let d = diff_lines(&old, &edited);
        let changed: Vec<_> = d.iter().filter(|l| l.kind != DiffKind::Same).collect();
        assert_eq!(changed.len(), 2);
        assert_eq!(
            (changed[0].kind, changed[0].text.as_str()),
            (DiffKind::Removed, "a8000")
        );
        assert_eq!(
            (changed[1].kind, changed[1].text.as_str()),
            (DiffKind::Added, "changed")
        );
    }

    #[cfg(target_os = "linux")]
    fn peak_rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

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
