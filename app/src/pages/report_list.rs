use crate::api::{get_report_detail, get_report_list};
use crate::components::{page_frame, Crumbs, ErrorPanel};
use crate::dto::{count_text, format_time, ReportDetailView, ReportListView};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

const COLUMNS: [(&str, &str, bool); 5] = [
    ("period", "Period", false),
    ("organization", "From", false),
    ("successful", "Successful", true),
    ("failed", "Failed", true),
    ("received", "Received", false),
];

/// Every report of a domain: sortable by each column (links, so it works without JS), 50 a page.
#[component]
pub fn ReportListPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    let query = use_query_map().get_untracked();
    let sort = query.get("sort");
    let dir = query.get("dir");
    let page = query.get("page").and_then(|p| p.parse::<i64>().ok());
    page_frame(format!("Report list · {name}"), None, move |_| async move {
        let list = get_report_list(name.clone(), sort.clone(), dir.clone(), page).await;
        view! {
            <Crumbs trail=vec![
                (format!("/domains/{name}"), name.clone()),
                (format!("/domains/{name}/reports"), "Reports".into()),
            ] />
            <h1>"All reports"</h1>
            {match list {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(l) => view! { <ReportTable l=l /> }.into_any(),
            }}
        }
        .into_any()
    })
}

#[component]
fn ReportTable(l: ReportListView) -> impl IntoView {
    let base = format!("/domains/{}/reports/list", l.domain);
    let link = {
        let base = base.clone();
        move |sort: &str, desc: bool, page: i64| {
            format!(
                "{base}?sort={sort}&dir={}&page={page}",
                if desc { "desc" } else { "asc" }
            )
        }
    };
    if l.total == 0 {
        return view! {
            <section class="card empty" data-testid="report-list-empty">
                <p>"No reports for this domain yet."</p>
            </section>
        }
        .into_any();
    }
    let (sort, desc, page, pages) = (l.sort.clone(), l.descending, l.page, l.pages);
    let domain = l.domain.clone();
    view! {
        <section class="card">
            <p class="muted">{format!("{} reports · page {} of {}", l.total, page, pages)}</p>
            <table class="compact" data-testid="report-list">
                <thead>
                    <tr>
                        {COLUMNS
                            .into_iter()
                            .map(|(key, label, num)| {
                                let active = sort == key;
                                let next_desc = if active { !desc } else { true };
                                let marker = if active { if desc { " ↓" } else { " ↑" } } else { "" };
                                let aria = active.then_some(if desc { "descending" } else { "ascending" });
                                // A second click on the sorted column reverses it.
                                view! {
                                    <th scope="col" class:num=num aria-sort=aria>
                                        <a href=link(key, next_desc, 1)>{label}{marker}</a>
                                    </th>
                                }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {l
                        .reports
                        .into_iter()
                        .map(|r| {
                            let href = format!("/domains/{domain}/reports/{}", r.id);
                            view! {
                                <tr>
                                    <td>
                                        <a href=href>{format_time(r.start_at)}</a>
                                    </td>
                                    <td>
                                        {r.organization_name} <br /> <span class="muted">{r.report_id}</span>
                                        {(r.resends > 0)
                                            .then(|| view! { <span class="badge warn">" differing re-send"</span> })}
                                    </td>
                                    <td class="num">{count_text(r.successful)}</td>
                                    <td class="num">{count_text(r.failed)}</td>
                                    <td>
                                        {format_time(r.received_at)}<br />
                                        <span class="muted">{format!("via {}", r.channel)}</span>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <nav class="pager" aria-label="Pages">
                {(page > 1)
                    .then(|| {
                        view! {
                            <a href=link(&sort, desc, page - 1) rel="prev">
                                "← Newer"
                            </a>
                        }
                    })}
                {(page < pages)
                    .then(|| {
                        view! {
                            <a href=link(&sort, desc, page + 1) rel="next">
                                "Older →"
                            </a>
                        }
                    })}
            </nav>
        </section>
    }
    .into_any()
}

/// One report as readable tables, with its JSON (shown and downloadable).
#[component]
pub fn ReportDetailPage() -> impl IntoView {
    let params = use_params_map().get_untracked();
    let name = params.get("name").unwrap_or_default();
    let id = params.get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0);
    page_frame(format!("Report · {name}"), None, move |_| async move {
        let detail = get_report_detail(name.clone(), id).await;
        view! {
            <Crumbs trail=vec![
                (format!("/domains/{name}"), name.clone()),
                (format!("/domains/{name}/reports/list"), "All reports".into()),
            ] />
            {match detail {
                Err(e) => {
                    view! {
                        <h1>"Report"</h1>
                        <ErrorPanel error=e />
                    }
                        .into_any()
                }
                Ok(d) => view! { <Detail d=d /> }.into_any(),
            }}
        }
        .into_any()
    })
}

#[component]
fn Detail(d: ReportDetailView) -> impl IntoView {
    let s = d.report;
    let download = format!("/domains/{}/reports/{}/report.json", d.domain, s.id);
    view! {
        <h1>{format!("Report from {}", s.organization_name)}</h1>
        <dl class="facts" data-testid="report-facts">
            <dt>"Report id"</dt>
            <dd>{s.report_id}</dd>
            <dt>"Period"</dt>
            <dd>{format!("{} – {}", format_time(s.start_at), format_time(s.end_at))}</dd>
            <dt>"Successful sessions"</dt>
            <dd>{count_text(s.successful)}</dd>
            <dt>"Failed sessions"</dt>
            <dd>{count_text(s.failed)}</dd>
            <dt>"Contact"</dt>
            <dd>{s.contact_info.clone().unwrap_or_else(|| "–".into())}</dd>
            <dt>"Received"</dt>
            <dd>
                {format!(
                    "{} via {}{}",
                    format_time(s.received_at),
                    s.channel,
                    s.submitter.clone().map(|x| format!(" ({x})")).unwrap_or_default(),
                )}
            </dd>
            <dt>"How it arrived"</dt>
            <dd data-testid="report-arrival">
                {s.arrival.clone().unwrap_or_else(|| "not recorded (stored before Portcullis kept it)".into())}
            </dd>
            <dt>"Origin"</dt>
            <dd data-testid="report-origin">
                {match &s.dkim_domain {
                    Some(d) => {
                        view! { <span class="badge ok">{format!("authenticated: DKIM signature of {d}")}</span> }
                            .into_any()
                    }
                    None => {
                        view! {
                            <span class="badge">"not authenticated"</span>
                            " the enforce gate counts it by the address it came from"
                        }
                            .into_any()
                    }
                }}
            </dd>
        </dl>
        {(!d.resends.is_empty())
            .then(|| {
                view! {
                    <section class="card" data-testid="report-resends">
                        <h2>"Differing re-sends, kept aside"</h2>
                        <p class="warn">
                            {format!(
                                "{} more report(s) arrived with this organisation and report id but other content. The first one received is the one counted above; the others were kept aside, not merged. If this sender did not send the first, it may have been forged: compare the sources.",
                                d.resends.len(),
                            )}
                        </p>
                        <ul>
                            {d
                                .resends
                                .iter()
                                .map(|r| {
                                    view! {
                                        <li>
                                            {format!(
                                                "{} via {}: {}{}",
                                                format_time(r.received_at),
                                                r.channel,
                                                r.arrival.clone().unwrap_or_default(),
                                                r
                                                    .dkim_domain
                                                    .clone()
                                                    .map(|d| format!(" (authenticated: {d})"))
                                                    .unwrap_or_default(),
                                            )}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </section>
                }
            })}
        {d
            .policies
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                view! {
                    <section class="card" data-testid="report-policy">
                        <h2>
                            {format!(
                                "Policy {}: {}{}",
                                i + 1,
                                p.policy_type,
                                p.policy_domain.map(|x| format!(" for {x}")).unwrap_or_default(),
                            )}
                        </h2>
                        <dl class="facts">
                            <dt>"Successful"</dt>
                            <dd>{count_text(p.successful)}</dd>
                            <dt>"Failed"</dt>
                            <dd>{count_text(p.failed)}</dd>
                            <dt>"MX hosts"</dt>
                            <dd>{if p.mx_hosts.is_empty() { "–".to_string() } else { p.mx_hosts.join(", ") }}</dd>
                        </dl>
                        {(!p.policy_string.is_empty())
                            .then(|| view! { <pre class="policy-text">{p.policy_string.join("\n")}</pre> })}
                        {if p.failures.is_empty() {
                            view! { <p class="ok-note">"No failure details."</p> }.into_any()
                        } else {
                            view! {
                                <table class="compact">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Result"</th>
                                            <th scope="col" class="num">
                                                "Sessions"
                                            </th>
                                            <th scope="col">"Sending MTA"</th>
                                            <th scope="col">"Receiving MX"</th>
                                            <th scope="col">"Receiving IP"</th>
                                            <th scope="col">"Reason"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {p
                                            .failures
                                            .into_iter()
                                            .map(|f| {
                                                view! {
                                                    <tr>
                                                        <td>
                                                            <code>{f.result_type}</code>
                                                        </td>
                                                        <td class="num">{count_text(f.failed)}</td>
                                                        <td>{f.sending_ip.unwrap_or_else(|| "–".into())}</td>
                                                        <td>
                                                            {f.receiving_mx.unwrap_or_else(|| "–".into())}
                                                            {f
                                                                .receiving_helo
                                                                .map(|h| {
                                                                    view! {
                                                                        <br />
                                                                        <span class="muted">{format!("HELO {h}")}</span>
                                                                    }
                                                                })}
                                                        </td>
                                                        <td>{f.receiving_ip.unwrap_or_else(|| "–".into())}</td>
                                                        <td>
                                                            {f.reason_code.unwrap_or_else(|| "–".into())}
                                                            {f
                                                                .additional_info
                                                                .map(|a| {
                                                                    view! {
                                                                        <br />
                                                                        <span class="muted">{a}</span>
                                                                    }
                                                                })}
                                                        </td>
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
            })
            .collect_view()}
        <section class="card">
            <h2>"The report as sent"</h2>
            <p>
                <a href=download download>
                    "Download JSON"
                </a>
            </p>
            <details>
                <summary>"Show JSON"</summary>
                <pre data-testid="report-json">{d.json}</pre>
            </details>
        </section>
    }
}
