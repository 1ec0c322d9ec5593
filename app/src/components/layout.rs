use crate::api::Logout;
use crate::components::FlashMessages;
use crate::dto::PageCtx;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

/// Header (brand, navigation, organisation switcher, account), one-time messages, content.
#[component]
pub fn Layout(
    ctx: PageCtx,
    title: String,
    #[prop(optional)] current_org: Option<String>,
    children: Children,
) -> impl IntoView {
    let header_right = ctx.viewer.clone().map(|v| {
        let current = current_org
            .as_ref()
            .and_then(|s| v.org(s))
            .map(|o| o.name.clone())
            .unwrap_or_else(|| "All organisations".into());
        let orgs = v.orgs.clone();
        view! {
            <details class="switcher">
                <summary aria-label="Switch organisation">{current}</summary>
                <ul role="list">
                    <li>
                        <a href="/">"All organisations"</a>
                    </li>
                    {orgs
                        .into_iter()
                        .map(|o| {
                            view! {
                                <li>
                                    <a href=format!(
                                        "/?org={}",
                                        o.slug,
                                    )>{o.name}<span class="muted">{format!(" · {}", o.role)}</span></a>
                                </li>
                            }
                        })
                        .collect_view()}
                    <li class="sep">
                        <a href="/orgs">"Manage organisations…"</a>
                    </li>
                </ul>
            </details>
            <nav class="main-nav" aria-label="Main">
                <a href="/">"Domains"</a>
                <a href="/domains/import">"Bulk add"</a>
                <a href="/reports">"Reports"</a>
                <a href="/reports/upload">"Upload reports"</a>
                <a href="/orgs">"Organisations"</a>
            </nav>
            <div class="account">
                <a href="/account" class="muted">
                    {v.email.clone()}
                </a>
                <form method="post" action=Logout::PATH class="inline">
                    <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                    <button type="submit" class="link">
                        "Sign out"
                    </button>
                </form>
            </div>
        }
    });
    view! {
        <Title text=title />
        <header class="site">
            <a href="/" class="brand" aria-label="Portcullis home">
                <span class="logo" aria-hidden="true">
                    "▦"
                </span>
                " Portcullis"
            </a>
            {header_right}
        </header>
        <main id="main">
            <FlashMessages flash=ctx.flash.clone() />
            {children()}
        </main>
    }
}
