use crate::api::{get_claims, list_domains, AddDomain, CheckClaim, ClaimDomain, WithdrawClaim};
use crate::components::{
    form_error, page_frame, ClaimsSection, DnsStatusBadge, ErrorPanel, ModeBadge, Pagination, ReleaseNotices,
};
use crate::dto::{format_time, urlencode, ClaimsView, DomainListing, PageCtx};
use crate::islands::AddDomainForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The home page: every domain the user can see (or one organisation's), searchable, paginated.
#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let org = query.get("org").filter(|s| !s.is_empty());
    let search = query.get("q").filter(|s| !s.trim().is_empty());
    let page = query.get("page").and_then(|p| p.parse::<i64>().ok());
    let add_error = form_error::<AddDomain>().map(|e| e.to_string());
    let claim_error = form_error::<ClaimDomain>()
        .or_else(form_error::<CheckClaim>)
        .or_else(form_error::<WithdrawClaim>)
        .map(|e| e.to_string());
    page_frame("Domains".to_string(), org.clone(), move |ctx| async move {
        let listing = list_domains(org.clone(), search.clone(), page).await;
        let claims = get_claims(org.clone()).await.unwrap_or_default();
        view! { {domains_view(ctx, org, search, (add_error, claim_error), listing, claims)} }.into_any()
    })
}

fn domains_view(
    ctx: PageCtx,
    org: Option<String>,
    search: Option<String>,
    (add_error, claim_error): (Option<String>, Option<String>),
    listing: Result<DomainListing, crate::AppError>,
    claims: ClaimsView,
) -> Option<AnyView> {
    let viewer = ctx.viewer.clone()?;
    let heading = org
        .as_ref()
        .and_then(|s| viewer.org(s))
        .map(|o| format!("Domains of {}", o.name))
        .unwrap_or_else(|| "Domains".into());
    if viewer.orgs.is_empty() {
        return Some(
            view! {
                <h1>{heading}</h1>
                <section class="empty">
                    <h2>"You are not in an organisation yet"</h2>
                    {if viewer.is_admin {
                        view! {
                            <p>
                                "Domains live in organisations (one per client, for an MSP). "
                                <a class="button primary" href="/orgs">
                                    "Create your first organisation"
                                </a>
                            </p>
                        }
                            .into_any()
                    } else {
                        view! { <p>"Ask an owner of your organisation to add you as a member."</p> }.into_any()
                    }}
                </section>
            }
            .into_any(),
        );
    }
    let delegation_available = listing.as_ref().is_ok_and(|l| l.delegation_available);
    let editable: Vec<(String, String)> = viewer.editable_orgs().into_iter().map(|o| (o.slug, o.name)).collect();
    let selected = org
        .clone()
        .filter(|s| editable.iter().any(|(slug, _)| slug == s))
        .or_else(|| editable.first().map(|(s, _)| s.clone()))
        .unwrap_or_default();
    let selected_claim = selected.clone();
    let base = {
        let mut parts = vec![];
        if let Some(o) = &org {
            parts.push(format!("org={o}"));
        }
        if let Some(q) = &search {
            parts.push(format!("q={}", urlencode(q)));
        }
        format!("/?{}", parts.join("&"))
    };
    Some(view! {
        <div class="page-head">
            <h1>{heading}</h1>
            <form method="get" action="/" class="search" role="search">
                {org.clone().map(|o| view! { <input type="hidden" name="org" value=o /> })}
                <label for="q" class="visually-hidden">
                    "Search domains"
                </label>
                <input
                    id="q"
                    name="q"
                    type="search"
                    placeholder="Search by name"
                    value=search.clone().unwrap_or_default()
                />
                <button type="submit">"Search"</button>
            </form>
        </div>
        <ReleaseNotices v=claims.clone() />
        {(!editable.is_empty())
            .then(|| {
                view! {
                    <section class="card">
                        <h2>"Add a domain"</h2>
                        <AddDomainForm
                            csrf=ctx.csrf.clone()
                            orgs=editable.clone()
                            selected=selected
                            error=add_error
                            delegation_available=delegation_available
                        />
                        <p class="hint">"Many at once? " <a href="/domains/import">"Bulk add a list or CSV"</a></p>
                    </section>
                    <ClaimsSection
                        v=claims.clone()
                        csrf=ctx.csrf.clone()
                        orgs=editable.clone()
                        selected=selected_claim.clone()
                        error=claim_error.clone()
                    />
                }
            })}
        {match listing {
            Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
            Ok(l) if l.rows.is_empty() => {
                match &search {
                    Some(q) => {
                        view! {
                            <section class="empty">
                                <p>
                                    "No domain matches “" {q.clone()} "”. "
                                    <a href=org
                                        .as_ref()
                                        .map(|o| format!("/?org={o}"))
                                        .unwrap_or_else(|| "/".into())>"Clear the search"</a>
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <section class="empty">
                                <h2>"No domains yet"</h2>
                                <p>
                                    "Add your first domain above, or bulk add a list. Portcullis then helps you publish its MTA-STS policy and read its TLS reports."
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                }
            }
            Ok(l) => {
                let pages = l.pages();
                let page = l.page;
                view! {
                    <p class="muted" data-testid="domain-count">
                        {format!("{} domain{}", l.total, if l.total == 1 { "" } else { "s" })}
                    </p>
                    <div class="table-wrap">
                        <table class="domains">
                            <thead>
                                <tr>
                                    <th scope="col">"Domain"</th>
                                    <th scope="col">"Organisation"</th>
                                    <th scope="col">"Mode"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Added"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {l
                                    .rows
                                    .into_iter()
                                    .map(|d| {
                                        view! {
                                            <tr>
                                                <td>
                                                    <a href=format!("/domains/{}", d.name)>{d.name.clone()}</a>
                                                    {d
                                                        .unicode()
                                                        .map(|u| {
                                                            view! { <span class="muted">{format!(" ({u})")}</span> }
                                                        })}
                                                </td>
                                                <td>
                                                    <a href=format!("/?org={}", d.org_slug)>{d.org_name}</a>
                                                </td>
                                                <td>
                                                    <ModeBadge mode=d.mode.clone() />
                                                </td>
                                                <td>
                                                    <DnsStatusBadge status=d
                                                        .dns_status
                                                        .as_deref()
                                                        .map_or(
                                                            portcullis_domain::dns::Status::NeverChecked,
                                                            portcullis_domain::dns::Status::parse,
                                                        ) />
                                                </td>
                                                <td class="muted">{format_time(d.created_at)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <Pagination page pages base />
                }
                    .into_any()
            }
        }}
    }.into_any())
}
