use portcullis_store::StoreError;
use thiserror::Error;

/// What went wrong, in terms a user can act on. Internal details are logged, never carried.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ServiceError {
    /// Input refused; `field` names the form field it belongs to.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("sign in first")]
    Unauthenticated,
    #[error("too many failed attempts; try again in {retry_after_secs} seconds")]
    Throttled { retry_after_secs: u64 },
    /// A dependency outside Portcullis (DNS, an ACME server) could not be used; says which.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal,
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl ToString) -> Self {
        ServiceError::Invalid {
            field,
            message: message.to_string(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Duplicate(what) => ServiceError::Conflict(format!("{what} already exists")),
            StoreError::Forbidden => ServiceError::Forbidden,
            other => {
                tracing::error!(error = %other, "storage failure");
                ServiceError::Internal
            }
        }
    }
}
