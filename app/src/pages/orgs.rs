use super::org_push::PushSettingsCard;
use super::org_shares::ShareLinksCard;
use crate::api::{
    get_org, AddMember, CreateOrg, CreateShareLink, CreateToken, RemoveMember, RemovePushSettings, RevokeInvitation,
    RevokeShareLink, RevokeToken, SavePushSettings,
};
use crate::components::{form_error, page_frame, ErrorPanel, FieldError};
use crate::dto::format_time;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use portcullis_domain::Role;

#[component]
pub fn OrgsPage() -> impl IntoView {
    let err = form_error::<CreateOrg>();
    page_frame("Organisations".to_string(), None, move |ctx| async move {
        let Some(viewer) = ctx.viewer.clone() else {
            return view! { <ErrorPanel error=crate::AppError::Unauthenticated /> }.into_any();
        };
        let name_error = err.as_ref().and_then(|e| e.for_field("name"));
        let other = err.clone().filter(|e| e.for_field("name").is_none());
        view! {
            <h1>"Organisations"</h1>
            {other.map(|e| view! { <ErrorPanel error=e /> })}
            {if viewer.orgs.is_empty() {
                view! {
                    <section class="empty">
                        <p>"No organisations yet."</p>
                    </section>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Your role"</th>
                                    <th scope="col">"Domains"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {viewer
                                    .orgs
                                    .iter()
                                    .cloned()
                                    .map(|o| {
                                        view! {
                                            <tr>
                                                <td>
                                                    <a href=format!("/orgs/{}", o.slug)>{o.name}</a>
                                                </td>
                                                <td>{o.role.to_string()}</td>
                                                <td>
                                                    <a href=format!("/?org={}", o.slug)>{o.domain_count}</a>
                                                </td>
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
            {viewer
                .is_admin
                .then(|| {
                    view! {
                        <section class="card">
                            <h2>"Create an organisation"</h2>
                            <p class="hint">"One per client if you manage domains for others. You become its owner."</p>
                            <form method="post" action=CreateOrg::PATH class="stack">
                                <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                                <label for="org-name">"Name"</label>
                                <input
                                    id="org-name"
                                    name="name"
                                    required
                                    maxlength="100"
                                    aria-describedby="org-name-error"
                                />
                                <FieldError id="org-name-error" error=name_error.clone() />
                                <button type="submit" class="primary">
                                    "Create organisation"
                                </button>
                            </form>
                        </section>
                    }
                })}
        }
        .into_any()
    })
}

fn role_options(max: Role, selected: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .filter(move |r| max.allows(*r))
        .map(move |r| {
            view! {
                <option value=r.as_str() selected=r == selected>
                    {format!("{r} — {}", r.describe())}
                </option>
            }
        })
        .collect_view()
}

#[component]
pub fn OrgPage() -> impl IntoView {
    let slug = use_params_map().get_untracked().get("slug").unwrap_or_default();
    let member_err = form_error::<AddMember>().or_else(form_error::<RemoveMember>);
    let token_err = form_error::<CreateToken>().or_else(form_error::<RevokeToken>);
    let push_err = form_error::<SavePushSettings>().or_else(form_error::<RemovePushSettings>);
    let share_err = form_error::<CreateShareLink>().or_else(form_error::<RevokeShareLink>);
    page_frame(slug.clone(), Some(slug.clone()), move |ctx| async move {
        let detail = get_org(slug.clone()).await;
        let csrf = ctx.csrf.clone();
        view! {
            {match detail {
                Err(e) => {
                    view! {
                        <h1>"Organisation"</h1>
                        <ErrorPanel error=e />
                    }
                        .into_any()
                }
                Ok(d) => {
                    let owner = d.org.role.allows(Role::Owner);
                    let org_slug = d.org.slug.clone();
                    view! {
                        <h1>{d.org.name.clone()}</h1>
                        <p class="muted">
                            {format!("Your role: {} · ", d.org.role)}
                            <a href=format!("/?org={}", d.org.slug)>{format!("{} domains", d.org.domain_count)}</a>
                            " · "<a href=format!("/orgs/{}/alerts", d.org.slug) data-testid="alerts-link">
                                "Alerts"
                            </a>
                        </p>
                        <section class="card">
                            <h2>"Members"</h2>
                            {member_err.clone().map(|e| view! { <ErrorPanel error=e /> })}
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"E-mail"</th>
                                            <th scope="col">"Role"</th>
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
                                        {d
                                            .members
                                            .clone()
                                            .into_iter()
                                            .map(|m| {
                                                let csrf = csrf.clone();
                                                let org_slug = org_slug.clone();
                                                view! {
                                                    <tr>
                                                        <td>{m.email.clone()}</td>
                                                        <td>{m.role.to_string()}</td>
                                                        {owner
                                                            .then(|| {
                                                                view! {
                                                                    <td>
                                                                        <form
                                                                            method="post"
                                                                            action=RemoveMember::PATH
                                                                            class="inline"
                                                                        >
                                                                            <input type="hidden" name="csrf" value=csrf />
                                                                            <input type="hidden" name="org" value=org_slug />
                                                                            <input type="hidden" name="user_id" value=m.user_id />
                                                                            <button
                                                                                type="submit"
                                                                                class="link danger"
                                                                                aria-label=format!("Remove {}", m.email)
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
                            {d
                                .invitations
                                .clone()
                                .filter(|i| !i.is_empty())
                                .map(|pending| {
                                    let (csrf, org_slug) = (csrf.clone(), org_slug.clone());
                                    view! {
                                        <h3>"Invited, not joined yet"</h3>
                                        <div class="table-wrap">
                                            <table>
                                                <thead>
                                                    <tr>
                                                        <th scope="col">"E-mail"</th>
                                                        <th scope="col">"Role"</th>
                                                        <th scope="col">"Invited by"</th>
                                                        <th scope="col">"Link good until"</th>
                                                        <th scope="col">
                                                            <span class="visually-hidden">"Actions"</span>
                                                        </th>
                                                    </tr>
                                                </thead>
                                                <tbody>
                                                    {pending
                                                        .into_iter()
                                                        .map(|i| {
                                                            view! {
                                                                <tr>
                                                                    <td>{i.email.clone()}</td>
                                                                    <td>{i.role.to_string()}</td>
                                                                    <td>{i.invited_by.clone()}</td>
                                                                    <td>{format_time(i.expires_at)}</td>
                                                                    <td>
                                                                        <form
                                                                            method="post"
                                                                            action=RevokeInvitation::PATH
                                                                            class="inline"
                                                                        >
                                                                            <input type="hidden" name="csrf" value=csrf.clone() />
                                                                            <input type="hidden" name="org" value=org_slug.clone() />
                                                                            <input type="hidden" name="id" value=i.id />
                                                                            <button
                                                                                type="submit"
                                                                                class="link danger"
                                                                                aria-label=format!("Withdraw the invitation of {}", i.email)
                                                                            >
                                                                                "Withdraw"
                                                                            </button>
                                                                        </form>
                                                                    </td>
                                                                </tr>
                                                            }
                                                        })
                                                        .collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }
                                })}
                            {owner
                                .then(|| {
                                    view! {
                                        <h3>"Invite a member, or change a role"</h3>
                                        <form method="post" action=AddMember::PATH class="row">
                                            <input type="hidden" name="csrf" value=csrf.clone() />
                                            <input type="hidden" name="org" value=org_slug.clone() />
                                            <div>
                                                <label for="member-email">"E-mail"</label>
                                                <input id="member-email" name="email" type="email" required />
                                            </div>
                                            <div>
                                                <label for="member-role">"Role"</label>
                                                <select id="member-role" name="role">
                                                    {role_options(Role::Owner, Role::Viewer)}
                                                </select>
                                            </div>
                                            <button type="submit">"Invite or change role"</button>
                                        </form>
                                        <p class="hint">
                                            "A member gets the new role at once. Anyone else gets an invitation link, shown to you once, to pass on: only the holder of the address can accept it, by signing in or choosing their own password."
                                        </p>
                                    }
                                })}
                        </section>
                        {owner
                            .then(|| {
                                view! {
                                    <PushSettingsCard
                                        org=org_slug.clone()
                                        csrf=csrf.clone()
                                        current=d.push.clone()
                                        available=d.push_available
                                        error=push_err.clone()
                                    />
                                }
                            })}
                        {d
                            .shares
                            .clone()
                            .map(|links| {
                                view! {
                                    <ShareLinksCard
                                        org=org_slug.clone()
                                        csrf=csrf.clone()
                                        links=links
                                        domains=d.domains.clone()
                                        error=share_err.clone()
                                    />
                                }
                            })}
                        {d
                            .tokens
                            .clone()
                            .map(|tokens| {
                                view! {
                                    <section class="card">
                                        <h2>"API tokens"</h2>
                                        <p class="hint">
                                            "For scripts and the REST API under /api/v1 (send as Authorization: Bearer …). A token acts in this organisation only."
                                        </p>
                                        {token_err.clone().map(|e| view! { <ErrorPanel error=e /> })}
                                        {if tokens.is_empty() {
                                            view! { <p class="muted">"No tokens yet."</p> }.into_any()
                                        } else {
                                            view! {
                                                <div class="table-wrap">
                                                    <table>
                                                        <thead>
                                                            <tr>
                                                                <th scope="col">"Name"</th>
                                                                <th scope="col">"Role"</th>
                                                                <th scope="col">"Starts with"</th>
                                                                <th scope="col">"Created"</th>
                                                                <th scope="col">"Last used"</th>
                                                                <th scope="col">
                                                                    <span class="visually-hidden">"Actions"</span>
                                                                </th>
                                                            </tr>
                                                        </thead>
                                                        <tbody>
                                                            {tokens
                                                                .into_iter()
                                                                .map(|t| {
                                                                    view! {
                                                                        <tr>
                                                                            <td>{t.name.clone()}</td>
                                                                            <td>{t.role.to_string()}</td>
                                                                            <td>
                                                                                <code>{t.prefix}"…"</code>
                                                                            </td>
                                                                            <td>{format_time(t.created_at)}</td>
                                                                            <td>
                                                                                {t
                                                                                    .last_used_at
                                                                                    .map(format_time)
                                                                                    .unwrap_or_else(|| "never".into())}
                                                                            </td>
                                                                            <td>
                                                                                <form method="post" action=RevokeToken::PATH class="inline">
                                                                                    <input type="hidden" name="csrf" value=csrf.clone() />
                                                                                    <input type="hidden" name="org" value=org_slug.clone() />
                                                                                    <input type="hidden" name="id" value=t.id />
                                                                                    <button
                                                                                        type="submit"
                                                                                        class="link danger"
                                                                                        aria-label=format!("Revoke {}", t.name)
                                                                                    >
                                                                                        "Revoke"
                                                                                    </button>
                                                                                </form>
                                                                            </td>
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
                                        <h3>"Create a token"</h3>
                                        <form method="post" action=CreateToken::PATH class="row">
                                            <input type="hidden" name="csrf" value=csrf.clone() />
                                            <input type="hidden" name="org" value=org_slug.clone() />
                                            <div>
                                                <label for="token-name">"Name"</label>
                                                <input
                                                    id="token-name"
                                                    name="name"
                                                    required
                                                    maxlength="100"
                                                    placeholder="e.g. provisioning script"
                                                />
                                            </div>
                                            <div>
                                                <label for="token-role">"Role"</label>
                                                <select id="token-role" name="role">
                                                    {role_options(Role::Owner, Role::Viewer)}
                                                </select>
                                            </div>
                                            <button type="submit">"Create token"</button>
                                        </form>
                                    </section>
                                }
                            })}
                    }
                        .into_any()
                }
            }}
        }.into_any()
    })
}
