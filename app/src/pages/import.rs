use crate::api::BulkAddDomains;
use crate::components::{form_error, page_frame, ErrorPanel, FieldError, OrgSelect};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use portcullis_domain::MAX_BULK_LINES;

/// Bulk add from a pasted list or CSV (first column); the per-line report comes back as a flash.
#[component]
pub fn ImportPage() -> impl IntoView {
    let org = use_query_map().get_untracked().get("org");
    let err = form_error::<BulkAddDomains>();
    page_frame("Bulk add domains".to_string(), org.clone(), move |ctx| async move {
        let editable = ctx.viewer.as_ref().map(|v| v.editable_orgs()).unwrap_or_default();
        let text_error = err.as_ref().and_then(|e| e.for_field("text"));
        let other = err.clone().filter(|e| e.for_field("text").is_none());
        view! {
            <h1>"Bulk add domains"</h1>
            {other.map(|e| view! { <ErrorPanel error=e /> })}
            {if editable.is_empty() {
                view! {
                    <section class="empty">
                        <p>"You need the editor or owner role in an organisation to add domains."</p>
                    </section>
                }
                    .into_any()
            } else {
                view! {
                    <section class="card">
                        <form method="post" action=BulkAddDomains::PATH class="stack">
                            <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                            <OrgSelect orgs=editable selected=org.clone() />
                            <label for="text">"Domains, one per line (or a CSV whose first column holds them)"</label>
                            <textarea
                                id="text"
                                name="text"
                                rows="12"
                                required
                                aria-describedby="text-hint text-error"
                                placeholder="example.com\nexample.org\nbücher.example"
                            ></textarea>
                            <p id="text-hint" class="hint">
                                {format!(
                                    "Up to {MAX_BULK_LINES} lines. Empty lines and lines starting with # are skipped. Every line is reported as added, duplicate or invalid; nothing is half-applied.",
                                )}
                            </p>
                            <FieldError id="text-error" error=text_error />
                            <button type="submit" class="primary">
                                "Add domains"
                            </button>
                        </form>
                    </section>
                }
                    .into_any()
            }}
        }.into_any()
    })
}
