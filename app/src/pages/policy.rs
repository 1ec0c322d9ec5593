//! The policy editor page (with "generate from MX") and one version with its diff.

use crate::api::{get_policy, get_policy_version, propose_policy, SavePolicy};
use crate::components::{form_error, page_frame, Crumbs, ErrorPanel, ModeBadge, PolicyDiff};
use crate::dto::{format_time, MxProposalView};
use crate::islands::PolicyEditor;
use crate::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use portcullis_domain::policy::{diff_lines, PolicyDraft};
use portcullis_domain::Role;

/// Defaults for a first policy: testing, and a week of caching so senders keep it between fetches.
fn first_draft() -> PolicyDraft {
    PolicyDraft {
        mode: "testing".into(),
        max_age: "604800".into(),
        mx: String::new(),
    }
}

#[component]
pub fn PolicyEditPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    let query = use_query_map().get_untracked();
    let from_url = query.get("mode").map(|mode| PolicyDraft {
        mode,
        max_age: query.get("max_age").unwrap_or_default(),
        mx: query.get("mx").unwrap_or_default(),
    });
    let generate = query.get("from_mx").is_some();
    let url_error = query
        .get("error")
        .map(|m| (query.get("error_field").unwrap_or_else(|| "mx".into()), m));
    let save_error = form_error::<SavePolicy>();
    page_frame(format!("Policy for {name}"), None, move |ctx| async move {
        let overview = get_policy(name.clone()).await;
        let proposal = if generate {
            Some(propose_policy(name.clone()).await)
        } else {
            None
        };
        view! {
            {match overview {
                Err(e) => {
                    view! {
                        <h1>{name.clone()}</h1>
                        <ErrorPanel error=e />
                    }
                        .into_any()
                }
                Ok(o) if !o.role.allows(Role::Editor) => {
                    view! {
                        <h1>{format!("Policy for {}", o.domain.name)}</h1>
                        <ErrorPanel error=AppError::Forbidden />
                    }
                        .into_any()
                }
                Ok(o) => {
                    let proposed = proposal.as_ref().and_then(|p| p.as_ref().ok()).filter(|p| !p.patterns.is_empty());
                    let mut draft = from_url.clone().or_else(|| o.draft.clone()).unwrap_or_else(first_draft);
                    if let Some(p) = proposed.filter(|_| from_url.is_none()) {
                        draft.mx = p.patterns.iter().map(|(pat, _)| pat.as_str()).collect::<Vec<_>>().join("\n");
                    }
                    let error = url_error
                        .clone()
                        .or_else(|| {
                            save_error
                                .clone()
                                .map(|e| match e {
                                    AppError::Invalid { field, message } => (field, message),
                                    other => ("mx".into(), other.to_string()),
                                })
                        });
                    let d = o.domain.name.clone();
                    view! {
                        <Crumbs trail=vec![(format!("/domains/{d}"), d.clone())] />
                        <h1>{format!("Policy for {d}")}</h1>
                        <p>
                            "Served now: " <ModeBadge mode=o.current().map(|c| c.mode.clone()) />
                            {o.current().map(|c| view! { <span class="muted">{format!(" id {}", c.policy_id)}</span> })}
                        </p>
                        <section class="card">
                            <h2>"Generate from MX"</h2>
                            <p>"Look up the domain's live MX records and propose patterns that cover them."</p>
                            <form method="get" action=format!("/domains/{d}/policy")>
                                <input type="hidden" name="from_mx" value="1" />
                                <button type="submit">"Look up MX records"</button>
                            </form>
                            {proposal
                                .map(|p| match p {
                                    Ok(p) => view! { <Proposal p=p /> }.into_any(),
                                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                                })}
                        </section>
                        <section class="card">
                            <h2>"Edit"</h2>
                            <PolicyEditor
                                csrf=ctx.csrf.clone()
                                domain=d.clone()
                                current=o.current().map(|c| c.body.clone())
                                draft=draft
                                submitted=from_url.is_some() || error.is_some()
                                error=error
                                id_automatic=o.id_automatic
                            />
                        </section>
                    }
                        .into_any()
                }
            }}
        }
        .into_any()
    })
}

#[component]
fn Proposal(p: MxProposalView) -> impl IntoView {
    if let Some(why) = p.explanation.clone() {
        return view! {
            <p class="panel warn" role="status" data-testid="mx-explanation">
                {why}
            </p>
        }
        .into_any();
    }
    view! {
        <div data-testid="mx-proposal">
            <table>
                <caption>"Live MX records"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Preference"</th>
                        <th scope="col">"Host"</th>
                        <th scope="col">"Proposed pattern"</th>
                    </tr>
                </thead>
                <tbody>
                    {p
                        .records
                        .iter()
                        .map(|(pref, host)| {
                            let pattern = p
                                .patterns
                                .iter()
                                .find(|(_, covers)| covers.contains(host))
                                .map(|(pat, _)| pat.clone());
                            view! {
                                <tr>
                                    <td>{pref.to_string()}</td>
                                    <td>
                                        <code>{host.clone()}</code>
                                    </td>
                                    <td>
                                        {match pattern {
                                            Some(pat) => view! { <code>{pat}</code> }.into_any(),
                                            None => {
                                                view! { <span class="badge error">"not coverable"</span> }.into_any()
                                            }
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {p
                .unusable
                .iter()
                .map(|(host, why)| {
                    view! { <p class="panel error">{format!("{host} cannot be covered by any pattern: {why}")}</p> }
                })
                .collect_view()}
            {(!p.uncovered_now.is_empty())
                .then(|| {
                    view! {
                        <p class="panel warn" data-testid="mx-uncovered">
                            {format!(
                                "The policy served now does not cover: {}. In enforce mode senders would refuse to deliver to them.",
                                p.uncovered_now.join(", "),
                            )}
                        </p>
                    }
                })}
            <p class="hint">"The proposed patterns are filled into the editor below. Review them, then save."</p>
        </div>
    }.into_any()
}

#[component]
pub fn PolicyVersionPage() -> impl IntoView {
    let params = use_params_map().get_untracked();
    let name = params.get("name").unwrap_or_default();
    let id = params.get("id").unwrap_or_default();
    page_frame(format!("Policy {id} for {name}"), None, move |_| async move {
        let found = get_policy_version(name.clone(), id.clone()).await;
        view! {
            <Crumbs trail=vec![(format!("/domains/{name}"), name.clone())] />
            <h1>{format!("Policy version {id}")}</h1>
            {match found {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok((v, prev)) => {
                    view! {
                        <dl class="facts">
                            <dt>"Mode"</dt>
                            <dd>
                                <ModeBadge mode=Some(v.mode.clone()) />
                            </dd>
                            <dt>"Saved"</dt>
                            <dd>{format_time(v.created_at)}</dd>
                            <dt>"By"</dt>
                            <dd>{v.author.clone()}</dd>
                            <dt>"Change"</dt>
                            <dd>{v.note.clone()}</dd>
                        </dl>
                        <h2>"Served text"</h2>
                        <pre class="policy-text">{v.body.clone()}</pre>
                        <h2>
                            {match &prev {
                                Some(p) => format!("Changes since {}", p.policy_id),
                                None => "First version".to_string(),
                            }}
                        </h2>
                        <PolicyDiff lines=diff_lines(prev.as_ref().map(|p| p.body.as_str()).unwrap_or(""), &v.body) />
                    }
                        .into_any()
                }
            }}
        }
        .into_any()
    })
}
