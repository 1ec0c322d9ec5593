use crate::api::get_patterns;
use crate::components::{page_frame, Crumbs, ErrorPanel};
use crate::dto::{count_text, PatternsView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use portcullis_domain::tlsrpt::Pattern;

/// Failures shared across the domains a user can see (one organisation, or all of theirs):
/// what is likely the sender's doing, and what is shared infrastructure to fix once.
#[component]
pub fn PatternsPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let org = query.get("org").filter(|o| !o.is_empty());
    let days = query.get("days").and_then(|d| d.parse::<i64>().ok());
    page_frame(
        "Patterns across domains".to_string(),
        org.clone(),
        move |_| async move {
            let found = get_patterns(org.clone(), days).await;
            view! {
                <Crumbs trail=vec![("/reports".to_string(), "Reports overview".to_string())] />
                <h1>"Patterns across domains"</h1>
                {match found {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(v) => view! { <PatternsView v=v /> }.into_any(),
                }}
            }
            .into_any()
        },
    )
}

#[component]
fn PatternsView(v: PatternsView) -> impl IntoView {
    let org_param = v.org.clone().map(|o| format!("&org={o}")).unwrap_or_default();
    view! {
        <section class="card">
            <nav class="presets" aria-label="Period">
                {[7, 30, 90]
                    .into_iter()
                    .map(|n| {
                        let current = v.days == n;
                        view! {
                            <a
                                href=format!("/reports/patterns?days={n}{org_param}")
                                class:current=current
                                aria-current=current.then_some("page")
                            >
                                {format!("Last {n} days")}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <p class="muted">
                {format!(
                    "{} to {} (UTC). A key shows here when it fails on three or more of your domains; only domains you can see are counted.",
                    v.from,
                    v.to,
                )}
            </p>
        </section>
        <Patterns patterns=v.patterns days=v.days />
    }
}

/// Keys failing on three or more of the listed domains: the sender's side first, then shared
/// receiving infrastructure, each with the domains it touches.
#[component]
fn Patterns(patterns: Vec<Pattern>, days: i64) -> impl IntoView {
    let (sender, shared): (Vec<Pattern>, Vec<Pattern>) = patterns.into_iter().partition(|p| p.kind.is_sender_side());
    let list = move |title: &'static str, help: &'static str, testid: &'static str, items: Vec<Pattern>| {
        view! {
            <div data-testid=testid>
                <h3>{title}</h3>
                <p class="muted">{help}</p>
                {if items.is_empty() {
                    view! { <p class="ok-note">"None in this period."</p> }.into_any()
                } else {
                    view! {
                        <ul class="patterns">
                            {items
                                .into_iter()
                                .map(|p| {
                                    let results = p
                                        .result_types
                                        .iter()
                                        .map(|(t, n)| format!("{t} {}", count_text(*n)))
                                        .collect::<Vec<_>>()
                                        .join(", ");
                                    view! {
                                        <li data-pattern=p.key.clone() data-kind=p.kind.as_str()>
                                            <strong>{format!("{} {}", p.kind.label(), p.key)}</strong>
                                            {format!(
                                                ": {} failed sessions on {} domains{}: ",
                                                count_text(p.failed),
                                                p.domains.len(),
                                                if results.is_empty() { String::new() } else { format!(" ({results})") },
                                            )}
                                            {p
                                                .domains
                                                .into_iter()
                                                .enumerate()
                                                .map(|(i, (domain, failed))| {
                                                    view! {
                                                        {(i > 0).then_some(", ")}
                                                        <a href=format!(
                                                            "/domains/{domain}/reports?days={days}",
                                                        )>{domain.clone()}</a>
                                                        {format!(" ({})", count_text(failed))}
                                                    }
                                                })
                                                .collect_view()}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </div>
        }
    };
    view! {
        <section class="card" data-testid="patterns">
            <h2>"Patterns across domains"</h2>
            {list(
                "Likely on the sender's side",
                "A sending organisation or IP failing on three or more of these domains: the fault is probably not yours. Tell the sender, or wait.",
                "patterns-sender",
                sender,
            )}
            {list(
                "Shared infrastructure: fix once",
                "A receiving MX host or MX provider failing across three or more domains: one fix there helps all of them.",
                "patterns-shared",
                shared,
            )}
        </section>
    }
}
