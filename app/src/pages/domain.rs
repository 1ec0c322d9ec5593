use super::domain_dns::DnsSection;
use super::domain_reports::ReportsSection;
use crate::api::{get_dns, get_domain, get_policy, get_reports, CheckDnsNow, DeleteDomain};
use crate::components::{
    form_error, page_frame, Crumbs, DnsStatusBadge, ErrorPanel, ModeBadge, MxDriftBanner, ProofBanner,
};
use crate::dto::{format_time, PolicyOverview};
use crate::islands::DeleteDomainButton;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use portcullis_domain::Role;

#[component]
pub fn DomainPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    let delete_error = form_error::<DeleteDomain>();
    let check_error = form_error::<CheckDnsNow>();
    page_frame(name.clone(), None, move |ctx| async move {
        let detail = get_domain(name.clone()).await;
        let policy = get_policy(name.clone()).await.ok();
        let dns = get_dns(name.clone()).await.ok();
        let reports = get_reports(name.clone()).await.ok();
        view! {
            {match detail {
                Err(e) => {
                    view! {
                        <h1>{name.clone()}</h1>
                        <ErrorPanel error=e />
                    }
                        .into_any()
                }
                Ok(d) => {
                    let can_edit = d.role.allows(Role::Editor);
                    view! {
                        <Crumbs trail=vec![(format!("/?org={}", d.domain.org_slug), d.domain.org_name.clone())] />
                        <h1>{d.domain.name.clone()}</h1>
                        {d.domain.unicode().map(|u| view! { <p class="muted">"Unicode: " {u}</p> })}
                        {delete_error.clone().map(|e| view! { <ErrorPanel error=e /> })}
                        {check_error.clone().map(|e| view! { <ErrorPanel error=e /> })}
                        <ProofBanner
                            domain=d.domain.name.clone()
                            token=d.domain.proof_token.clone()
                            proven=d.domain.proven()
                        />
                        <MxDriftBanner
                            domain=d.domain.name.clone()
                            hosts=d.mx_drift.clone()
                            csrf=ctx.csrf.clone()
                            can_fix=can_edit
                            id_automatic=d.id_automatic
                        />
                        <dl class="facts">
                            <dt>"Organisation"</dt>
                            <dd>{d.domain.org_name.clone()}</dd>
                            <dt>"MTA-STS mode"</dt>
                            <dd>
                                <ModeBadge mode=d.domain.mode.clone() />
                            </dd>
                            <dt>"DNS"</dt>
                            <dd>
                                <a href="#dns">
                                    <DnsStatusBadge status=dns
                                        .as_ref()
                                        .map_or(portcullis_domain::dns::Status::NeverChecked, |v| v.status) />
                                </a>
                            </dd>
                            <dt>"Added"</dt>
                            <dd>{format_time(d.domain.created_at)}</dd>
                            <dt>"Your role"</dt>
                            <dd>{d.role.to_string()}</dd>
                        </dl>
                        {policy.clone().map(|o| view! { <PolicySection o=o can_edit=can_edit /> })}
                        {dns.clone().map(|v| view! { <DnsSection v=v csrf=ctx.csrf.clone() /> })}
                        {reports.clone().map(|v| view! { <ReportsSection v=v org=d.domain.org_slug.clone() /> })}
                        {can_edit
                            .then(|| {
                                view! {
                                    <section class="card danger-zone">
                                        <h2>"Delete"</h2>
                                        <p>"Portcullis stops managing this domain. Nothing changes in your DNS."</p>
                                        <DeleteDomainButton csrf=ctx.csrf.clone() name=d.domain.name.clone() />
                                    </section>
                                }
                            })}
                    }
                        .into_any()
                }
            }}
        }
        .into_any()
    })
}

/// Confirmation page for deleting, used when JavaScript is off (the island shows a dialog).
#[component]
pub fn DeleteDomainPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    page_frame(format!("Delete {name}"), None, move |ctx| async move {
        let detail = get_domain(name.clone()).await;
        view! {
            {match detail {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(d) => {
                    view! {
                        <section class="card narrow danger-zone">
                            <h1>{format!("Delete {}?", d.domain.name)}</h1>
                            <p>"Portcullis stops managing this domain. Nothing changes in your DNS."</p>
                            <form method="post" action=DeleteDomain::PATH class="actions">
                                <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                                <input type="hidden" name="name" value=d.domain.name.clone() />
                                <a class="button" href=format!("/domains/{}", d.domain.name)>
                                    "Cancel"
                                </a>
                                <button type="submit" class="danger">
                                    {format!("Delete {}", d.domain.name)}
                                </button>
                            </form>
                        </section>
                    }
                        .into_any()
                }
            }}
        }
        .into_any()
    })
}

