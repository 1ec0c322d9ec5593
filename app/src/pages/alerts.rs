//! `/orgs/:slug/alerts`: where an organisation's alerts go (e-mail, webhook, Slack), a test
//! send per channel, and the latest alerts. Plain forms: everything works without JavaScript.

use crate::api::{get_alerts, AddAlertChannel, DeleteAlertChannel, TestAlertChannel};
use crate::components::{form_error, page_frame, Crumbs, ErrorPanel, FieldError};
use crate::dto::{format_time, AlertsView};
use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use portcullis_domain::{AlertKind, Role};

#[component]
pub fn AlertsPage() -> impl IntoView {
    let slug = use_params_map().get_untracked().get("slug").unwrap_or_default();
    // A refused kind or target shows under its field in the add form; anything else at the top.
    let added = form_error::<AddAlertChannel>();
    let add_error = added.clone().filter(|e| matches!(e, AppError::Invalid { .. }));
    let error = added
        .filter(|e| !matches!(e, AppError::Invalid { .. }))
        .or_else(form_error::<DeleteAlertChannel>)
        .or_else(form_error::<TestAlertChannel>);
    page_frame(format!("Alerts · {slug}"), Some(slug.clone()), move |ctx| async move {
        let view = get_alerts(slug.clone()).await;
        view! {
            <Crumbs trail=vec![(format!("/orgs/{slug}"), slug.clone())] />
            <h1>"Alerts"</h1>
            {error.clone().map(|e| view! { <ErrorPanel error=e /> })}
            {match view {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(v) => view! { <Alerts v=v csrf=ctx.csrf.clone() add_error=add_error.clone() /> }.into_any(),
            }}
        }
        .into_any()
    })
}

