use crate::api::get_report_overview;
use crate::components::{page_frame, Crumbs, ErrorPanel};
use crate::dto::{change_text, count_text, PeriodTotals, ReportOverviewView, SummaryRow};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The preset periods, in days.
const PRESETS: [i64; 3] = [7, 30, 90];

/// A domain's TLS-RPT reports for a period: totals and what changed since the period before,
/// failures by result type (explained), by sending organisation, sending IP and receiving MX,
/// and per day. Filters live in the URL, so every view can be bookmarked and works without JS.
#[component]
pub fn ReportsPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    let query = use_query_map().get_untracked();
    let from = query.get("from").filter(|v| !v.is_empty());
    let to = query.get("to").filter(|v| !v.is_empty());
    let days = query.get("days").and_then(|d| d.parse::<i64>().ok());
    let days = if from.is_none() && days.is_none() {
        Some(30)
    } else {
        days
    };
    page_frame(format!("Reports · {name}"), None, move |_| async move {
        let overview = get_report_overview(
            name.clone(),
            from.clone(),
            to.clone(),
            if from.is_some() { None } else { days },
        )
        .await;
        view! {
            <Crumbs trail=vec![(format!("/domains/{name}"), name.clone())] />
            <h1>"TLS-RPT reports"</h1>
            {match overview {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(o) => view! { <Overview o=o days=days.filter(|_| from.is_none()) /> }.into_any(),
            }}
        }
        .into_any()
    })
}

