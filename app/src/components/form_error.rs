use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::{error::ServerFnUrlError, ServerFn};
use leptos_router::hooks::use_query_map;

/// The error a plain form post to server function `S` came back with (in the URL), if any.
pub fn form_error<S: ServerFn>() -> Option<AppError> {
    let query = use_query_map().get_untracked();
    match (query.get("__path"), query.get("__err")) {
        (Some(path), Some(err)) if path == S::PATH => Some(ServerFnUrlError::<AppError>::decode_err(&err)),
        _ => None,
    }
}

/// A field's error, or nothing, placed right under the field and announced to screen readers.
#[component]
pub fn FieldError(id: &'static str, error: Option<String>) -> impl IntoView {
    view! {
        <p id=id class="field-error" role="alert">
            {error}
        </p>
    }
}

/// An error not tied to one field (or the page failing to load).
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let hint = match &error {
        AppError::NotFound => {
            Some("It may have been deleted, or it belongs to an organisation you are not a member of.")
        }
        AppError::Unauthenticated => Some("Your session may have expired."),
        AppError::Csrf => Some("Forms expire when you sign out or the page is very old."),
        _ => None,
    };
    view! {
        <div class="panel error" role="alert">
            <strong>{error.to_string()}</strong>
            {hint.map(|h| view! { <p>{h}</p> })}
            {matches!(error, AppError::Unauthenticated)
                .then(|| {
                    view! {
                        <p>
                            <a href="/login">"Sign in"</a>
                        </p>
                    }
                })}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="loading" aria-busy="true">
            "Loading…"
        </p>
    }
}
