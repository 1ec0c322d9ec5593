use crate::dto::{count_text, failure_rate_text, format_day, format_time, ReportsView};
use leptos::prelude::*;
use portcullis_domain::tlsrpt::{rhythm_words, Reporting};

/// The domain's TLS-RPT reports: totals and the most recent ones, or how reports arrive.
#[component]
pub fn ReportsSection(v: ReportsView, org: String) -> impl IntoView {
    let upload = format!("/reports/upload?org={org}");
    let all = format!("/domains/{}/reports", v.domain);
    view! {
        <section class="card" id="reports" data-testid="reports-section">
            <h2>"TLS-RPT reports"</h2>
            {if v.reports == 0 {
                view! {
                    <div class="empty" data-testid="reports-empty">
                        {if v.report_record_shown {
                            view! {
                                <p>
                                    "No reports yet. Senders start reporting once the "<code>"_smtp._tls"</code>
                                    " record above is published (usually within a day); reports that reached you elsewhere can be "
                                    <a href=upload.clone()>"uploaded"</a>"."
                                </p>
                            }
                                .into_any()
                        } else {
                            view! {
                                <p data-testid="reports-no-address">
                                    "No reports yet. Senders send reports to the address in a domain's "
                                    <code>"_smtp._tls"</code>
                                    " record, which the DNS section cannot show yet: this server has no public address for reports (the administrator sets PORTCULLIS_PUBLIC_HOST). Meanwhile, reports that reached you elsewhere can be "
                                    <a href=upload.clone()>"uploaded"</a>"."
                                </p>
                            }
                                .into_any()
                        }}
                    </div>
                }
                    .into_any()
            } else {
                let rate = failure_rate_text(v.successful, v.failed);
                view! {
                    <dl class="facts" data-testid="reports-totals">
                        <dt>"Reports"</dt>
                        <dd data-testid="reports-count">{count_text(v.reports)}</dd>
                        <dt>"Successful sessions"</dt>
                        <dd data-testid="reports-successful">{count_text(v.successful)}</dd>
                        <dt>"Failed sessions"</dt>
                        <dd data-testid="reports-failed">{count_text(v.failed)}</dd>
                        <dt>"Failure rate"</dt>
                        <dd>{rate}</dd>
                    </dl>
                    <table class="compact" data-testid="reports-recent">
                        <caption>"Most recent reports"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Period"</th>
                                <th scope="col">"From"</th>
                                <th scope="col" class="num">
                                    "Successful"
                                </th>
                                <th scope="col" class="num">
                                    "Failed"
                                </th>
                                <th scope="col">"Received"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {v
                                .recent
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <tr>
                                            <td>{format_time(r.start_at)}</td>
                                            <td>{r.organization_name}<br /><span class="muted">{r.report_id}</span></td>
                                            <td class="num">{count_text(r.successful)}</td>
                                            <td class="num">
                                                {if r.failed > 0 {
                                                    view! { <span class="badge error">{count_text(r.failed)}</span> }
                                                        .into_any()
                                                } else {
                                                    view! { <span>"0"</span> }.into_any()
                                                }}
                                            </td>
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
                    <Reporters senders=v.senders.clone() reporting=v.reporting.clone() />
                    <p>
                        <a href=all>"All reports: failures by result, sender and MX"</a>
                        " · "
                        <a href=format!("/domains/{}/senders", v.domain)>"Policy applied by senders"</a>
                        " · "
                        <a href=upload>"Upload more reports"</a>
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}

/// Who reports the domain and how regularly, with a warning when a regular sender or the
/// domain's reports as a whole stopped (the same rule as the alerts).
#[component]
fn Reporters(senders: Vec<(Reporting, i64)>, reporting: Option<Reporting>) -> impl IntoView {
    let stopped = reporting.filter(|r| r.silent_since.is_some());
    let silent: Vec<String> = senders
        .iter()
        .filter(|(r, _)| r.silent_since.is_some())
        .filter_map(|(r, _)| r.organization.clone())
        .collect();
    view! {
        {stopped
            .map(|r| {
                view! {
                    <div class="panel warn" role="status" data-testid="reports-stopped">
                        {format!(
                            "No report has arrived since {} (reports usually come {}). Check the rua address in the ",
                            format_day(r.last_day),
                            rhythm_words(&r.expected_weekdays),
                        )}
                        <code>"_smtp._tls"</code>
                        " record, and the mailbox or HTTPS endpoint it names."
                    </div>
                }
            })}
        {(!silent.is_empty())
            .then(|| {
                view! {
                    <div class="panel warn" role="status" data-testid="senders-silent">
                        {format!(
                            "Stopped reporting: {}. A regular sender that goes quiet may have stopped sending you mail, or can no longer deliver its reports.",
                            silent.join(", "),
                        )}
                    </div>
                }
            })}
        {(!senders.is_empty())
            .then(|| {
                view! {
                    <table class="compact" data-testid="reporters">
                        <caption>"Who reports it (the last two months)"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Sender"</th>
                                <th scope="col">"Usually reports"</th>
                                <th scope="col">"Last report covers"</th>
                                <th scope="col">"Arrived"</th>
                                <th scope="col">"Status"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {senders
                                .into_iter()
                                .map(|(r, received)| {
                                    let status = match (r.silent_since, r.is_regular()) {
                                        (Some(d), _) => {
                                            view! {
                                                <span class="badge warn">
                                                    {format!("silent since {}", format_day(d))}
                                                </span>
                                            }
                                                .into_any()
                                        }
                                        (None, true) => view! { <span class="badge ok">"reporting"</span> }.into_any(),
                                        (None, false) => {
                                            view! { <span class="muted">"no regular rhythm yet"</span> }.into_any()
                                        }
                                    };
                                    view! {
                                        <tr data-reporter=r.organization.clone().unwrap_or_default()>
                                            <td>{r.organization.clone().unwrap_or_default()}</td>
                                            <td>{rhythm_words(&r.expected_weekdays)}</td>
                                            <td>{format_day(r.last_day)}</td>
                                            <td>{format_time(received)}</td>
                                            <td>{status}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
            })}
    }
}
