use crate::api::get_senders;
use crate::components::{page_frame, Crumbs, ErrorPanel};
use crate::dto::{count_text, duration_words, format_time, SendersView};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use portcullis_domain::tlsrpt::{Adoption, SenderPolicy};

/// The preset periods, in days: adoption shows over weeks, so longer than the report page's.
const PRESETS: [i64; 3] = [30, 90, 365];

/// The sender policy tracker: which policy each sending organisation applies (from the
/// `policy-string` of its reports), who has picked up the served version, and each sender's
/// versions over the period, as a chart and a table.
#[component]
pub fn SendersPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    let query = use_query_map().get_untracked();
    let from = query.get("from").filter(|v| !v.is_empty());
    let to = query.get("to").filter(|v| !v.is_empty());
    let days = query.get("days").and_then(|d| d.parse::<i64>().ok());
    let preset = if from.is_none() { days.or(Some(90)) } else { None };
    page_frame(format!("Senders · {name}"), None, move |_| async move {
        let senders = get_senders(name.clone(), from.clone(), to.clone(), preset).await;
        view! {
            <Crumbs trail=vec![(format!("/domains/{name}"), name.clone())] />
            <h1>"Policy applied by senders"</h1>
            {match senders {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(v) => view! { <Senders v=v preset=preset /> }.into_any(),
            }}
        }
        .into_any()
    })
}

fn adoption_badge(s: &SenderPolicy) -> AnyView {
    let (class, text) = match s.adoption {
        Adoption::Current => ("badge ok", "served version"),
        Adoption::Older => ("badge warn", "older version"),
        Adoption::Unknown => ("badge warn", "unknown version"),
        Adoption::NotReportedSince => ("badge", "no report since the change"),
    };
    view! { <span class=class>{text}</span> }.into_any()
}

#[component]
fn Senders(v: SendersView, preset: Option<i64>) -> impl IntoView {
    let base = format!("/domains/{}/senders", v.domain);
    let current = v.senders.iter().filter(|s| s.adoption == Adoption::Current).count();
    let behind: Vec<String> = v
        .senders
        .iter()
        .filter(|s| matches!(s.adoption, Adoption::Older | Adoption::Unknown))
        .map(|s| s.organization.clone())
        .collect();
    let all = v.senders.len();
    view! {
        <section class="card" data-testid="senders-period">
            <form method="get" action=base.clone() class="row" aria-label="Period">
                <div role="group" aria-label="Preset periods" class="presets">
                    {PRESETS
                        .into_iter()
                        .map(|n| {
                            let on = preset == Some(n);
                            view! {
                                <a href=format!("{base}?days={n}") class:current=on aria-current=on.then_some("page")>
                                    {format!("Last {n} days")}
                                </a>
                            }
                        })
                        .collect_view()}
                </div>
                <div>
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" value=v.from.clone() required />
                </div>
                <div>
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" value=v.to.clone() required />
                </div>
                <button type="submit">"Show"</button>
            </form>
            <p class="muted">
                {format!(
                    "{} to {} (UTC, {} days). Every TLS-RPT report names the policy its sender applied; it is matched to this domain's saved versions by content (mode, max_age and mx patterns).",
                    v.from,
                    v.to,
                    v.days,
                )}
            </p>
        </section>
        <section class="card" data-testid="senders-adoption">
            <h2>"Adoption of the served policy"</h2>
            {match v.served.clone() {
                None => view! { <p>"No policy is served yet, so there is nothing to adopt."</p> }.into_any(),
                Some((id, mode, saved)) => {
                    view! {
                        <p data-testid="adoption-summary">
                            {format!("{current} of {all} sender(s) apply the served policy ")}<code>{id}</code>
                            {format!(" ({mode}, saved {}).", format_time(saved))}
                        </p>
                        {(!behind.is_empty())
                            .then(|| {
                                view! {
                                    <p data-testid="senders-behind">
                                        {format!("Still applying another policy: {}. ", behind.join(", "))}
                                        "A sender keeps a policy for its max_age after fetching it, and fetches again only when the "
                                        <code>"_mta-sts"</code> " TXT record shows a new id: check that record in the "
                                        <a href=format!("/domains/{}#dns", v.domain)>"DNS section"</a>
                                        " if a sender stays behind longer than the old max_age."
                                    </p>
                                }
                            })}
                    }
                        .into_any()
                }
            }}
        </section>
        {if v.senders.is_empty() {
            view! {
                <section class="card empty" data-testid="senders-empty">
                    <p>
                        "No report in this period names this domain's MTA-STS policy. Reports list the policy a sender applied once it has fetched one; try a longer period, or see "
                        <a href=format!("/domains/{}/reports", v.domain)>"the reports"</a>"."
                    </p>
                </section>
            }
                .into_any()
        } else {
            view! {
                <section class="card" data-testid="senders-chart">
                    <h2>"Versions over time"</h2>
                    <figure class="chart-figure" inner_html=v.chart.clone()></figure>
                </section>
                <SenderTable senders=v.senders.clone() />
                <RunTable senders=v.senders.clone() domain=v.domain.clone() />
            }
                .into_any()
        }}
    }
}

