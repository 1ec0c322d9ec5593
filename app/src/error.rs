//! The one error type the dashboard shows. Variants are things a user can act on; storage and
//! I/O details are logged on the server and arrive here only as `Internal`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input refused; shown next to the form field named `field`.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("Not found")]
    NotFound,
    #[error("Your role does not allow this")]
    Forbidden,
    #[error("Please sign in")]
    Unauthenticated,
    /// Signed in with a one-time password: nothing but choosing a new one is allowed.
    #[error("Choose a new password on your account page first")]
    PasswordChangeRequired,
    #[error("This form has expired; reload the page and try again")]
    Csrf,
    #[error("Too many failed attempts; try again in {0} minutes")]
    Throttled(u64),
    /// A service outside Portcullis (DNS, ACME) could not be used; the text says which.
    #[error("{0}")]
    Unavailable(String),
    #[error("Something went wrong on the server; the details are in its log")]
    Internal,
    #[error("Could not reach the server ({0})")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        AppError::Invalid {
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    /// The message for a given form field, if this error belongs to it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 422,
            AppError::Conflict(_) => 409,
            AppError::NotFound => 404,
            AppError::Forbidden | AppError::Csrf | AppError::PasswordChangeRequired => 403,
            AppError::Unauthenticated => 401,
            AppError::Throttled(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } => "invalid",
            AppError::Conflict(_) => "conflict",
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Csrf => "csrf",
            AppError::Unauthenticated => "unauthenticated",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::Throttled(_) => "throttled",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Malformed form posts: a missing or mistyped field.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => AppError::invalid("form", m),
            ServerFnErrorErr::Request(m) => AppError::Transport(m),
            other => AppError::Transport(other.to_string()),
        }
    }
}
