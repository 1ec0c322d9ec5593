//! The domain page's DNS section: the records to publish (copyable, and as a zone snippet), the
//! latest live check with "check now", and status changes.

use crate::components::{DnsStatusBadge, SeverityBadge};
use crate::dto::format_time;
use crate::dto::DnsView;
use crate::islands::{CheckNowButton, CopyButton};
use leptos::prelude::*;
use portcullis_domain::dns::{FindingCode, Severity, PROVIDER_NOTES};

#[component]
pub fn DnsSection(v: DnsView, csrf: String) -> impl IntoView {
    let d = v.domain.clone();
    let zone = v.zone.clone();
    let (problems, fine): (Vec<_>, Vec<_>) = v.findings.iter().cloned().partition(|f| f.severity != Severity::Ok);
    let errors = problems.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = problems.len() - errors;
    view! {
        <section class="card" id="dns" data-testid="dns-section">
            <h2>"DNS records"</h2>
            {(!v.public_host_configured)
                .then(|| {
                    view! {
                        <div class="panel warn" role="status">
                            "The server's public host name is not configured (PORTCULLIS_PUBLIC_HOST), so the CNAME target below is a placeholder."
                        </div>
                    }
                })}
            <p>
                "Publish these records at your DNS host. Names are shown in full; most web panels want only the part before your domain."
            </p>
            <div class="table-wrap">
                <table class="records" data-testid="dns-records">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Type"</th>
                            <th scope="col">"Value"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Copy"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {v
                            .records
                            .iter()
                            .map(|r| {
                                view! {
                                    <tr>
                                        <td>
                                            <code>{r.name.clone()}</code>
                                        </td>
                                        <td>{r.rtype.clone()}</td>
                                        <td>
                                            <code class="record-value">{r.value.clone()}</code>
                                        </td>
                                        <td>
                                            <CopyButton
                                                value=r.value.clone()
                                                label=format!("Copy the value of {} {}", r.name, r.rtype)
                                            />
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            {(!v.has_policy)
                .then(|| {
                    view! {
                        <p class="hint">
                            "The _mta-sts record appears here once a policy is saved: it carries the policy id."
                        </p>
                    }
                })}
            <h3>"Zone file"</h3>
            <pre class="zone" data-testid="dns-zone">
                {zone.clone()}
            </pre>
            <CopyButton value=zone label="Copy the zone-file snippet".to_string() />
            <details class="provider-notes">
                <summary>"Notes for common DNS hosts"</summary>
                <dl>
                    {PROVIDER_NOTES
                        .iter()
                        .map(|(t, n)| {
                            view! {
                                <dt>{*t}</dt>
                                <dd>{*n}</dd>
                            }
                        })
                        .collect_view()}
                </dl>
            </details>

            <h2>"Live check"</h2>
            <p class="check-summary">
                <DnsStatusBadge status=v.status />
                {match v.checked_at {
                    Some(t) => {
                        format!(
                            " Last checked {} ({}); {} error{}, {} warning{}.",
                            format_time(t),
                            match v.origin.as_deref() {
                                Some("monitor") => "by the monitor",
                                Some("api") => "through the API",
                                Some("cli") => "from the command line",
                                _ => "on request",
                            },
                            errors,
                            if errors == 1 { "" } else { "s" },
                            warnings,
                            if warnings == 1 { "" } else { "s" },
                        )
                    }
                    None => {
                        " Not checked yet: the monitor checks every domain every few hours, or check it now."
                            .to_string()
                    }
                }}
            </p>
            {if v.can_check {
                view! { <CheckNowButton csrf=csrf name=d.clone() /> }.into_any()
            } else {
                view! {
                    <p class="panel warn">
                        "Live checks are unavailable: this server has no DNS resolver (set PORTCULLIS_DNS_UPSTREAM)."
                    </p>
                }
                    .into_any()
            }}
            {(!problems.is_empty())
                .then(|| {
                    view! {
                        <ul class="findings" data-testid="findings">
                            {problems
                                .into_iter()
                                .map(|f| {
                                    view! {
                                        <li class=format!("finding {}", f.severity.as_str()) data-code=f.code.clone()>
                                            <p>
                                                <SeverityBadge severity=f.severity />
                                                " "
                                                <strong>{title(&f.code)}</strong>
                                                " "
                                                <code class="muted">{f.subject.clone()}</code>
                                            </p>
                                            <dl>
                                                <dt>"Seen"</dt>
                                                <dd>{f.seen.clone()}</dd>
                                                <dt>"Expected"</dt>
                                                <dd>{f.expected.clone()}</dd>
                                                {(!f.fix.is_empty())
                                                    .then(|| {
                                                        view! {
                                                            <dt>"Fix"</dt>
                                                            <dd>{f.fix.clone()}</dd>
                                                        }
                                                    })}
                                            </dl>
                                            <p class="muted small">"Code: "<code>{f.code.clone()}</code></p>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            {(!fine.is_empty())
                .then(|| {
                    view! {
                        <details class="findings-ok" open=v.findings.iter().all(|f| f.severity == Severity::Ok)>
                            <summary>
                                {format!("{} check{} passed", fine.len(), if fine.len() == 1 { "" } else { "s" })}
                            </summary>
                            <ul class="findings" data-testid="findings-ok">
                                {fine
                                    .into_iter()
                                    .map(|f| {
                                        view! {
                                            <li class="finding ok" data-code=f.code.clone()>
                                                <SeverityBadge severity=f.severity />
                                                " "
                                                <strong>{title(&f.code)}</strong>
                                                " "
                                                <code class="muted">{f.subject.clone()}</code>
                                                <span class="muted">{format!(" — {}", f.seen)}</span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </details>
                    }
                })}
            {(!v.events.is_empty())
                .then(|| {
                    view! {
                        <h3>"Status changes"</h3>
                        <table class="events">
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"What"</th>
                                    <th scope="col">"From"</th>
                                    <th scope="col">"To"</th>
                                    <th scope="col">"Why"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {v
                                    .events
                                    .iter()
                                    .map(|e| {
                                        let drift = e.kind == "mx_drift";
                                        let none = if drift { "no uncovered MX" } else { "never checked" };
                                        let shown = |s: &str| {
                                            if s.is_empty() { none.to_string() } else { s.to_string() }
                                        };
                                        view! {
                                            <tr data-event=e.kind.clone()>
                                                <td class="muted">{format_time(e.created_at)}</td>
                                                <td>{if drift { "MX drift" } else { "DNS status" }}</td>
                                                <td>{shown(e.old_value.as_deref().unwrap_or(""))}</td>
                                                <td>{shown(&e.new_value)}</td>
                                                <td>{e.detail.clone()}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })}
        </section>
    }
}

fn title(code: &str) -> String {
    FindingCode::parse(code).map_or_else(|| code.to_string(), |c| c.title().to_string())
}
