use crate::dto::{format_time, ReportsView};
use leptos::prelude::*;

/// The domain's TLS-RPT reports: totals and the most recent ones, or how reports arrive.
#[component]
pub fn ReportsSection(v: ReportsView, org: String) -> impl IntoView {
    let upload = format!("/reports/upload?org={org}");
    let all = format!("/domains/{}/reports", v.domain);
    let total = v.successful + v.failed;
    view! {
        <section class="card" id="reports" data-testid="reports-section">
            <h2>"TLS-RPT reports"</h2>
            {if v.reports == 0 {
                view! {
                    <div class="empty" data-testid="reports-empty">
                        <p>
                            "No reports yet. Senders start reporting once the "<code>"_smtp._tls"</code>
                            " record above is published (usually within a day); reports that reached you elsewhere can be "
                            <a href=upload.clone()>"uploaded"</a>"."
                        </p>
                    </div>
                }
                    .into_any()
            } else {
                let rate = if total > 0 {
                    format!("{:.2} %", v.failed as f64 * 100.0 / total as f64)
                } else {
                    "–".into()
                };
                view! {
                    <dl class="facts" data-testid="reports-totals">
                        <dt>"Reports"</dt>
                        <dd data-testid="reports-count">{v.reports}</dd>
                        <dt>"Successful sessions"</dt>
                        <dd data-testid="reports-successful">{v.successful}</dd>
                        <dt>"Failed sessions"</dt>
                        <dd data-testid="reports-failed">{v.failed}</dd>
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
                                            <td class="num">{r.successful}</td>
                                            <td class="num">
                                                {if r.failed > 0 {
                                                    view! { <span class="badge error">{r.failed}</span> }.into_any()
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
                    <p>
                        <a href=all>"All reports: failures by result, sender and MX"</a>
                        " · "
                        <a href=upload>"Upload more reports"</a>
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}
