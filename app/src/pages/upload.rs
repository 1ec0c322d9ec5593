use crate::components::{page_frame, OrgSelect};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Where the upload form posts (a plain multipart form, handled by the server outside the
/// server functions so the file bytes stream under the upload limits).
pub const UPLOAD_ACTION: &str = "/reports/upload/files";

/// Upload TLS-RPT reports received elsewhere (.json, .json.gz, .zip, .eml); the per-file result
/// comes back as a flash.
#[component]
pub fn UploadReportsPage() -> impl IntoView {
    let org = use_query_map().get_untracked().get("org");
    page_frame(
        "Upload TLS-RPT reports".to_string(),
        org.clone(),
        move |ctx| async move {
            let editable = ctx.viewer.as_ref().map(|v| v.editable_orgs()).unwrap_or_default();
            view! {
                <h1>"Upload TLS-RPT reports"</h1>
                <p class="lead">
                    "Add reports that reached you some other way: saved attachments or whole report e-mails. Senders can also deliver them to this server directly (see each domain's DNS records)."
                </p>
                {if editable.is_empty() {
                    view! {
                        <section class="empty">
                            <p>"You need the editor or owner role in an organisation to add reports."</p>
                        </section>
                    }
                        .into_any()
                } else {
                    view! {
                        <section class="card">
                            <form
                                method="post"
                                action=UPLOAD_ACTION
                                enctype="multipart/form-data"
                                class="stack"
                                data-testid="upload-form"
                            >
                                <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                                <OrgSelect orgs=editable selected=org.clone() />
                                <label for="files">"Report files"</label>
                                <input
                                    id="files"
                                    name="files"
                                    type="file"
                                    multiple
                                    required
                                    accept=".json,.gz,.zip,.eml,application/json,application/gzip,application/zip,message/rfc822"
                                    aria-describedby="files-hint"
                                />
                                <p id="files-hint" class="hint">
                                    "One or many files: .json, .json.gz, .zip, or .eml messages with the report attached. Each report is stored for the organisation's domains it covers; one already stored is counted once. Up to 100 files and 64 MiB per upload."
                                </p>
                                <button type="submit" class="primary">
                                    "Upload"
                                </button>
                            </form>
                        </section>
                    }
                        .into_any()
                }}
            }.into_any()
        },
    )
}
