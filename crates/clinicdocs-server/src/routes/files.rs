//! `/files/{key}?expires=&sig=`, the local store's signed downloads, over HTTP: the link is
//! checked and audited by `crate::downloads`, then the object (or one byte range) is streamed.

use crate::client_addr::ClientAddr;
use crate::downloads::{self, Delivery};
use crate::error::ApiResult;
use crate::extract::{Params, PathParam};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// Unix seconds after which the link stops working.
    pub expires: Option<String>,
    /// Hex HMAC-SHA256 over the key and expiry.
    pub sig: Option<String>,
}

#[utoipa::path(get, path = "/files/{key}", tag = "files", params(("key" = String, Path, description = "storage key"), FileQuery),
    responses((status = 200, description = "the file"), (status = 206, description = "a byte range"),
        (status = 403, body = clinicdocs_core::api::ErrorBody), (status = 404, body = clinicdocs_core::api::ErrorBody),
        (status = 416, body = clinicdocs_core::api::ErrorBody)))]
pub async fn signed_file(
    State(state): State<AppState>,
    PathParam(key): PathParam<String>,
    Params(q): Params<FileQuery>,
    addr: ClientAddr,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let delivery = downloads::open(&state, &key, q.expires.as_deref(), q.sig.as_deref(), addr.0, range).await?;
    serve(&state, &key, delivery).await
}

/// Streams an object (or one byte range of it).
async fn serve(state: &AppState, key: &str, d: Delivery) -> ApiResult<Response> {
    let (size, range) = (d.size, d.range);
    let got = state.storage.get(key, range.clone()).await?;
    let body = Body::from_stream(got.into_stream());
    let mut resp = Response::builder()
        .header(header::CONTENT_TYPE, d.content_type)
        .header(header::CONTENT_DISPOSITION, d.disposition)
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
