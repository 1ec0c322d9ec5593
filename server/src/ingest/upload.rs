//! The dashboard's report upload (`POST /reports/upload/files`, a plain multipart form): files
//! are read under per-file and per-upload limits, every report is attributed only to the
//! uploader's organisation, and the per-file results come back as a flash on the upload page.

use app::dto::{Flash, UploadLine, UploadOutcome, UploadReport};
use app::ssr::RequestInfo;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portcullis_service::{file_items, Channel, FileItem};

use crate::ServerState;

pub const MAX_FILES: usize = 100;
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

struct Upload {
    csrf: String,
    org: String,
    files: Vec<(String, Result<Vec<u8>, String>)>,
}

pub async fn upload(State(state): State<ServerState>, req: Request<Body>) -> Response {
    let Some(info) = req.extensions().get::<RequestInfo>().cloned() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "request context missing").into_response();
    };
    let Some(user) = info.user.clone() else {
        return Redirect::to("/login?next=/reports/upload").into_response();
    };
    if crate::web::middleware::cross_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "cross-origin form posts are refused").into_response();
    }
    let per_file = state.app.services.ingest_config().limits.max_compressed;
    let upload = match read_upload(req, &state, per_file).await {
        Ok(upload) => upload,
        Err(message) => return back(&state, &info, "", Flash::Notice(message)).await,
    };
    if !app::ssr::csrf_matches(&info, &upload.csrf) {
        return (
            StatusCode::FORBIDDEN,
            "the form has expired; reload the page and try again",
        )
            .into_response();
    }
    let access = match state.app.services.org_access(&user, &upload.org).await {
        Ok(access) => access,
        Err(e) => return back(&state, &info, "", Flash::Notice(format!("Upload refused: {e}."))).await,
    };
    if upload.files.is_empty() {
        return back(
            &state,
            &info,
            &upload.org,
            Flash::Notice("No file was chosen: pick one or more report files.".into()),
        )
        .await;
    }
    let mut items: Vec<FileItem> = Vec::new();
    for (name, bytes) in upload.files {
        match bytes {
            Ok(bytes) => items.extend(file_items(&name, Some(&name), bytes, Channel::Upload)),
            Err(e) => items.push(FileItem {
                label: name,
                input: Err(e),
            }),
        }
    }
    let mut report = UploadReport::default();
    for (file, result) in state.app.services.ingest_items(Some(&access), items).await {
        let (outcome, detail) = match result {
            Ok(ingested) => {
                let detail = super::describe(&ingested, "not in this organisation");
                if ingested.outcome.is_new() {
                    report.stored += 1;
                    (UploadOutcome::Stored, detail)
                } else {
                    report.duplicates += 1;
                    (UploadOutcome::Duplicate, detail)
                }
            }
            Err(e) => {
                report.failed += 1;
                (UploadOutcome::Failed, e)
            }
        };
        report.lines.push(UploadLine { file, outcome, detail });
    }
    back(&state, &info, access.org_slug(), Flash::Uploaded(report)).await
}

async fn back(state: &ServerState, info: &RequestInfo, org: &str, flash: Flash) -> Response {
    app::ssr::flash(&state.app, info, flash).await;
    let target = if org.is_empty() {
        "/reports/upload".to_string()
    } else {
        format!("/reports/upload?org={org}")
    };
    Redirect::to(&target).into_response()
}

async fn read_upload(req: Request<Body>, state: &ServerState, per_file: usize) -> Result<Upload, String> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        return Err("The upload must be sent as a multipart form.".into());
    }
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|e| format!("The upload could not be read: {e}."))?;
    let mut upload = Upload {
        csrf: String::new(),
        org: String::new(),
        files: Vec::new(),
    };
    let mut total = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(format!("The upload could not be read: {e}.")),
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "csrf" | "org" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| format!("The upload could not be read: {e}."))?;
                if name == "csrf" {
                    upload.csrf = text
                } else {
                    upload.org = text
                }
            }
            "files" => {
                let file = field.file_name().unwrap_or("").to_string();
                let mut field = field;
                let mut bytes = Vec::new();
                let mut too_big = false;
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| format!("The upload could not be read: {e}."))?
                {
                    total += chunk.len();
                    if total > MAX_UPLOAD_BYTES {
                        return Err(format!(
                            "The upload is larger than {} MiB; send fewer files at once.",
                            MAX_UPLOAD_BYTES >> 20
                        ));
                    }
                    if bytes.len() + chunk.len() > per_file {
                        too_big = true;
                    } else if !too_big {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                // A browser sends an empty, unnamed part when no file was chosen.
                if file.is_empty() && bytes.is_empty() {
                    continue;
                }
                if upload.files.len() >= MAX_FILES {
                    return Err(format!("At most {MAX_FILES} files per upload."));
                }
                let file = if file.is_empty() {
                    format!("file {}", upload.files.len() + 1)
                } else {
                    file
                };
                let content = if too_big {
                    Err(format!("larger than {per_file} bytes"))
                } else {
                    Ok(bytes)
                };
                upload.files.push((file, content));
            }
            _ => {}
        }
    }
    Ok(upload)
}
