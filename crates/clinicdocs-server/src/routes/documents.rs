//! Documents over HTTP: list, upload (single and all-or-nothing batch), read, edit, soft
//! delete, and signed download links. Each handler parses, calls the document rules
//! (`crate::documents`) or the upload (`crate::upload`), and answers.

use crate::auth::{Caller, PendingCaller};
use crate::documents::{self, visible_document};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Form, Params, PathParam};
use crate::state::AppState;
use crate::upload::{self, Batched, Uploaded};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clinicdocs_core::api::{
    BatchItem, BatchResponse, Document, DocumentPage, DocumentPatch, DocumentQuery, ErrorBody, SignedUrl,
    UploadResponse, UrlQuery,
};
use clinicdocs_core::Category;
use utoipa::ToSchema;
use uuid::Uuid;

/// List document metadata, newest first by default.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", security(("bearer" = [])), params(DocumentQuery),
    responses((status = 200, body = DocumentPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_documents(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<DocumentQuery>,
) -> ApiResult<Response> {
    let body = documents::listing::page(&state, &caller, &q).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The multipart form of a single upload (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    patient_id: Uuid,
    category: Category,
    title: String,
    notes: Option<String>,
    encounter_id: Option<Uuid>,
    /// The file's byte count. With every field sent before the file, the server stores the
    /// file while it arrives instead of after (faster); a file of another length is refused.
    size: Option<u64>,
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// The multipart form of a batch upload: `manifest` (JSON array of items) and one `file` part per item, in order.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BatchForm {
    manifest: Vec<BatchItem>,
    #[schema(format = Binary, value_type = Vec<String>)]
    file: Vec<Vec<u8>>,
}

/// Upload one document. The same `Idempotency-Key` with the same file returns the same document (200).
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "client-generated key; a retry returns the same document")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = UploadResponse), (status = 200, description = "replay of an earlier upload", body = UploadResponse),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_document(
    State(state): State<AppState>,
    caller: PendingCaller,
    headers: HeaderMap,
    Form(mut multipart): Form,
) -> ApiResult<Response> {
    let key = headers.get("idempotency-key");
    Ok(match upload::single::upload(&state, caller, key, &mut multipart).await {
        Ok(Uploaded::Created(r)) => (StatusCode::CREATED, Json(r)).into_response(),
        Ok(Uploaded::Replayed(r)) => (StatusCode::OK, Json(r)).into_response(),
        // An unknown caller's body is left unread, so the connection cannot carry another
        // request: say so, or a client reusing it would find it closed under its next request.
        Err(e @ ApiError::Unauthorized) => ([(header::CONNECTION, "close")], e).into_response(),
        Err(e) => e.into_response(),
    })
}

/// Upload several documents, all or nothing. The response gives each file's status either way.
#[utoipa::path(post, path = "/api/v1/documents/batch", tag = "documents", security(("bearer" = [])),
    request_body(content = BatchForm, content_type = "multipart/form-data"),
    responses((status = 201, body = BatchResponse), (status = 200, description = "the same batch sent again with its keys: nothing stored twice", body = BatchResponse), (status = 422, description = "a file was refused; nothing stored", body = BatchResponse),
        (status = 413, description = "the batch does not fit the clinic's pool; nothing stored", body = BatchResponse)))]
pub async fn upload_batch(
    State(state): State<AppState>,
    caller: Caller,
    Form(mut multipart): Form,
) -> ApiResult<(StatusCode, Json<BatchResponse>)> {
    Ok(match upload::batch::upload(&state, &caller, &mut multipart).await? {
        Batched::Stored(r) => (StatusCode::CREATED, Json(r)),
        Batched::StoredEarlier(r) => (StatusCode::OK, Json(r)),
        Batched::NotStored(e, r) => (e.status(), Json(r)),
    })
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Document), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<Json<Document>> {
    Ok(Json(visible_document(&state, &caller, id).await?.doc))
}

/// Rename, recategorise, relink to another visit (or none), change notes.
#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DocumentPatch,
    responses((status = 200, body = Document), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn patch_document(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    Body(patch): Body<DocumentPatch>,
) -> ApiResult<Json<Document>> {
    Ok(Json(documents::edit::edit(&state, &caller, id, &patch).await?))
}

/// Soft delete (admin). The bytes move to the clinic's trash prefix, so earlier links stop working.
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204, description = "deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_document(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<StatusCode> {
    documents::removal::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A signed download URL, valid for five minutes.
#[utoipa::path(get, path = "/api/v1/documents/{id}/url", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path), UrlQuery), responses((status = 200, body = SignedUrl), (status = 404, body = ErrorBody)))]
pub async fn document_url(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    Params(q): Params<UrlQuery>,
) -> ApiResult<Json<SignedUrl>> {
    Ok(Json(documents::links::link(&state, &caller, id, q.variant.unwrap_or_default()).await?))
}
