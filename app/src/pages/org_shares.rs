//! The organisation page's read-only share links (owners): create one for a domain or the whole
//! organisation with an expiry, see which are live, revoke any.

use crate::api::{CreateShareLink, RevokeShareLink};
use crate::components::ErrorPanel;
use crate::dto::{format_time, ShareItem};
use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn ShareLinksCard(
    org: String,
    csrf: String,
    links: Vec<ShareItem>,
    domains: Vec<String>,
    error: Option<AppError>,
) -> impl IntoView {
    let field = |name: &str| error.as_ref().and_then(|e| e.for_field(name));
    let (domain_err, days_err, label_err) = (field("domain"), field("days"), field("label"));
    let other_error = error.clone().filter(|e| !matches!(e, AppError::Invalid { .. }));
    view! {
        <section class="card" id="shares" data-testid="share-links">
            <h2>"Share links"</h2>
            <p class="hint">
                "A read-only link for a client: the domain's mode, records health and report charts (or every domain of the organisation), without signing in. It expires, can be revoked at any time, and is shown once when created."
            </p>
            {other_error.map(|e| view! { <ErrorPanel error=e /> })}
            {if links.is_empty() {
                view! { <p class="muted">"No share links yet."</p> }.into_any()
            } else {
                view! {
                    <table class="compact">
                        <thead>
                            <tr>
                                <th scope="col">"Shows"</th>
                                <th scope="col">"Label"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Expires"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {links
                                .into_iter()
                                .map(|l| {
                                    let shows = l.domain.clone().unwrap_or_else(|| "every domain".into());
                                    let status = match (l.revoked_at, l.live) {
                                        (Some(t), _) => format!("revoked {}", format_time(t)),
                                        (None, true) => "live".to_string(),
                                        (None, false) => "expired".to_string(),
                                    };
                                    view! {
                                        <tr data-share=l.id>
                                            <td>{shows.clone()}</td>
                                            <td>{l.label.clone()}</td>
                                            <td>{format!("{} by {}", format_time(l.created_at), l.created_by)}</td>
                                            <td>{format_time(l.expires_at)}</td>
                                            <td>{status}</td>
                                            <td>
                                                {l
                                                    .live
                                                    .then(|| {
                                                        view! {
                                                            <form
                                                                method="post"
                                                                action=RevokeShareLink::PATH
                                                                class="inline"
                                                            >
                                                                <input type="hidden" name="csrf" value=csrf.clone() />
                                                                <input type="hidden" name="org" value=org.clone() />
                                                                <input type="hidden" name="id" value=l.id />
                                                                <button
                                                                    type="submit"
                                                                    class="link danger"
                                                                    aria-label=format!("Revoke the share link for {shows}")
                                                                >
                                                                    "Revoke"
                                                                </button>
                                                            </form>
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
            <h3>"Create a share link"</h3>
            <form method="post" action=CreateShareLink::PATH class="stack">
                <input type="hidden" name="csrf" value=csrf.clone() />
                <input type="hidden" name="org" value=org.clone() />
                <div class="field">
                    <label for="share-domain">"Domain to share"</label>
                    <input
                        id="share-domain"
                        name="domain"
                        list="share-domain-names"
                        maxlength="253"
                        placeholder="empty: every domain of the organisation"
                        aria-describedby="share-domain-help"
                        aria-invalid=domain_err.is_some().then_some("true")
                    />
                    <datalist id="share-domain-names">
                        {domains.into_iter().map(|d| view! { <option value=d></option> }).collect_view()}
                    </datalist>
                    <p id="share-domain-help" class="hint">
                        "Leave empty to share every domain of the organisation."
                    </p>
                    {domain_err
                        .map(|m| {
                            view! {
                                <p class="field-error" role="alert">
                                    {m}
                                </p>
                            }
                        })}
                </div>
                <div class="field">
                    <label for="share-days">"Valid for (days)"</label>
                    <input id="share-days" name="days" type="number" min="1" max="366" value="30" required />
                    {days_err
                        .map(|m| {
                            view! {
                                <p class="field-error" role="alert">
                                    {m}
                                </p>
                            }
                        })}
                </div>
                <div class="field">
                    <label for="share-label">"Note for yourself"</label>
                    <input id="share-label" name="label" maxlength="100" placeholder="e.g. for Acme's IT team" />
                    {label_err
                        .map(|m| {
                            view! {
                                <p class="field-error" role="alert">
                                    {m}
                                </p>
                            }
                        })}
                </div>
                <button type="submit">"Create share link"</button>
            </form>
        </section>
    }
}
