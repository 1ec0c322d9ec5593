//! Small pieces shown wherever a policy appears: the mode badge and a line diff.

use leptos::prelude::*;
use portcullis_domain::policy::{DiffKind, DiffLine};

/// The served mode, or "not configured" when there is no policy yet.
#[component]
pub fn ModeBadge(mode: Option<String>) -> impl IntoView {
    let (class, text) = match mode.as_deref() {
        Some("enforce") => ("badge mode-enforce", "enforce"),
        Some("testing") => ("badge mode-testing", "testing"),
        Some("none") => ("badge mode-none", "none"),
        _ => ("badge", "not configured"),
    };
    view! { <span class=class>{text}</span> }
}

/// Lines marked added (+) or removed (−); unchanged lines are shown plain for context.
#[component]
pub fn PolicyDiff(lines: Vec<DiffLine>) -> impl IntoView {
    view! {
        <pre class="policy-text diff" data-testid="policy-diff">
            {lines
                .into_iter()
                .map(|l| {
                    let (class, mark) = match l.kind {
                        DiffKind::Added => ("diff-added", "+ "),
                        DiffKind::Removed => ("diff-removed", "- "),
                        DiffKind::Same => ("diff-same", "  "),
                    };
                    view! { <span class=class>{format!("{mark}{}\n", l.text)}</span> }
                })
                .collect_view()}
        </pre>
    }
}

/// Seconds as words, for max_age hints ("7 days").
pub fn describe_seconds(secs: u64) -> String {
    match secs {
        0 => "0 seconds: senders do not cache the policy".into(),
        s if s % 86_400 == 0 => format!("{} day{}", s / 86_400, if s == 86_400 { "" } else { "s" }),
        s if s % 3_600 == 0 => format!("{} hour{}", s / 3_600, if s == 3_600 { "" } else { "s" }),
        s => format!("{s} seconds"),
    }
}
