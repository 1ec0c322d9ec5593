use leptos::prelude::*;
use portcullis_domain::dns::{Severity, Status};

/// A domain's DNS status (latest check) as a badge; text, not colour alone, carries it.
#[component]
pub fn DnsStatusBadge(status: Status) -> impl IntoView {
    let class = match status {
        Status::Ok => "badge ok",
        Status::Warning => "badge warn",
        Status::Error => "badge error",
        Status::NeverChecked => "badge",
    };
    view! {
        <span class=class data-testid="dns-status" data-status=status.as_str()>
            {status.label()}
        </span>
    }
}

/// A finding's severity, as a short word in a badge.
#[component]
pub fn SeverityBadge(severity: Severity) -> impl IntoView {
    let (class, text) = match severity {
        Severity::Ok => ("badge ok", "ok"),
        Severity::Warning => ("badge warn", "warning"),
        Severity::Error => ("badge error", "error"),
    };
    view! { <span class=class>{text}</span> }
}
