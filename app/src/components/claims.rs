//! Claims on the home page: a name another organisation registered but never proved can be
//! claimed; the claimant publishes a token of its own and checks. Also the notices of this
//! organisation's registrations released to a claimant.

use crate::api::{CheckClaim, ClaimDomain, WithdrawClaim};
use crate::dto::{format_time, ClaimItem, ClaimsView};
use crate::islands::CopyButton;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Registrations of the user's organisations that were released to a claimant.
#[component]
pub fn ReleaseNotices(v: ClaimsView) -> impl IntoView {
    (!v.notices.is_empty()).then(|| {
        view! {
            <section class="panel warn" role="alert" data-testid="release-notices">
                <h2>"Domains released to another organisation"</h2>
                <ul>
                    {v
                        .notices
                        .into_iter()
                        .map(|n| {
                            view! {
                                <li>
                                    <span class="muted">
                                        {format!("{} · {}: ", format_time(n.created_at), n.org_name)}
                                    </span>
                                    {n.detail}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

/// The claim form and the open claims.
#[component]
pub fn ClaimsSection(
    v: ClaimsView,
    csrf: String,
    orgs: Vec<(String, String)>,
    selected: String,
    error: Option<String>,
) -> impl IntoView {
    let open = !v.claims.is_empty() || error.is_some();
    let claims = v.claims;
    let csrf_list = csrf.clone();
    view! {
        <section class="card" id="claims" data-testid="claims">
            <details open=open>
                <summary>
                    <h2 class="inline">"Claim a domain registered by someone else"</h2>
                </summary>
                <p>
                    "A domain another organisation registered here without ever proving control can be claimed: you prove control with a token of your own, and that registration is then released to you (its owners are told). A proven registration cannot be claimed."
                </p>
                <form method="post" action=ClaimDomain::PATH class="row">
                    <input type="hidden" name="csrf" value=csrf />
                    <div>
                        <label for="claim-org">"Claim for"</label>
                        <select id="claim-org" name="org">
                            {orgs
                                .into_iter()
                                .map(|(slug, name)| {
                                    let is_selected = slug == selected;
                                    view! {
                                        <option value=slug selected=is_selected>
                                            {name}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="grow">
                        <label for="claim-name">"Name to claim"</label>
                        <input
                            id="claim-name"
                            name="name"
                            required
                            autocomplete="off"
                            spellcheck="false"
                            placeholder="example.com"
                            aria-describedby="claim-error"
                        />
                        <p id="claim-error" class="field-error" role="alert">
                            {error}
                        </p>
                    </div>
                    <button type="submit">"Claim"</button>
                </form>
                {(!claims.is_empty())
                    .then(|| {
                        view! {
                            <ul class="claims" data-testid="claim-list">
                                {claims
                                    .into_iter()
                                    .map(|c| view! { <Claim c=c csrf=csrf_list.clone() /> })
                                    .collect_view()}
                            </ul>
                        }
                    })}
            </details>
        </section>
    }
}

#[component]
fn Claim(c: ClaimItem, csrf: String) -> impl IntoView {
    let hidden = view! {
        <input type="hidden" name="csrf" value=csrf.clone() />
        <input type="hidden" name="org" value=c.org_slug.clone() />
        <input type="hidden" name="name" value=c.name.clone() />
    };
    let hidden2 = view! {
        <input type="hidden" name="csrf" value=csrf />
        <input type="hidden" name="org" value=c.org_slug.clone() />
        <input type="hidden" name="name" value=c.name.clone() />
    };
    view! {
        <li class="claim" data-claim=c.name.clone()>
            <h3>
                {c.name.clone()}
                <span class="muted small">{format!(" for {}, opened {}", c.org_name, format_time(c.created_at))}</span>
            </h3>
            <p>"Publish this TXT record, then check the claim:"</p>
            <dl class="record">
                <dt>"Name"</dt>
                <dd>
                    <code data-testid="claim-record-name">{c.record.name.clone()}</code>
                </dd>
                <dt>"Type"</dt>
                <dd>
                    <code>"TXT"</code>
                </dd>
                <dt>"Value"</dt>
                <dd>
                    <code data-testid="claim-record-value">{c.record.value.clone()}</code>
                    <CopyButton value=c.record.value.clone() label=format!("Copy the TXT value for {}", c.name) />
                </dd>
            </dl>
            {(!c.delegation.is_empty())
                .then(|| {
                    view! {
                        <details>
                            <summary>"Or publish the delegation CNAMEs (they prove it too)"</summary>
                            <pre class="zone">
                                {c
                                    .delegation
                                    .iter()
                                    .map(|r| format!("{}. {} {}\n", r.name, r.rtype, r.value))
                                    .collect::<String>()}
                            </pre>
                        </details>
                    }
                })}
            <div class="row">
                <form method="post" action=CheckClaim::PATH class="inline">
                    {hidden}
                    <button type="submit" class="primary" data-testid="check-claim">
                        "Check the claim"
                    </button>
                </form>
                <form method="post" action=WithdrawClaim::PATH class="inline">
                    {hidden2}
                    <button type="submit" class="danger">
                        "Withdraw"
                    </button>
                </form>
            </div>
        </li>
    }
}