/// The served policy, its warnings and its history, with the way to edit it.
#[component]
fn PolicySection(o: PolicyOverview, can_edit: bool) -> impl IntoView {
    let d = o.domain.name.clone();
    let edit = format!("/domains/{d}/policy");
    let Some(current) = o.current().cloned() else {
        return view! {
            <section class="card" data-testid="policy-section">
                <h2>"MTA-STS policy"</h2>
                <p>{format!("No policy yet: nothing is served at https://mta-sts.{d}/.well-known/mta-sts.txt.")}</p>
                <p class="hint">"Start in testing mode: senders report TLS problems but still deliver."</p>
                {can_edit
                    .then(|| {
                        view! {
                            <p class="actions">
                                <a class="button primary" href=format!("{edit}?from_mx=1")>
                                    "Generate from MX"
                                </a>
                                <a class="button" href=edit.clone()>
                                    "Write a policy"
                                </a>
                            </p>
                        }
                    })}
            </section>
        }
        .into_any();
    };
    view! {
        <section class="card" data-testid="policy-section">
            <h2>"MTA-STS policy"</h2>
            <dl class="facts">
                <dt>"Mode"</dt>
                <dd>
                    <ModeBadge mode=Some(current.mode.clone()) />
                    " "
                    <a href=format!("/domains/{d}/lifecycle") data-testid="lifecycle-link">
                        {match current.mode.as_str() {
                            "testing" => "Ready for enforce?",
                            "enforce" => "Roll back or remove",
                            _ => "Mode and history",
                        }}
                    </a>
                    " · "
                    <a href=format!("/domains/{d}/mx-plan")>"Plan an MX change"</a>
                </dd>
                <dt>"Policy id"</dt>
                <dd>
                    <code data-testid="policy-id">{current.policy_id.clone()}</code>
                </dd>
                <dt>"DNS record"</dt>
                <dd>
                    <code>{format!("_mta-sts.{d}. TXT \"v=STSv1; id={}\"", current.policy_id)}</code>
                    {o
                        .id_automatic
                        .then_some(
                            view! {
                                <span class="muted small" data-testid="id-automatic">
                                    " kept current for you"
                                </span>
                            },
                        )}
                </dd>
                <dt>"Served at"</dt>
                <dd>
                    <code>{format!("https://mta-sts.{d}/.well-known/mta-sts.txt")}</code>
                </dd>
                <dt>"Certificate"</dt>
                <dd data-testid="certificate">{certificate_text(o.certificate.as_ref())}</dd>
            </dl>
            {o
                .certificate
                .as_ref()
                .and_then(|c| {
                    c.last_error
                        .clone()
                        .map(|e| {
                            view! {
                                <div class="panel warn" role="status">
                                    <strong>"Certificate not obtained: "</strong>
                                    {e}
                                    <p>{format!("Next attempt: {}.", format_time(c.next_attempt_at))}</p>
                                </div>
                            }
                        })
                })}
            <ul class="warnings">
                {o.warnings.iter().map(|(_, m)| view! { <li class="warning">{m.clone()}</li> }).collect_view()}
            </ul>
            <pre class="policy-text" data-testid="served-policy">
                {current.body.clone()}
            </pre>
            {can_edit
                .then(|| {
                    view! {
                        <p class="actions">
                            <a class="button primary" href=edit.clone()>
                                "Edit policy"
                            </a>
                        </p>
                    }
                })}
            <h3>"History"</h3>
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Id"</th>
                        <th scope="col">"Saved"</th>
                        <th scope="col">"By"</th>
                        <th scope="col">"Change"</th>
                    </tr>
                </thead>
                <tbody>
                    {o
                        .versions
                        .iter()
                        .map(|v| {
                            view! {
                                <tr>
                                    <td>
                                        <a href=format!("/domains/{d}/policy/versions/{}", v.policy_id)>
                                            <code>{v.policy_id.clone()}</code>
                                        </a>
                                    </td>
                                    <td class="muted">{format_time(v.created_at)}</td>
                                    <td>{v.author.clone()}</td>
                                    <td>{v.note.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

fn certificate_text(c: Option<&crate::dto::CertState>) -> String {
    match c {
        Some(crate::dto::CertState {
            not_after: Some(until),
            issued_at,
            ..
        }) => format!(
            "valid until {} (issued {}; renewed 30 days before expiry)",
            format_time(*until),
            issued_at.map(format_time).unwrap_or_else(|| "—".into())
        ),
        Some(_) => "not issued yet".into(),
        None => "none from Portcullis yet: obtained automatically when HTTPS and ACME are configured, \
                 otherwise your TLS proxy provides it"
            .into(),
    }
}
