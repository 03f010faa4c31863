//! Uploads sent again: every upload may carry a client-made key (the `Idempotency-Key` header,
//! or a batch item's `idempotency_key`); the same key with the same file answers the document
//! stored the first time, with another file a conflict.

use crate::auth::Caller;
use crate::db::documents::DocumentRow;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::http::HeaderValue;
use clinicdocs_core::api::UploadResponse;

/// The longest idempotency key, in bytes.
pub const MAX_KEY_LEN: usize = 200;

/// The `Idempotency-Key` header's key, if it was sent.
pub fn idempotency_key(header: Option<&HeaderValue>) -> ApiResult<Option<String>> {
    let Some(v) = header else {
        return Ok(None);
    };
    let s = v.to_str().map_err(|_| ApiError::BadRequest("The Idempotency-Key header must be plain text.".into()))?;
    valid_key(s).map(|k| Some(k.to_string()))
}

/// A key of 1 to [`MAX_KEY_LEN`] visible ASCII characters.
pub fn valid_key(s: &str) -> ApiResult<&str> {
    if s.is_empty() || s.len() > MAX_KEY_LEN || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(format!(
            "An idempotency key must be 1 to {MAX_KEY_LEN} visible ASCII characters."
        )));
    }
    Ok(s)
}

/// The answer to an upload: the document and a signed link to its bytes.
pub async fn upload_response(state: &AppState, row: &DocumentRow) -> ApiResult<UploadResponse> {
    let download_url = state.storage.signed_url(&row.storage_key, state.now(), state.signed_url_ttl).await?;
    Ok(UploadResponse { document: row.doc.clone(), download_url })
}

/// What an earlier upload with the same key means for this one: the document it stored, a
/// conflict when that was another file, or nothing when the key is new.
pub async fn earlier_upload(
    state: &AppState,
    caller: &Caller,
    key: &str,
    sha256: &str,
) -> ApiResult<Option<DocumentRow>> {
    let Some(row) = state.db.documents().by_idempotency_key(caller.org_id(), key).await? else {
        return Ok(None);
    };
    if row.doc.sha256 != sha256 {
        return Err(ApiError::IdempotencyConflict);
    }
    if row.deleted_at.is_some() {
        return Err(ApiError::Conflict("This file was uploaded earlier and has since been deleted.".into()));
    }
    Ok(Some(row))
}

/// The answer to a retry of an upload already stored under `key`, if it is one.
pub async fn replay(state: &AppState, caller: &Caller, key: &str, sha256: &str) -> ApiResult<Option<UploadResponse>> {
    match earlier_upload(state, caller, key, sha256).await? {
        Some(row) => Ok(Some(upload_response(state, &row).await?)),
        None => Ok(None),
    }
}
