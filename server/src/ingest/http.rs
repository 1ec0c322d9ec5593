//! `POST /tlsrpt` (RFC 8460 §3 HTTPS delivery). The answer comes after the report is committed:
//! 201 stored, 200 already stored, 400 not a report, 413 too large, 415 wrong content type,
//! 422 no registered domain, 429 too many from this client, 503 storage down or the receivers
//! full (retry).

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use portcullis_domain::tlsrpt::Provenance;
use portcullis_service::{Channel, IngestError, Ingested, ReportInput, Reservation};
use serde_json::json;
use std::net::SocketAddr;

use crate::ServerState;

/// Media types senders use (RFC 8460 names the first two; the others are common mislabels).
/// The payload is recognised by its bytes either way.
pub const ACCEPTED_TYPES: &[&str] = &[
    "application/tlsrpt+gzip",
    "application/tlsrpt+json",
    "application/json",
    "application/gzip",
    "application/x-gzip",
    "application/tlsrpt",
];

/// Seconds a sender is asked to wait when the receivers are full.
const BUSY_RETRY_SECS: u64 = 10;

pub async fn receive(State(state): State<ServerState>, req: Request<Body>) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip());
    let client = peer.map(crate::listener::client_key).unwrap_or_else(|| "local".into());
    let provenance = match peer {
        Some(ip) => {
            let tls = req.extensions().get::<crate::listener::TlsFacts>();
            Provenance::https(ip, tls.map(|t| (t.version.as_str(), t.cipher.as_str())))
        }
        None => Provenance::default(),
    };
    let services = &state.app.services;
    if let Err(wait) = services.report_rate_check(&client).await {
        let mut res = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            &format!("too many reports from {client}; try again in {wait} seconds"),
        );
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return res;
    }
    if let Some(refusal) = refuse_content_type(req.headers()) {
        return refusal;
    }
    let max = services.ingest_config().limits.max_compressed;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return too_large(max);
    }
    // Held until the report is stored: the payload is in memory all that time.
    let Some(mut room) = services.reserve_intake(declared.unwrap_or(0)) else {
        return busy();
    };
    let payload = match read_body(req.into_body(), max, &mut room).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => return too_large(max),
        Err(BodyError::NoRoom) => return busy(),
        Err(BodyError::Broken) => {
            return error(
                StatusCode::BAD_REQUEST,
                "broken-body",
                "the request body could not be read",
            )
        }
    };
    let input = ReportInput {
        payload,
        channel: Channel::Https,
        submitter: Some(client),
        hint_domain: None,
        provenance,
    };
    match services.ingest_report(None, input).await {
        Ok(ingested) => stored(&ingested),
        Err(e) => ingest_error(&e),
    }
}

enum BodyError {
    TooLarge,
    NoRoom,
    Broken,
}

/// The body, at most `max` bytes, each chunk charged to `room` before it is kept.
async fn read_body(body: Body, max: usize, room: &mut Reservation) -> Result<Vec<u8>, BodyError> {
    let mut body = body.into_data_stream();
    let mut payload = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        let len = payload.len() + chunk.len();
        if len > max {
            return Err(BodyError::TooLarge);
        }
        if len > room.bytes() && !room.resize(len) {
            return Err(BodyError::NoRoom);
        }
        payload.extend_from_slice(&chunk);
    }
    Ok(payload)
}

fn refuse_content_type(headers: &HeaderMap) -> Option<Response> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match declared {
        Some(t) if ACCEPTED_TYPES.contains(&t.as_str()) => None,
        other => Some(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            &format!(
                "Content-Type {} is not a TLS-RPT report type; send {}",
                other.map(|t| format!("{t:?}")).unwrap_or_else(|| "(none)".into()),
                ACCEPTED_TYPES.join(" or ")
            ),
        )),
    }
}

fn stored(ingested: &Ingested) -> Response {
    let new = ingested.outcome.is_new();
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    let domains: Vec<_> = ingested.outcome.stored.iter().map(|s| &s.domain).collect();
    let differs = ingested.outcome.stored.iter().any(|s| s.differs);
    let body = json!({
        "status": if new { "stored" } else { "duplicate" },
        "organization": ingested.organization,
        "report_id": ingested.report_id,
        "domains": domains,
        "ignored_domains": ingested.outcome.unregistered,
        // A re-send whose content differs from the stored report: kept aside and flagged.
        "differs_from_stored": differs,
    });
    (status, axum::Json(body)).into_response()
}

pub fn ingest_error(e: &IngestError) -> Response {
    let status = match e {
        IngestError::Rejected(r) if r.code.is_size_limit() => StatusCode::PAYLOAD_TOO_LARGE,
        IngestError::Rejected(_) => StatusCode::BAD_REQUEST,
        IngestError::UnknownDomain(_) | IngestError::NoDomain | IngestError::Unstorable => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        IngestError::Forbidden => StatusCode::FORBIDDEN,
        IngestError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut res = error(status, e.code(), &e.to_string());
    if e.is_temporary() {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    res
}

/// Every receiver together holds as much as it may: a sender retries (RFC 8460 §5.3).
fn busy() -> Response {
    let mut res = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        &format!("the server is receiving too many reports at once; try again in {BUSY_RETRY_SECS} seconds"),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECS));
    res
}

fn too_large(max: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        &format!("the report is larger than {max} bytes"),
    )
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({"error": {"code": code, "message": message}}))).into_response()
}
