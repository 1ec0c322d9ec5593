//! `/share/<token>` and `/share/<token>/<domain>`: what a read-only share link shows a client,
//! without signing in: one domain's status, records health and report charts, or the list of an
//! organisation's domains. Nothing on it can be changed, and a link that is unknown, expired,
//! revoked, or asked for a domain outside it gets the same "not found".

use super::not_found::NotFoundStatus;
use crate::api::get_shared;
use crate::components::page_frame;
use crate::dto::{count_text, failure_rate_text, format_time, SharedDomainView, SharedView};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::use_params_map;

#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map().get_untracked();
    let token = params.get("token").unwrap_or_default();
    let name = params.get("name").filter(|n| !n.is_empty());
    page_frame("Shared".to_string(), None, move |_| async move {
        let shared = get_shared(token, name).await;
        view! {
            <Meta name="robots" content="noindex, nofollow" />
            {match shared {
                Ok(v) => view! { <Shared v=v /> }.into_any(),
                Err(AppError::NotFound) => {
                    view! {
                        <NotFoundStatus />
                        <h1>"Link not found"</h1>
                        <div class="panel error" role="alert" data-testid="share-not-found">
                            "This link does not open anything. It may have expired or been revoked: ask whoever sent it for a new one."
                        </div>
                    }
                        .into_any()
                }
                Err(e) => view! { <crate::components::ErrorPanel error=e /> }.into_any(),
            }}
        }
        .into_any()
    })
}

fn status_badge(status: Option<String>) -> AnyView {
    match status.as_deref() {
        Some("ok") => view! { <span class="badge ok">"records OK"</span> }.into_any(),
        Some("warning") => view! { <span class="badge warn">"records: warnings"</span> }.into_any(),
        Some("error") => view! { <span class="badge error">"records: errors"</span> }.into_any(),
        _ => view! { <span class="muted">"not checked yet"</span> }.into_any(),
    }
}

fn mode_badge(mode: Option<String>) -> AnyView {
    match mode {
        Some(m) => view! { <span class=format!("badge mode-{m}")>{m.clone()}</span> }.into_any(),
        None => view! { <span class="muted">"no policy yet"</span> }.into_any(),
    }
}

#[component]
fn Shared(v: SharedView) -> impl IntoView {
    let base = format!("/share/{}", v.token);
    view! {
        <p class="muted" data-testid="share-scope">
            {format!(
                "Shared read-only by {}, until {}. Nothing here can be changed.",
                v.org_name,
                format_time(v.expires_at),
            )}
        </p>
        {match v.domain {
            Some(d) => {
                let back = (!v.single)
                    .then(|| {
                        view! {
                            <p>
                                <a href=base.clone()>"All domains"</a>
                            </p>
                        }
                    });
                view! {
                    {back}
                    <SharedDomain d=d />
                }
                    .into_any()
            }
            None => {
                view! {
                    <h1>{format!("{}: MTA-STS and TLS reports", v.org_name)}</h1>
                    {if v.domains.is_empty() {
                        view! { <p class="empty">"No domains yet."</p> }.into_any()
                    } else {
                        view! {
                            <table class="compact" data-testid="shared-domains">
                                <caption>"Domains, with the last 30 days of reports"</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Domain"</th>
                                        <th scope="col">"Mode"</th>
                                        <th scope="col">"Records"</th>
                                        <th scope="col" class="num">
                                            "Reports"
                                        </th>
                                        <th scope="col" class="num">
                                            "Failure rate"
                                        </th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {v
                                        .domains
                                        .into_iter()
                                        .map(|d| {
                                            view! {
                                                <tr data-domain=d.name.clone()>
                                                    <td>
                                                        <a href=format!("{base}/{}", d.name)>{d.name.clone()}</a>
                                                    </td>
                                                    <td>{mode_badge(d.mode)}</td>
                                                    <td>{status_badge(d.dns_status)}</td>
                                                    <td class="num">{count_text(d.reports)}</td>
                                                    <td class="num">{failure_rate_text(d.successful, d.failed)}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }}
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn SharedDomain(d: SharedDomainView) -> impl IntoView {
    view! {
        <h1>{d.name.clone()}</h1>
        <section class="card" data-testid="shared-status">
            <h2>"Status"</h2>
            <dl class="facts">
                <dt>"MTA-STS mode"</dt>
                <dd data-testid="shared-mode">{mode_badge(d.mode)}</dd>
                <dt>"DNS records"</dt>
                <dd data-testid="shared-dns">
                    {status_badge(d.dns_status)} {d.checked_at.map(|t| format!(" (checked {})", format_time(t)))}
                </dd>
            </dl>
            {(!d.findings.is_empty())
                .then(|| {
                    view! {
                        <ul class="warnings" data-testid="shared-findings">
                            {d
                                .findings
                                .into_iter()
                                .map(|(severity, seen)| {
                                    view! {
                                        <li class=format!("finding {severity}")>{format!("{severity}: {seen}")}</li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
        </section>
        <section class="card" data-testid="shared-reports">
            <h2>"TLS reports, last 30 days"</h2>
            <p class="muted">
                {format!(
                    "{} to {} (UTC): {} reports, {} successful and {} failed sessions, failure rate {}.",
                    d.from,
                    d.to,
                    count_text(d.reports),
                    count_text(d.successful),
                    count_text(d.failed),
                    failure_rate_text(d.successful, d.failed),
                )}
            </p>
            {if d.reports == 0 {
                view! { <p class="empty">"No reports in this period."</p> }.into_any()
            } else {
                view! {
                    <figure class="chart-figure" inner_html=d.daily_chart></figure>
                    {(d.failed > 0)
                        .then(|| view! { <figure class="chart-figure" inner_html=d.results_chart.clone()></figure> })}
                }
                    .into_any()
            }}
        </section>
    }
}
