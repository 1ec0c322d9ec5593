//! The frame every page shares: the viewer's context loads first (a failure is shown in place of
//! the page), then the page's own content, rendered inside the layout; and the breadcrumb.

use crate::api::load_page;
use crate::components::{ErrorPanel, Layout, Loading};
use crate::dto::PageCtx;
use leptos::prelude::*;
use std::future::Future;

/// `content` gets the viewer's context and returns the page body; it runs after the context has
/// loaded, so a page's own look-ups never run for a request the context refused.
pub fn page_frame<F, Fut>(title: String, current_org: Option<String>, content: F) -> impl IntoView
where
    F: FnOnce(PageCtx) -> Fut + Send + 'static,
    Fut: Future<Output = AnyView> + Send + 'static,
{
    view! {
        <Suspense fallback=Loading>
            {Suspend::new(async move {
                let ctx = match load_page().await {
                    Ok(c) => c,
                    Err(e) => return view! { <ErrorPanel error=e /> }.into_any(),
                };
                let body = content(ctx.clone()).await;
                view! {
                    <Layout ctx=ctx title=title current_org=current_org.unwrap_or_default()>
                        {body}
                    </Layout>
                }
                    .into_any()
            })}
        </Suspense>
    }
}

/// The way back up: each step a link, from the outermost, each followed by " / ".
#[component]
pub fn Crumbs(trail: Vec<(String, String)>) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            {trail
                .into_iter()
                .map(|(href, label)| {
                    view! {
                        <a href=href>{label}</a>
                        " / "
                    }
                })
                .collect_view()}
        </nav>
    }
}
