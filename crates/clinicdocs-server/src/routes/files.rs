//! Signed downloads for the local backend: `/files/{key}?expires=&sig=`. The HMAC is checked in
//! constant time before anything else, then expiry, then that the key still belongs to a live
//! document. Honours single `Range` requests. Each download is audited.

use crate::auth::ClientAddr;
use crate::db::audit::NewAuditEvent;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use clinicdocs_core::media::FileKind;
use clinicdocs_core::names::download_file_name;
use clinicdocs_core::storage_key::key_org;
use serde::Deserialize;
use std::ops::Range;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
pub struct FileQuery {
    /// Unix seconds after which the link stops working.
    pub expires: Option<String>,
    /// Hex HMAC-SHA256 over the key and expiry.
    pub sig: Option<String>,
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` for a file of `size` bytes. `Ok(None)` means
/// "send the whole file" (no header, or a multi-range request, which we answer in full).
pub fn parse_range(value: Option<&str>, size: u64) -> ApiResult<Option<Range<u64>>> {
    let Some(v) = value else { return Ok(None) };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(ApiError::RangeNotSatisfiable { size })?;
    let unsat = ApiError::RangeNotSatisfiable { size };
    let range = if a.is_empty() {
        let n: u64 = b.trim().parse().map_err(|_| ApiError::RangeNotSatisfiable { size })?;
        if n == 0 || size == 0 {
            return Err(unsat);
        }
        size.saturating_sub(n)..size
    } else {
        let start: u64 = a.trim().parse().map_err(|_| ApiError::RangeNotSatisfiable { size })?;
        let end = if b.trim().is_empty() {
            size
        } else {
            b.trim().parse::<u64>().map_err(|_| ApiError::RangeNotSatisfiable { size })?.saturating_add(1).min(size)
        };
        if start >= size || start >= end {
            return Err(unsat);
        }
        start..end
    };
    Ok(Some(range))
}

#[utoipa::path(get, path = "/files/{key}", tag = "files", params(("key" = String, Path, description = "storage key"), FileQuery),
    responses((status = 200, description = "the file"), (status = 206, description = "a byte range"),
        (status = 403, body = clinicdocs_core::api::ErrorBody), (status = 404, body = clinicdocs_core::api::ErrorBody),
        (status = 416, body = clinicdocs_core::api::ErrorBody)))]
pub async fn signed_file(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<FileQuery>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let refused = |detail: &str| NewAuditEvent {
        org_id: key_org(&key).map(|o| o.to_string()),
        action: "download_refused",
        target_type: "object",
        target_id: Some(key.clone()),
        detail: Some(detail.to_string()),
        remote_addr: addr.0.clone(),
        ..Default::default()
    };
    let expires = q.expires.as_deref().and_then(|e| e.parse::<i64>().ok());
    let check = match (expires, q.sig.as_deref()) {
        (Some(e), Some(sig)) => state.storage.verify_local(&key, e, sig, state.now()),
        _ => Err(ApiError::SignatureInvalid),
    };
    if let Err(e) = check {
        state.audit(refused(&format!("{:?}", e.code()))).await?;
        return Err(e);
    }
    let Some(doc) = state.db.document_by_object_key(&key).await? else {
        if state.db.is_profile_key(&key).await? {
            return serve(&state, &key, &headers, "image/jpeg".into(), "inline; filename=\"photo.jpg\"".into()).await;
        }
        state.audit(refused("no live document")).await?;
        return Err(ApiError::NotFound("File"));
    };
    let is_thumb = doc.thumb_key.as_deref() == Some(key.as_str());
    let content_type = if is_thumb { "image/jpeg".to_string() } else { doc.content_type.clone() };
    let ext = FileKind::from_mime(&content_type).map_or("bin", FileKind::ext);
    let disposition = format!(
        "{}; filename=\"{}\"",
        if is_thumb { "inline" } else { "attachment" },
        download_file_name(&doc.title, ext)
    );
    let starts_at_zero = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|r| r.trim_start_matches("bytes=").starts_with("0-"));
    if starts_at_zero {
        state
            .audit(NewAuditEvent {
                org_id: Some(doc.org_id.clone()),
                action: "download",
                target_type: "document",
                target_id: Some(doc.id.clone()),
                detail: Some(if is_thumb { "thumbnail".into() } else { "original".into() }),
                remote_addr: addr.0.clone(),
                ..Default::default()
            })
            .await?;
    }
    serve(&state, &key, &headers, content_type, disposition).await
}

/// Streams an object (or one byte range of it).
async fn serve(
    state: &AppState,
    key: &str,
    headers: &HeaderMap,
    content_type: String,
    disposition: String,
) -> ApiResult<Response> {
    let size = state.storage.size(key).await?;
    let range = parse_range(headers.get(header::RANGE).and_then(|v| v.to_str().ok()), size)?;
    let got = state.storage.get(key, range.clone()).await?;
    let body = Body::from_stream(got.into_stream());
    let mut resp = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, disposition)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "private, no-store")
        .header("x-content-type-options", "nosniff");
    resp = match &range {
        Some(r) => resp
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {}-{}/{size}", r.start, r.end - 1))
            .header(header::CONTENT_LENGTH, r.end - r.start),
        None => resp.status(StatusCode::OK).header(header::CONTENT_LENGTH, size),
    };
    let mut out = resp.body(body).map_err(anyhow::Error::from)?;
    out.headers_mut().insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_rfc_9110() {
        assert_eq!(parse_range(Some("bytes=0-9"), 100).ok().flatten(), Some(0..10));
        assert_eq!(parse_range(Some("bytes=90-"), 100).ok().flatten(), Some(90..100));
        assert_eq!(parse_range(Some("bytes=-10"), 100).ok().flatten(), Some(90..100));
        assert_eq!(parse_range(Some("bytes=50-500"), 100).ok().flatten(), Some(50..100));
        assert!(parse_range(Some("bytes=100-"), 100).is_err());
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100).ok().flatten(), None);
        assert_eq!(parse_range(None, 100).ok().flatten(), None);
    }
}
