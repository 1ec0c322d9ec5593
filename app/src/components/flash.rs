use crate::dto::{Flash, UploadOutcome};
use leptos::prelude::*;
use portcullis_domain::BulkOutcome;

/// One-time messages from the previous form post.
#[component]
pub fn FlashMessages(flash: Vec<Flash>) -> impl IntoView {
    flash.into_iter().map(|f| match f {
        Flash::Notice(text) => view! {
            <div class="panel ok" role="status">
                {text}
            </div>
        }.into_any(),
        Flash::Warning(text) => view! {
            <div class="panel warn" role="alert" data-testid="flash-warning">
                {text}
            </div>
        }.into_any(),
        Flash::TokenCreated { name, secret } => view! {
            <div class="panel ok" role="status">
                <strong>{format!("API token “{name}” created.")}</strong>
                <p>"Copy it now: it is shown only once and stored only as a hash."</p>
                <pre class="secret" data-testid="token-secret">
                    {secret}
                </pre>
            </div>
        }.into_any(),
        Flash::MemberInvited { email, link, expires_at } => view! {
            <div class="panel ok" role="status">
                <strong>{format!("{email} is invited.")}</strong>
                <p>
                    {format!(
                        "Send them this link (shown once). It works once, for {email} only, until {}; they sign in or choose their own password, then join.",
                        crate::dto::format_time(expires_at),
                    )}
                </p>
                <pre class="secret" data-testid="invitation-link">
                    {link}
                </pre>
            </div>
        }.into_any(),
        Flash::ShareCreated { scope, link, expires_at } => view! {
            <div class="panel ok" role="status">
                <strong>{format!("Share link for {scope} created.")}</strong>
                <p>
                    {format!(
                        "Send it to your client (shown once; only a hash is kept). Anyone with it can read the status, records health and report charts, without signing in, until {} or until you revoke it.",
                        crate::dto::format_time(expires_at),
                    )}
                </p>
                <pre class="secret" data-testid="share-link">
                    {link}
                </pre>
            </div>
        }.into_any(),
        Flash::Bulk(report) => view! {
            <div class="panel ok" role="status" data-testid="bulk-report">
                <strong>
                    {format!("{} added, {} duplicate, {} invalid.", report.added, report.duplicates, report.invalid)}
                </strong>
                <table class="compact">
                    <thead>
                        <tr>
                            <th scope="col">"Line"</th>
                            <th scope="col">"Input"</th>
                            <th scope="col">"Result"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {report
                            .lines
                            .into_iter()
                            .map(|l| {
                                let (class, text) = match l.outcome {
                                    BulkOutcome::Added => {
                                        ("badge ok", format!("added as {}", l.name.unwrap_or_default()))
                                    }
                                    BulkOutcome::Duplicate(why) => ("badge warn", format!("duplicate: {why}")),
                                    BulkOutcome::Invalid(reason) => ("badge error", format!("invalid: {reason}")),
                                };
                                view! {
                                    <tr>
                                        <td>{l.line}</td>
                                        <td>
                                            <code>{l.input}</code>
                                        </td>
                                        <td>
                                            <span class=class>{text}</span>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }.into_any(),
        Flash::Uploaded(report) => view! {
            <div class="panel ok" role="status" data-testid="upload-report">
                <strong>
                    {format!(
                        "{} stored, {} already stored, {} failed.",
                        report.stored,
                        report.duplicates,
                        report.failed,
                    )}
                </strong>
                <table class="compact">
                    <thead>
                        <tr>
                            <th scope="col">"File"</th>
                            <th scope="col">"Result"</th>
                            <th scope="col">"Details"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {report
                            .lines
                            .into_iter()
                            .map(|l| {
                                let (class, text) = match l.outcome {
                                    UploadOutcome::Stored => ("badge ok", "stored"),
                                    UploadOutcome::Duplicate => ("badge warn", "already stored"),
                                    UploadOutcome::Failed => ("badge error", "failed"),
                                };
                                view! {
                                    <tr data-outcome=text>
                                        <td>
                                            <code>{l.file}</code>
                                        </td>
                                        <td>
                                            <span class=class>{text}</span>
                                        </td>
                                        <td>{l.detail}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }.into_any(),
    }).collect_view()
}
