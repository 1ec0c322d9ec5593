use crate::api::get_trends;
use crate::components::{page_frame, ErrorPanel};
use crate::dto::{count_text, failure_rate_text, TrendsView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The morning view: every domain (of one organisation, or all the user can see) ranked by failed
/// sessions over the period, with a small daily trend.
#[component]
pub fn TrendsPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let org = query.get("org").filter(|o| !o.is_empty());
    let days = query.get("days").and_then(|d| d.parse::<i64>().ok());
    page_frame("Reports overview".to_string(), org.clone(), move |_| async move {
        let trends = get_trends(org.clone(), days).await;
        view! {
            <h1>"Reports overview"</h1>
            {match trends {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(t) => view! { <Trends t=t /> }.into_any(),
            }}
        }
        .into_any()
    })
}

#[component]
fn Trends(t: TrendsView) -> impl IntoView {
    let org_param = t.org.clone().map(|o| format!("&org={o}")).unwrap_or_default();
    view! {
        <section class="card">
            <nav class="presets" aria-label="Period">
                {[7, 30, 90]
                    .into_iter()
                    .map(|n| {
                        let current = t.days == n;
                        view! {
                            <a
                                href=format!("/reports?days={n}{org_param}")
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
                {format!("{} to {} (UTC). Domains with the most failed sessions first. ", t.from, t.to)}
                <a href=format!("/reports/patterns?days={}{org_param}", t.days)>"Patterns across these domains"</a>
            </p>
            {if t.rows.is_empty() {
                view! {
                    <p class="empty" data-testid="trends-empty">
                        "No domains yet."
                    </p>
                }
                    .into_any()
            } else {
                let days = t.days;
                view! {
                    <table class="compact" data-testid="trends">
                        <thead>
                            <tr>
                                <th scope="col">"Domain"</th>
                                <th scope="col">"Organisation"</th>
                                <th scope="col" class="num">
                                    "Failed"
                                </th>
                                <th scope="col" class="num">
                                    "Failure rate"
                                </th>
                                <th scope="col" class="num">
                                    "Reports"
                                </th>
                                <th scope="col">"Failed per day"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {t
                                .rows
                                .into_iter()
                                .map(|r| {
                                    let rate = failure_rate_text(r.successful, r.failed);
                                    let href = format!("/domains/{}/reports?days={days}", r.domain);
                                    let key = r.domain.clone();
                                    view! {
                                        <tr data-domain=key>
                                            <td>
                                                <a href=href>{r.domain.clone()}</a>
                                            </td>
                                            <td>{r.org_name}</td>
                                            <td class="num">
                                                {if r.failed > 0 {
                                                    view! { <span class="badge error">{count_text(r.failed)}</span> }
                                                        .into_any()
                                                } else {
                                                    view! { <span>"0"</span> }.into_any()
                                                }}
                                            </td>
                                            <td class="num">{rate}</td>
                                            <td class="num">{count_text(r.reports)}</td>
                                            <td inner_html=sparkline(&r.domain, &r.daily_failed)></td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}

/// A 120×24 SVG polyline of failed sessions per day, in the text colour, with the numbers as
/// its accessible description.
fn sparkline(domain: &str, values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = values.len().max(2) as f64 - 1.0;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", i as f64 * 118.0 / n + 1.0, 23.0 - *v as f64 * 22.0 / max))
        .collect();
    let total: i64 = values.iter().sum();
    let peak = values.iter().copied().max().unwrap_or(0);
    let label = format!(
        "{domain}: {} failed sessions over {} days, at most {} a day",
        count_text(total),
        values.len(),
        count_text(peak)
    );
    format!(
        "<svg class=\"sparkline\" role=\"img\" width=\"120\" height=\"24\" viewBox=\"0 0 120 24\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title><polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        label.replace('&', "&amp;").replace('<', "&lt;"),
        points.join(" ")
    )
}
