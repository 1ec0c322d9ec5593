//! The domain page's DNS section: the records to publish (copyable, and as a zone snippet), the
//! latest live check with "check now", and status changes.

use crate::api::{PushDnsNow, SetDnsSetup};
use crate::components::{DnsStatusBadge, SeverityBadge};
use crate::dto::format_time;
use crate::dto::DnsView;
use crate::islands::{CheckNowButton, CopyButton};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use portcullis_domain::dns::{DnsSetup, FindingCode, Severity, PROVIDER_NOTES};

#[component]
pub fn DnsSection(v: DnsView, csrf: String) -> impl IntoView {
    let d = v.domain.clone();
    let zone = v.zone.clone();
    let (problems, fine): (Vec<_>, Vec<_>) = v.findings.iter().cloned().partition(|f| f.severity != Severity::Ok);
    let errors = problems.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = problems.len() - errors;
    let delegated = v.setup == DnsSetup::Delegated && !v.delegation.is_empty();
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
            <DnsSetupPanel v=v.clone() csrf=csrf.clone() />
            <p>
                {if delegated {
                    "Publish these three CNAMEs at your DNS host once (and remove any other record at those names). Names are shown in full; most web panels want only the part before your domain."
                } else {
                    "Publish these records at your DNS host. Names are shown in full; most web panels want only the part before your domain."
                }}
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
            {(!v.has_policy && !delegated)
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
                                Some("push") => "after a push",
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

/// How the records reach DNS: the current setup, whether it works, and the choice (a plain form:
/// it works without JavaScript).
#[component]
fn DnsSetupPanel(v: DnsView, csrf: String) -> impl IntoView {
    let zone_available = !v.delegation.is_empty();
    let status = match v.setup {
        DnsSetup::Delegated if v.id_automatic => view! {
            <p class="panel ok" data-testid="delegation-status" data-in-place="true">
                {format!(
                    "Delegation in place: this server answers _mta-sts, _smtp._tls and mta-sts for {}. Policy changes, mode changes and MX fixes need nothing more from you in DNS.",
                    v.domain,
                )}
            </p>
        }
        .into_any(),
        DnsSetup::Delegated => view! {
            <p class="panel warn" data-testid="delegation-status" data-in-place="false">
                "Delegation chosen, but the last check did not see all three CNAMEs. Publish them below, then check now: until then senders see whatever those names held before."
            </p>
        }
        .into_any(),
        DnsSetup::Push => {
            let last = match (&v.push_id, v.push_at, &v.push_error) {
                (_, _, Some(e)) => format!("The last push failed: {e}"),
                (Some(id), Some(at), None) => format!("Last pushed id {id} on {}.", format_time(at)),
                _ => "Nothing pushed yet: push now to publish the current id.".to_string(),
            };
            let class = if v.push_error.is_some() { "panel warn" } else { "panel ok" };
            view! {
                <p class=class data-testid="push-status">
                    "Portcullis pushes _mta-sts TXT to your DNS server after every policy change and verifies it. "
                    {last}
                </p>
            }
            .into_any()
        }
        DnsSetup::Manual => view! {
            <p class="muted" data-testid="manual-status">
                "You publish these records, and each new policy id, by hand."
                {zone_available
                    .then_some(
                        " Delegating is easier: three CNAMEs once, and this server keeps the records behind them current.",
                    )}
            </p>
        }
        .into_any(),
    };
    let choosable = v.can_edit && (zone_available || v.push_configured || v.setup != DnsSetup::Manual);
    let choice = choosable.then(|| {
        let option = |setup: DnsSetup, enabled: bool, title: &'static str, help: String| {
            let id = format!("dns-setup-{}", setup.as_str());
            view! {
                <div class="choice">
                    <input
                        type="radio"
                        name="setup"
                        id=id.clone()
                        value=setup.as_str()
                        checked=v.setup == setup
                        disabled=!enabled
                    />
                    <label for=id.clone()>
                        <strong>{title}</strong>
                        <span class="hint">{help}</span>
                    </label>
                </div>
            }
        };
        view! {
            <form method="post" action=SetDnsSetup::PATH class="dns-setup-form" data-testid="dns-setup-form">
                <input type="hidden" name="csrf" value=csrf.clone() />
                <input type="hidden" name="name" value=v.domain.clone() />
                <fieldset>
                    <legend>"How the records reach DNS"</legend>
                    {option(
                        DnsSetup::Delegated,
                        zone_available,
                        "Delegate to this server (recommended)",
                        if zone_available {
                            "Three CNAMEs, published once; the records behind them follow every change.".to_string()
                        } else {
                            "Unavailable: this server runs no DNS zone (PORTCULLIS_DNS_ZONE).".to_string()
                        },
                    )}
                    {option(
                        DnsSetup::Manual,
                        true,
                        "Publish the records by hand",
                        "You update _mta-sts after every policy change.".to_string(),
                    )}
                    {option(
                        DnsSetup::Push,
                        v.push_configured,
                        "Push to your DNS server",
                        if v.push_configured {
                            "RFC 2136 updates signed with the organisation's TSIG key.".to_string()
                        } else {
                            "Set up push for the organisation first (Organisations page, owners).".to_string()
                        },
                    )}
                </fieldset>
                <button type="submit">"Use this setup"</button>
            </form>
        }
    });
    let push_now = (v.setup == DnsSetup::Push && v.can_edit && v.has_policy).then(|| {
        view! {
            <form method="post" action=PushDnsNow::PATH class="inline">
                <input type="hidden" name="csrf" value=csrf.clone() />
                <input type="hidden" name="name" value=v.domain.clone() />
                <button type="submit" data-testid="push-now">
                    "Push now"
                </button>
            </form>
        }
    });
    view! {
        <div class="dns-setup" data-testid="dns-setup" data-setup=v.setup.as_str()>
            {status}
            {push_now}
            {choice}
        </div>
    }
}
