use crate::api::{ChangePassword, Login, Setup};
use crate::components::{form_error, page_frame, ErrorPanel, FieldError};
use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

fn field(err: &Option<AppError>, name: &str) -> Option<String> {
    err.as_ref().and_then(|e| e.for_field(name))
}

/// A form-level error that is not about one field.
fn general(err: &Option<AppError>, fields: &[&str]) -> Option<AppError> {
    err.clone()
        .filter(|e| !matches!(e, AppError::Invalid { field, .. } if fields.contains(&field.as_str())))
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let err = form_error::<Setup>();
    page_frame("Set up".to_string(), None, move |ctx| async move {
        let other = general(&err, &["email", "password", "confirm", "token"]);
        let token_required = ctx.setup_token_required;
        view! {
            <section class="card narrow">
                <h1>"Welcome to Portcullis"</h1>
                <p>"Create the first administrator. This page is shown once, while no account exists."</p>
                {other.map(|e| view! { <ErrorPanel error=e /> })}
                <form method="post" action=Setup::PATH class="stack">
                    <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                    {token_required
                        .then(|| {
                            view! {
                                <label for="token">"Setup token"</label>
                                <input
                                    id="token"
                                    name="token"
                                    type="text"
                                    autocomplete="off"
                                    spellcheck="false"
                                    required
                                    aria-describedby="token-hint token-error"
                                />
                                <p id="token-hint" class="hint">
                                    "This dashboard can be reached from other machines, so setup needs the token the server printed in its log when it started. "
                                    <code>"portcullis setup-token"</code>
                                    " prints it again."
                                </p>
                                <FieldError id="token-error" error=field(&err, "token") />
                            }
                        })}
                    <label for="email">"E-mail"</label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="username"
                        required
                        aria-describedby="email-error"
                    />
                    <FieldError id="email-error" error=field(&err, "email") />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        minlength="12"
                        required
                        aria-describedby="password-error password-hint"
                    />
                    <p id="password-hint" class="hint">
                        "At least 12 characters. A passphrase is easiest."
                    </p>
                    <FieldError id="password-error" error=field(&err, "password") />
                    <label for="confirm">"Repeat the password"</label>
                    <input
                        id="confirm"
                        name="confirm"
                        type="password"
                        autocomplete="new-password"
                        required
                        aria-describedby="confirm-error"
                    />
                    <FieldError id="confirm-error" error=field(&err, "confirm") />
                    <button type="submit" class="primary">
                        "Create administrator"
                    </button>
                </form>
            </section>
        }.into_any()
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let err = form_error::<Login>();
    let query = use_query_map().get_untracked();
    let next = query.get("next").unwrap_or_else(|| "/".into());
    let signed_out = query.get("signed_out").is_some();
    page_frame("Sign in".to_string(), None, move |ctx| async move {
        let other = general(&err, &["password"]);
        view! {
            <section class="card narrow">
                <h1>"Sign in"</h1>
                {signed_out
                    .then(|| {
                        view! {
                            <div class="panel ok" role="status">
                                "You are signed out."
                            </div>
                        }
                    })}
                {other.map(|e| view! { <ErrorPanel error=e /> })}
                <form method="post" action=Login::PATH class="stack">
                    <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                    <input type="hidden" name="next" value=next.clone() />
                    <label for="email">"E-mail"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-describedby="password-error"
                    />
                    <FieldError id="password-error" error=field(&err, "password") />
                    <button type="submit" class="primary">
                        "Sign in"
                    </button>
                </form>
            </section>
        }
        .into_any()
    })
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let err = form_error::<ChangePassword>();
    page_frame("Account".to_string(), None, move |ctx| async move {
        let must = ctx.viewer.as_ref().map(|v| v.must_change_password).unwrap_or(false);
        let email = ctx.viewer.as_ref().map(|v| v.email.clone()).unwrap_or_default();
        let other = general(&err, &["current", "password", "confirm"]);
        view! {
            <section class="card narrow">
                <h1>"Your account"</h1>
                <p>"Signed in as " <strong>{email}</strong></p>
                {must
                    .then(|| {
                        view! {
                            <div class="panel warn" role="status">
                                "You signed in with a one-time password. Choose your own password to continue."
                            </div>
                        }
                    })}
                {other.map(|e| view! { <ErrorPanel error=e /> })}
                <h2>"Change password"</h2>
                <form method="post" action=ChangePassword::PATH class="stack">
                    <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                    <label for="current">"Current password"</label>
                    <input
                        id="current"
                        name="current"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-describedby="current-error"
                    />
                    <FieldError id="current-error" error=field(&err, "current") />
                    <label for="password">"New password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        minlength="12"
                        required
                        aria-describedby="password-error"
                    />
                    <FieldError id="password-error" error=field(&err, "password") />
                    <label for="confirm">"Repeat the new password"</label>
                    <input
                        id="confirm"
                        name="confirm"
                        type="password"
                        autocomplete="new-password"
                        required
                        aria-describedby="confirm-error"
                    />
                    <FieldError id="confirm-error" error=field(&err, "confirm") />
                    <button type="submit" class="primary">
                        "Change password"
                    </button>
                </form>
            </section>
        }
        .into_any()
    })
}
