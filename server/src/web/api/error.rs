use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_service::ServiceError;
use serde_json::json;

/// API errors: a stable `code`, a human `message`, and the matching status.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthenticated,
    Forbidden,
    NotFound(String),
    Conflict(String),
    Unprocessable(String),
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests(u64),
    Unavailable(String),
    Internal,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send a valid API token as `Authorization: Bearer <token>`".into(),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "the token's role does not allow this".into(),
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.clone()),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is too large".into(),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send JSON with `Content-Type: application/json`".into(),
            ),
            ApiError::TooManyRequests(s) => (
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                format!("try again in {s} seconds"),
            ),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m.clone()),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; see the server log".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        (status, axum::Json(json!({"error": {"code": code, "message": message}}))).into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { field, message } => ApiError::Unprocessable(format!("{field}: {message}")),
            ServiceError::Conflict(m) => ApiError::Conflict(m),
            ServiceError::NotFound => ApiError::NotFound("not found".into()),
            ServiceError::Forbidden => ApiError::Forbidden,
            ServiceError::Unauthenticated => ApiError::Unauthenticated,
            ServiceError::Throttled { retry_after_secs } => ApiError::TooManyRequests(retry_after_secs),
            ServiceError::Unavailable(m) => ApiError::Unavailable(m),
            ServiceError::Internal => ApiError::Internal,
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge
            }
            JsonRejection::JsonDataError(e) => ApiError::Unprocessable(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest(format!("malformed JSON: {}", e.body_text())),
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}