#[component]
fn Overview(o: ReportOverviewView, days: Option<i64>) -> impl IntoView {
    let base = format!("/domains/{}/reports", o.domain);
    let export = |group: &str| {
        format!(
            "/domains/{}/reports/export.csv?group_by={group}&from={}&to={}",
            o.domain, o.from, o.to
        )
    };
    view! {
        <section class="card" data-testid="report-period">
            <form method="get" action=base.clone() class="row" aria-label="Period">
                <div role="group" aria-label="Preset periods" class="presets">
                    {PRESETS
                        .into_iter()
                        .map(|n| {
                            let current = days == Some(n);
                            view! {
                                <a
                                    href=format!("{base}?days={n}")
                                    class:current=current
                                    aria-current=current.then_some("page")
                                >
                                    {format!("Last {n} days")}
                                </a>
                            }
                        })
                        .collect_view()}
                </div>
                <div>
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" value=o.from.clone() required />
                </div>
                <div>
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" value=o.to.clone() required />
                </div>
                <button type="submit">"Show"</button>
            </form>
            <p class="muted">
                {format!("{} to {} (UTC, {} days), compared with the {} days before.", o.from, o.to, o.days, o.days)}
            </p>
            <p>
                <a href=format!("/domains/{}/reports/list", o.domain)>"All reports, one by one"</a>
                " · "
                <a href=format!("/domains/{}/senders", o.domain)>"Which policy each sender applies"</a>
            </p>
        </section>
        {(o.current.reports > 0).then(|| view! { <Attention lines=attention(&o) /> })}
        <Totals current=o.current previous=o.previous />
        {if o.current.reports == 0 {
            view! {
                <section class="card empty" data-testid="reports-none">
                    <p>
                        "No reports for this period. Senders report once a day for the previous day; check the "
                        <code>"_smtp._tls"</code>" record in the "
                        <a href=format!("/domains/{}#dns", o.domain)>"DNS section"</a>", or "
                        <a href=format!("/reports/upload?org={}", o.org_slug)>"upload reports"</a>
                        " you received elsewhere."
                    </p>
                </section>
            }
                .into_any()
        } else {
            view! {
                <section class="card" data-testid="daily-chart">
                    <h2>"Sessions over time"</h2>
                    <Chart svg=o.charts.daily.clone() />
                    <p class="muted">
                        "The per-day numbers are in the table at the end of the page (folded: open it to read them)."
                    </p>
                </section>
                <section class="card" data-testid="by-result">
                    <h2>"Failures by result"</h2>
                    {(o.current.failed > 0).then(|| view! { <Chart svg=o.charts.by_result.clone() /> })}
                    {if o.by_category.is_empty() {
                        view! { <p class="ok-note">"No failed sessions in this period."</p> }.into_any()
                    } else {
                        o.by_category
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <h3>{format!("{} · {} failed", c.label, count_text(c.failed))}</h3>
                                    <table class="compact">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Result"</th>
                                                <th scope="col" class="num">
                                                    "Failed sessions"
                                                </th>
                                                <th scope="col">"What it means"</th>
                                                <th scope="col">"Fix"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {c
                                                .results
                                                .into_iter()
                                                .map(|r| {
                                                    let key = r.result_type.clone();
                                                    view! {
                                                        <tr data-result=key>
                                                            <td>
                                                                <code>{r.result_type}</code>
                                                            </td>
                                                            <td class="num">{count_text(r.failed)}</td>
                                                            <td>{r.meaning}</td>
                                                            <td>{r.fix}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                    {(o.current.failed > 0)
                        .then(|| {
                            view! {
                                <Chart svg=o.charts.daily_results.clone() />
                                <details class="fold">
                                    <summary>{format!("Show the table ({} rows)", o.daily_results.len())}</summary>
                                    <table class="compact" data-testid="daily-results">
                                        <caption>"Failed sessions per day and result (days with failures)"</caption>
                                        <thead>
                                            <tr>
                                                <th scope="col">"Day (UTC)"</th>
                                                <th scope="col">"Result"</th>
                                                <th scope="col" class="num">
                                                    "Failed"
                                                </th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {o
                                                .daily_results
                                                .clone()
                                                .into_iter()
                                                .map(|d| {
                                                    view! {
                                                        <tr>
                                                            <td>{d.day}</td>
                                                            <td>
                                                                <code>{d.result_type}</code>
                                                            </td>
                                                            <td class="num">{count_text(d.failed)}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </details>
                            }
                        })}
                    <p>
                        <a href=export("result_type") download>
                            "Download CSV"
                        </a>
                        " · "
                        <a href=export("result_type").replace("export.csv", "export.json") download>
                            "JSON"
                        </a>
                    </p>
                </section>
                <GroupTable
                    title="By sending organisation"
                    testid="by-organization"
                    key_label="Organisation"
                    rows=o.by_organization
                    csv=export("organization")
                    chart=(o.current.failed > 0).then(|| o.charts.by_organization.clone())
                />
                <SendingIps rows=o.by_sending_ip total=o.sending_ips csv=export("sending_ip") />
                <GroupTable
                    title="Failures by receiving MX"
                    testid="by-receiving-mx"
                    key_label="Receiving MX"
                    rows=o.by_receiving_mx
                    csv=export("receiving_mx")
                    chart=(o.current.failed > 0).then(|| o.charts.by_receiving_mx.clone())
                />
                <GroupTable
                    title="Per day"
                    testid="by-day"
                    key_label="Day (UTC)"
                    rows=o.by_day
                    csv=export("day")
                    chart=None
                    folded=true
                />
            }
                .into_any()
        }}
    }
}

/// What an admin scanning the page should look at first: the change in failures against the
/// period before, the result failing most with its fix, and the sender and MX with most failures.
fn attention(o: &ReportOverviewView) -> Vec<String> {
    let (now, before) = (o.current.failed, o.previous.failed);
    if now == 0 {
        return vec![format!(
            "No failed sessions in these {} days: nothing needs attention.",
            o.days
        )];
    }
    let mut lines = Vec::new();
    let sessions_before = o.previous.successful.saturating_add(before);
    lines.push(match now.cmp(&before) {
        _ if sessions_before == 0 => format!(
            "{} failed sessions; the {} days before had no reports to compare with.",
            count_text(now),
            o.days
        ),
        std::cmp::Ordering::Greater => format!(
            "Failed sessions rose from {} to {} ({}) against the {} days before.",
            count_text(before),
            count_text(now),
            change_text(now, before),
            o.days
        ),
        std::cmp::Ordering::Less => format!(
            "Failed sessions fell from {} to {} ({}) against the {} days before.",
            count_text(before),
            count_text(now),
            change_text(now, before),
            o.days
        ),
        std::cmp::Ordering::Equal => format!(
            "{} failed sessions, as many as in the {} days before.",
            count_text(now),
            o.days
        ),
    });
    if let Some(top) = o
        .by_category
        .iter()
        .flat_map(|c| c.results.iter())
        .max_by_key(|r| r.failed)
    {
        lines.push(format!(
            "Most failures: {} ({} sessions, {:.0} % of the failures). Fix: {}",
            top.result_type,
            count_text(top.failed),
            top.failed as f64 * 100.0 / now as f64,
            top.fix
        ));
    }
    if let Some(sender) = o
        .by_organization
        .iter()
        .max_by_key(|r| r.failed)
        .filter(|r| r.failed > 0)
    {
        lines.push(format!(
            "Sender with most failures: {} ({} sessions).",
            sender.key,
            count_text(sender.failed)
        ));
    }
    if let Some(mx) = o
        .by_receiving_mx
        .iter()
        .max_by_key(|r| r.failed)
        .filter(|r| r.failed > 0)
    {
        lines.push(format!(
            "Receiving MX with most failures: {} ({} sessions).",
            mx.key,
            count_text(mx.failed)
        ));
    }
    lines
}

#[component]
fn Attention(lines: Vec<String>) -> impl IntoView {
    view! {
        <section class="card attention" data-testid="attention">
            <h2>"What needs attention"</h2>
            <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
        </section>
    }
}

/// Rows a table shows before "show the other rows": enough to see what matters most.
const TOP_ROWS: usize = 10;

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.2} %", r * 100.0))
        .unwrap_or_else(|| "–".into())
}

#[component]
fn Totals(current: PeriodTotals, previous: PeriodTotals) -> impl IntoView {
    let rate_change = match (current.failure_rate(), previous.failure_rate()) {
        (Some(now), Some(before)) => format!("{:+.2} points", (now - before) * 100.0),
        (Some(_), None) => "no sessions before".into(),
        _ => "–".into(),
    };
    view! {
        <section class="card" data-testid="report-totals">
            <h2>"Summary"</h2>
            <table class="compact">
                <thead>
                    <tr>
                        <th scope="col"></th>
                        <th scope="col" class="num">
                            "This period"
                        </th>
                        <th scope="col" class="num">
                            "Period before"
                        </th>
                        <th scope="col" class="num">
                            "Change"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <tr>
                        <th scope="row">"Successful sessions"</th>
                        <td class="num" data-testid="total-successful">
                            {count_text(current.successful)}
                        </td>
                        <td class="num">{count_text(previous.successful)}</td>
                        <td class="num">{change_text(current.successful, previous.successful)}</td>
                    </tr>
                    <tr>
                        <th scope="row">"Failed sessions"</th>
                        <td class="num" data-testid="total-failed">
                            {count_text(current.failed)}
                        </td>
                        <td class="num">{count_text(previous.failed)}</td>
                        <td class="num">{change_text(current.failed, previous.failed)}</td>
                    </tr>
                    <tr>
                        <th scope="row">"Failure rate"</th>
                        <td class="num" data-testid="failure-rate">
                            {percent(current.failure_rate())}
                        </td>
                        <td class="num">{percent(previous.failure_rate())}</td>
                        <td class="num">{rate_change}</td>
                    </tr>
                    <tr>
                        <th scope="row">"Reports"</th>
                        <td class="num" data-testid="total-reports">
                            {count_text(current.reports)}
                        </td>
                        <td class="num">{count_text(previous.reports)}</td>
                        <td class="num">{change_text(current.reports, previous.reports)}</td>
                    </tr>
                    <tr>
                        <th scope="row">"Reporting organisations"</th>
                        <td class="num">{count_text(current.organizations)}</td>
                        <td class="num">{count_text(previous.organizations)}</td>
                        <td class="num">{change_text(current.organizations, previous.organizations)}</td>
                    </tr>
                </tbody>
            </table>
        </section>
    }
}

/// An inline SVG chart rendered on the server (no script involved).
#[component]
fn Chart(svg: String) -> impl IntoView {
    view! { <figure class="chart-figure" inner_html=svg></figure> }
}

#[component]
fn GroupTable(
    title: &'static str,
    testid: &'static str,
    key_label: &'static str,
    rows: Vec<SummaryRow>,
    csv: String,
    chart: Option<String>,
    /// The whole table behind "show", not only the rows past the first [`TOP_ROWS`].
    #[prop(optional)]
    folded: bool,
) -> impl IntoView {
    let with_successful = rows.iter().any(|r| r.successful.is_some());
    let table = move |rows: Vec<SummaryRow>| {
        view! {
            <table class="compact">
                <thead>
                    <tr>
                        <th scope="col">{key_label}</th>
                        {with_successful
                            .then(|| {
                                view! {
                                    <th scope="col" class="num">
                                        "Successful"
                                    </th>
                                }
                            })}
                        <th scope="col" class="num">
                            "Failed"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let key = r.key.clone();
                            view! {
                                <tr data-key=key>
                                    <td>{r.key}</td>
                                    {with_successful
                                        .then(|| {
                                            view! { <td class="num">{count_text(r.successful.unwrap_or(0))}</td> }
                                        })}
                                    <td class="num">{count_text(r.failed)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    };
    view! {
        <section class="card" data-testid=testid>
            <h2>{title}</h2>
            {chart.map(|svg| view! { <Chart svg=svg /> })}
            {if rows.is_empty() {
                view! { <p class="ok-note">"No failures in this period."</p> }.into_any()
            } else if folded {
                let n = rows.len();
                view! {
                    <details class="fold">
                        <summary>{format!("Show the table ({n} rows)")}</summary>
                        {table(rows)}
                    </details>
                }
                    .into_any()
            } else if rows.len() > TOP_ROWS {
                let mut top = rows;
                let rest = top.split_off(TOP_ROWS);
                view! {
                    {table(top)}
                    <details class="fold">
                        <summary>{format!("Show the other {} rows", rest.len())}</summary>
                        {table(rest)}
                    </details>
                }
                    .into_any()
            } else {
                table(rows).into_any()
            }}
            <p>
                <a href=csv.clone() download>
                    "Download CSV"
                </a>
                " · "
                <a href=csv.replace("export.csv", "export.json") download>
                    "JSON"
                </a>
            </p>
        </section>
    }
}

/// Failures by sending MTA address, with each address's reverse DNS (looked up once, cached).
#[component]
fn SendingIps(rows: Vec<SummaryRow>, total: usize, csv: String) -> impl IntoView {
    let hidden = total.saturating_sub(rows.len());
    view! {
        <section class="card" data-testid="by-sending-ip">
            <h2>"Failures by sending IP"</h2>
            {if rows.is_empty() {
                view! { <p class="ok-note">"No failures in this period."</p> }.into_any()
            } else {
                view! {
                    <table class="compact">
                        <thead>
                            <tr>
                                <th scope="col">"Sending MTA"</th>
                                <th scope="col">"Reverse DNS"</th>
                                <th scope="col" class="num">
                                    "Failed"
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| {
                                    let key = r.key.clone();
                                    view! {
                                        <tr data-key=key>
                                            <td>
                                                <code>{r.key}</code>
                                            </td>
                                            <td>
                                                {match r.reverse_dns.map(|n| (n.name, n.confirmed)) {
                                                    Some((name, true)) => {
                                                        let attr = name.clone();
                                                        view! { <span data-ptr=attr>{name}</span> }.into_any()
                                                    }
                                                    Some((name, false)) => {
                                                        let attr = name.clone();
                                                        view! {
                                                            <span data-ptr=attr>{name}</span>
                                                            " "
                                                            <span
                                                                class="muted"
                                                                title="This name does not resolve back to the address: it is only what the address's owner claims."
                                                            >
                                                                "(not confirmed)"
                                                            </span>
                                                        }
                                                            .into_any()
                                                    }
                                                    None => view! { <span class="muted">"–"</span> }.into_any(),
                                                }}
                                            </td>
                                            <td class="num">{count_text(r.failed)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    {(hidden > 0)
                        .then(|| {
                            view! {
                                <p class="muted">
                                    {format!("{hidden} more addresses with fewer failures are in the download.")}
                                </p>
                            }
                        })}
                }
                    .into_any()
            }}
            <p class="muted">
                "Reverse DNS is looked up once per address and kept for 30 days (a week when there is none)."
            </p>
            <p>
                <a href=csv.clone() download>
                    "Download CSV"
                </a>
                " · "
                <a href=csv.replace("export.csv", "export.json") download>
                    "JSON"
                </a>
            </p>
        </section>
    }
}
