use leptos::prelude::*;
use leptos_meta::Title;

/// Answers the page with status 404 (rendered where the page finds nothing to show).
#[component]
pub fn NotFoundStatus() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <NotFoundStatus />
        <Title text="Not found" />
        <main id="main" class="narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Go to your domains"</a></p>
        </main>
    }
}
