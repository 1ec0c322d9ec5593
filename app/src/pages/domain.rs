use crate::api::{get_domain, load_page, DeleteDomain};
use crate::components::{form_error, ErrorPanel, Layout, Loading};
use crate::dto::format_time;
use crate::islands::DeleteDomainButton;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use portcullis_domain::Role;

#[component]
pub fn DomainPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    let delete_error = form_error::<DeleteDomain>();
    view! {
        <Suspense fallback=Loading>
            {Suspend::new(async move {
                let ctx = match load_page().await { Ok(c) => c, Err(e) => return view! { <ErrorPanel error=e/> }.into_any() };
                let detail = get_domain(name.clone()).await;
                let title = name.clone();
                view! {
                    <Layout ctx=ctx.clone() title=title>
                        {match detail {
                            Err(e) => view! { <h1>{name.clone()}</h1><ErrorPanel error=e/> }.into_any(),
                            Ok(d) => {
                                let can_edit = d.role.allows(Role::Editor);
                                view! {
                                    <nav class="crumbs" aria-label="Breadcrumb"><a href=format!("/?org={}", d.domain.org_slug)>{d.domain.org_name.clone()}</a>" / "</nav>
                                    <h1>{d.domain.name.clone()}</h1>
                                    {d.domain.unicode.clone().map(|u| view! { <p class="muted">"Unicode: " {u}</p> })}
                                    {delete_error.clone().map(|e| view! { <ErrorPanel error=e/> })}
                                    <dl class="facts">
                                        <dt>"Organisation"</dt><dd>{d.domain.org_name.clone()}</dd>
                                        <dt>"MTA-STS mode"</dt><dd><span class="badge">"not configured"</span></dd>
                                        <dt>"Added"</dt><dd>{format_time(d.domain.created_at)}</dd>
                                        <dt>"Your role"</dt><dd>{d.role.to_string()}</dd>
                                    </dl>
                                    <section class="card">
                                        <h2>"Next steps"</h2>
                                        <p>"Policy hosting, DNS guidance and TLS reports for this domain appear here as they are set up."</p>
                                    </section>
                                    {can_edit.then(|| view! {
                                        <section class="card danger-zone">
                                            <h2>"Delete"</h2>
                                            <p>"Portcullis stops managing this domain. Nothing changes in your DNS."</p>
                                            <DeleteDomainButton csrf=ctx.csrf.clone() name=d.domain.name.clone()/>
                                        </section>
                                    })}
                                }.into_any()
                            }
                        }}
                    </Layout>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Confirmation page for deleting, used when JavaScript is off (the island shows a dialog).
#[component]
pub fn DeleteDomainPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    view! {
        <Suspense fallback=Loading>
            {Suspend::new(async move {
                let ctx = match load_page().await { Ok(c) => c, Err(e) => return view! { <ErrorPanel error=e/> }.into_any() };
                let detail = get_domain(name.clone()).await;
                view! {
                    <Layout ctx=ctx.clone() title=format!("Delete {name}")>
                        {match detail {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(d) => view! {
                                <section class="card narrow danger-zone">
                                    <h1>{format!("Delete {}?", d.domain.name)}</h1>
                                    <p>"Portcullis stops managing this domain. Nothing changes in your DNS."</p>
                                    <form method="post" action=DeleteDomain::PATH class="actions">
                                        <input type="hidden" name="csrf" value=ctx.csrf.clone()/>
                                        <input type="hidden" name="name" value=d.domain.name.clone()/>
                                        <a class="button" href=format!("/domains/{}", d.domain.name)>"Cancel"</a>
                                        <button type="submit" class="danger">{format!("Delete {}", d.domain.name)}</button>
                                    </form>
                                </section>
                            }.into_any(),
                        }}
                    </Layout>
                }.into_any()
            })}
        </Suspense>
    }
}