#[component]
fn Alerts(v: AlertsView, csrf: String, add_error: Option<AppError>) -> impl IntoView {
    let field = |name: &str| add_error.as_ref().and_then(|e| e.for_field(name));
    let (kind_error, target_error) = (field("kind"), field("target"));
    let owner = v.role.allows(Role::Owner);
    let org = v.org_slug.clone();
    view! {
        <section class="card" data-testid="alert-channels">
            <h2>"Where alerts go"</h2>
            <p class="hint">
                {format!(
                    "{} is told when a domain's DNS check turns to error, an MX is not covered by an enforced policy, a certificate expires within 14 days or cannot be renewed, TLS-RPT reports show too many failures, or the _mta-sts id is still old a day after a policy change. At most one message per domain and kind each day.",
                    v.org_name,
                )}
            </p>
            {(!v.delivering)
                .then(|| view! { <p class="warn">"This server does not send alerts (alert delivery is off)."</p> })}
            {if v.channels.is_empty() {
                view! {
                    <p class="muted" data-testid="no-channels">
                        "No channels yet: alerts are only listed below."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">"Kind"</th>
                                    <th scope="col">"Goes to"</th>
                                    <th scope="col">"Added by"</th>
                                    <th scope="col">"Last delivery"</th>
                                    {owner
                                        .then(|| {
                                            view! {
                                                <th scope="col">
                                                    <span class="visually-hidden">"Actions"</span>
                                                </th>
                                            }
                                        })}
                                </tr>
                            </thead>
                            <tbody>
                                {v
                                    .channels
                                    .into_iter()
                                    .map(|c| {
                                        let (csrf, org) = (csrf.clone(), org.clone());
                                        let label = c.target.clone();
                                        view! {
                                            <tr data-channel=c.id>
                                                <td>{kind_label(&c.kind)}</td>
                                                <td>
                                                    <code>{c.target.clone()}</code>
                                                </td>
                                                <td>
                                                    {c.created_by.clone()}<br />
                                                    <span class="muted">{format_time(c.created_at)}</span>
                                                </td>
                                                <td data-testid="channel-status">
                                                    {match (&c.last_error, c.last_sent_at) {
                                                        (Some(e), _) => {
                                                            view! {
                                                                <span class="warn">
                                                                    {format!(
                                                                        "Failed {}: {e}",
                                                                        c.last_error_at.map(format_time).unwrap_or_default(),
                                                                    )}
                                                                </span>
                                                            }
                                                                .into_any()
                                                        }
                                                        (None, Some(t)) => {
                                                            view! {
                                                                <span class="ok-note">
                                                                    {format!("Delivered {}", format_time(t))}
                                                                </span>
                                                            }
                                                                .into_any()
                                                        }
                                                        (None, None) => {
                                                            view! { <span class="muted">"Nothing sent yet"</span> }
                                                                .into_any()
                                                        }
                                                    }}
                                                </td>
                                                {owner
                                                    .then(|| {
                                                        view! {
                                                            <td class="actions">
                                                                <form
                                                                    method="post"
                                                                    action=TestAlertChannel::PATH
                                                                    class="inline"
                                                                >
                                                                    <input type="hidden" name="csrf" value=csrf.clone() />
                                                                    <input type="hidden" name="org" value=org.clone() />
                                                                    <input type="hidden" name="id" value=c.id />
                                                                    <button
                                                                        type="submit"
                                                                        aria-label=format!("Send a test to {label}")
                                                                    >
                                                                        "Send test"
                                                                    </button>
                                                                </form>
                                                                <form
                                                                    method="post"
                                                                    action=DeleteAlertChannel::PATH
                                                                    class="inline"
                                                                >
                                                                    <input type="hidden" name="csrf" value=csrf.clone() />
                                                                    <input type="hidden" name="org" value=org.clone() />
                                                                    <input type="hidden" name="id" value=c.id />
                                                                    <label>
                                                                        <input type="checkbox" name="confirm_click" required />
                                                                        " confirm"
                                                                    </label>
                                                                    <button
                                                                        type="submit"
                                                                        class="link danger"
                                                                        aria-label=format!("Remove {label}")
                                                                    >
                                                                        "Remove"
                                                                    </button>
                                                                </form>
                                                            </td>
                                                        }
                                                    })}
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            {owner
                .then(|| {
                    view! {
                        <h3>"Add a channel"</h3>
                        <form method="post" action=AddAlertChannel::PATH class="row">
                            <input type="hidden" name="csrf" value=csrf.clone() />
                            <input type="hidden" name="org" value=org.clone() />
                            <div class="field">
                                <label for="channel-kind">"Kind"</label>
                                <select id="channel-kind" name="kind" aria-describedby="channel-kind-error">
                                    <option value="email" disabled=!v.can_email>
                                        {if v.can_email {
                                            "E-mail"
                                        } else {
                                            "E-mail (needs PORTCULLIS_ALERT_SMTP_URL)"
                                        }}
                                    </option>
                                    <option value="slack" selected=!v.can_email>
                                        "Slack-compatible webhook"
                                    </option>
                                    <option value="webhook">"Webhook (JSON POST)"</option>
                                </select>
                                <FieldError id="channel-kind-error" error=kind_error.clone() />
                            </div>
                            <div class="field grow">
                                <label for="channel-target">"E-mail address or URL"</label>
                                <input
                                    id="channel-target"
                                    name="target"
                                    required
                                    maxlength="500"
                                    placeholder="ops@example.com or https://hooks.slack.com/services/…"
                                    aria-describedby="channel-target-hint channel-target-error"
                                />
                                <p id="channel-target-hint" class="hint">
                                    "Webhooks receive a JSON POST (source, subject, text, link, alerts[] with domain, kind, title, detail, at); Slack-compatible ones receive {\"text\": …}."
                                </p>
                                <FieldError id="channel-target-error" error=target_error.clone() />
                            </div>
                            <button type="submit">"Add channel"</button>
                        </form>
                    }
                })}
        </section>
        <section class="card" data-testid="recent-alerts">
            <h2>"Latest alerts"</h2>
            {if v.recent.is_empty() {
                view! { <p class="muted">"No alerts yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="compact">
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Domain"</th>
                                    <th scope="col">"What"</th>
                                    <th scope="col">"Detail"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {v
                                    .recent
                                    .into_iter()
                                    .map(|a| {
                                        view! {
                                            <tr data-kind=a.kind.clone()>
                                                <td>{format_time(a.created_at)}</td>
                                                <td>
                                                    <a href=format!("/domains/{}", a.domain)>{a.domain.clone()}</a>
                                                </td>
                                                <td>{a.title}</td>
                                                <td>{a.detail}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            <p class="hint">
                {format!("Kinds: {}.", AlertKind::ALL.iter().map(|k| k.title()).collect::<Vec<_>>().join(", "))}
            </p>
        </section>
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "email" => "E-mail",
        "slack" => "Slack",
        _ => "Webhook",
    }
}