#[component]
fn SenderTable(senders: Vec<SenderPolicy>) -> impl IntoView {
    view! {
        <section class="card">
            <table class="compact" data-testid="senders">
                <caption>"What each sender applies now"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Sender"</th>
                        <th scope="col">"Policy"</th>
                        <th scope="col">"Mode"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Since"</th>
                        <th scope="col" class="num">
                            "Sessions since"
                        </th>
                        <th scope="col">"Picked up within"</th>
                        <th scope="col">"Last report"</th>
                    </tr>
                </thead>
                <tbody>
                    {senders
                        .into_iter()
                        .map(|s| {
                            let badge = adoption_badge(&s);
                            view! {
                                <tr data-sender=s.organization.clone() data-adoption=s.adoption.as_str()>
                                    <td>{s.organization.clone()}</td>
                                    <td>
                                        {match s.policy_id.clone() {
                                            Some(id) => view! { <code>{id}</code> }.into_any(),
                                            None => view! { <span class="muted">"unknown version"</span> }.into_any(),
                                        }}
                                    </td>
                                    <td>{s.mode.clone().unwrap_or_else(|| "–".into())}</td>
                                    <td>{badge}</td>
                                    <td>{format_time(s.since)}</td>
                                    <td class="num">{count_text(s.sessions)}</td>
                                    <td>{s.picked_up_within.map(duration_words).unwrap_or_else(|| "–".into())}</td>
                                    <td>{format_time(s.last_report_at)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <p class="muted">
                "Picked up within: from saving the version to the end of the first report period in which the sender applied it (reports come per day, so this is an upper bound)."
            </p>
        </section>
    }
}

#[component]
fn RunTable(senders: Vec<SenderPolicy>, domain: String) -> impl IntoView {
    view! {
        <section class="card">
            <table class="compact" data-testid="sender-runs">
                <caption>"Each sender's versions over the period"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Sender"</th>
                        <th scope="col">"Policy"</th>
                        <th scope="col">"Mode"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"To"</th>
                        <th scope="col" class="num">
                            "Sessions"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {senders
                        .into_iter()
                        .flat_map(|s| {
                            let org = s.organization.clone();
                            let domain = domain.clone();
                            s.runs
                                .into_iter()
                                .map(move |r| {
                                    let policy = match r.policy_id.clone() {
                                        Some(id) => {
                                            view! {
                                                <a href=format!("/domains/{domain}/policy/versions/{id}")>
                                                    <code>{id.clone()}</code>
                                                </a>
                                            }
                                                .into_any()
                                        }
                                        None => {
                                            view! {
                                                <details>
                                                    <summary>"unknown version"</summary>
                                                    <pre class="policy-text">{r.policy_string.join("\n")}</pre>
                                                </details>
                                            }
                                                .into_any()
                                        }
                                    };
                                    view! {
                                        <tr>
                                            <td>{org.clone()}</td>
                                            <td>{policy}</td>
                                            <td>{r.mode.clone().unwrap_or_else(|| "–".into())}</td>
                                            <td>{format_time(r.from)}</td>
                                            <td>{format_time(r.to)}</td>
                                            <td class="num">{count_text(r.sessions)}</td>
                                        </tr>
                                    }
                                })
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
