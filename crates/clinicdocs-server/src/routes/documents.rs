//! Documents: list, upload (single and all-or-nothing batch), read, edit, soft delete, and
//! signed download URLs.

use crate::auth::{Caller, PendingCaller};
use crate::db::documents::{CommitConn, Cursor, CursorValue, DocumentEdit, DocumentRow, ListFilter};
use crate::error::{ApiError, ApiResult};
use crate::intake::{self, check_meta, CheckedMeta, Ready, StoreError};
use crate::state::AppState;
use crate::upload::{self, multipart_error, Incoming, Placement};
use axum::extract::multipart::Field;
use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use clinicdocs_core::api::{
    BatchFileState, BatchFileStatus, BatchItem, BatchResponse, Document, DocumentPage, DocumentPatch, DocumentQuery,
    ErrorBody, SignedUrl, SortKey, UploadResponse, UrlQuery, UrlVariant,
};
use clinicdocs_core::limits::{messages, MAX_BATCH_FILES, MAX_MANIFEST_BYTES, MAX_TEXT_FIELD_BYTES};
use clinicdocs_core::media::FileKind;
use clinicdocs_core::names::{validate_notes, validate_title};
use clinicdocs_core::policy::{visible_categories, Action};
use clinicdocs_core::storage_key::{document_key, trash_key};
use clinicdocs_core::Category;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::oneshot;
use utoipa::ToSchema;
use uuid::Uuid;

/// Loads a live document the caller may see. A document of another clinic, a deleted one and
/// one the caller's role may not see all answer 404 (and are audited as refused).
pub async fn visible_document(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<DocumentRow> {
    caller.require_documents()?;
    let row = state.db.document(caller.org_id(), &id.to_string()).await?;
    match row {
        Some(d) if caller.may(Action::View, Some(d.category()), d.uploaded_by == caller.user_id()) => Ok(d),
        _ => Err(caller.refuse(state, "document", Some(id.to_string()), ApiError::NotFound("Document")).await),
    }
}

fn parse_time(s: &str, end_of_day: bool) -> ApiResult<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc).timestamp_millis());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(format!("'{s}' is not a date; use YYYY-MM-DD.")))?;
    let d = if end_of_day { d.succ_opt().unwrap_or(d) } else { d };
    Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default())
}

fn encode_cursor(c: &Cursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(s: &str) -> ApiResult<Cursor> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ApiError::BadRequest("The page cursor is not valid; start from the first page.".into()))
}

/// List document metadata, newest first by default.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", security(("bearer" = [])), params(DocumentQuery),
    responses((status = 200, body = DocumentPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_documents(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    Query(q): Query<DocumentQuery>,
) -> ApiResult<Response> {
    caller.require_documents()?;
    // The same page asked again while none of the clinic's documents changed: from memory.
    let key = format!("{}|{}|{}", caller.user_id(), caller.role().as_str(), raw.unwrap_or_default());
    let version = caller.org.doc_version;
    if let Some(body) = state.list_cache.get(&key, version) {
        return Ok(json_body(body));
    }
    let org = caller.org_id().to_string();
    let (visible_all, visible_own) = visible_categories(caller.role());
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let sort = q.sort.unwrap_or_default();
    let filter = ListFilter {
        org,
        user: caller.user_id().to_string(),
        visible_all,
        visible_own,
        patient: q.patient_id.map(|p| p.to_string()),
        category: q.category,
        encounter: q.encounter_id.map(|e| e.to_string()),
        from: q.from.as_deref().map(|s| parse_time(s, false)).transpose()?,
        to: q.to.as_deref().map(|s| parse_time(s, true)).transpose()?,
        sort,
        order: q.order.unwrap_or(if sort == SortKey::Date {
            clinicdocs_core::api::SortOrder::Desc
        } else {
            clinicdocs_core::api::SortOrder::Asc
        }),
        limit,
        after: q.cursor.as_deref().map(decode_cursor).transpose()?,
    };
    let rows = state.db.list_documents(&filter).await?;
    // Rows are filtered by clinic, so a non-empty page proves the patient and visit are ours;
    // an empty one must tell "none yet" from another clinic's (or no) patient.
    if rows.is_empty() {
        if let Some(p) = q.patient_id {
            if state.db.patient(&filter.org, &p.to_string()).await?.is_none() {
                return Err(caller.refuse(&state, "patient", Some(p.to_string()), ApiError::NotFound("Patient")).await);
            }
        }
        if let Some(e) = q.encounter_id {
            if state.db.encounter(&filter.org, &e.to_string()).await?.is_none() {
                return Err(caller.refuse(&state, "encounter", Some(e.to_string()), ApiError::NotFound("Visit")).await);
            }
        }
    }
    let next_cursor = (rows.len() as i64 == limit).then(|| rows.last()).flatten().map(|last| {
        let v = match sort {
            SortKey::Date => CursorValue::Int(last.created_at),
            SortKey::Name => CursorValue::Text(last.title.to_lowercase()),
            SortKey::Uploader => CursorValue::Text(last.uploaded_by_name.clone()),
        };
        encode_cursor(&Cursor { v, id: last.id.clone() })
    });
    let items = rows.iter().map(DocumentRow::to_api).collect::<anyhow::Result<Vec<_>>>()?;
    let body =
        bytes::Bytes::from(serde_json::to_vec(&DocumentPage { items, next_cursor }).map_err(anyhow::Error::from)?);
    state.list_cache.put(key, version, body.clone());
    Ok(json_body(body))
}

fn json_body(body: bytes::Bytes) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
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

#[derive(Default, Clone, PartialEq)]
struct TextFields {
    patient_id: Option<String>,
    category: Option<String>,
    title: Option<String>,
    notes: Option<String>,
    encounter_id: Option<String>,
}

fn to_item(f: TextFields) -> ApiResult<BatchItem> {
    let missing = |what: &str| ApiError::BadRequest(format!("The upload needs a {what}."));
    let bad = |what: &str| ApiError::BadRequest(format!("The {what} is not valid."));
    let patient_id = Uuid::parse_str(f.patient_id.as_deref().ok_or_else(|| missing("patient"))?.trim())
        .map_err(|_| bad("patient id"))?;
    let category_s = f.category.ok_or_else(|| missing("document type"))?;
    let category = Category::parse(category_s.trim()).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "'{}' is not a document type. Use one of: {}.",
            category_s.chars().take(40).collect::<String>(),
            Category::ALL.map(|c| c.as_str()).join(", ")
        ))
    })?;
    let encounter_id = match f.encounter_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Uuid::parse_str(s).map_err(|_| bad("visit id"))?),
    };
    Ok(BatchItem {
        patient_id,
        category,
        title: f.title.ok_or_else(|| missing("name"))?,
        notes: f.notes,
        encounter_id,
        idempotency_key: None,
    })
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let s = v.to_str().map_err(|_| ApiError::BadRequest("The Idempotency-Key header must be plain text.".into()))?;
    valid_key(s).map(|k| Some(k.to_string()))
}

fn valid_key(s: &str) -> ApiResult<&str> {
    if s.is_empty() || s.len() > 200 || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::BadRequest("An idempotency key must be 1 to 200 visible ASCII characters.".into()));
    }
    Ok(s)
}

async fn upload_response(state: &AppState, row: &DocumentRow) -> ApiResult<UploadResponse> {
    let download_url = state.storage.signed_url(&row.storage_key, state.now(), state.signed_url_ttl).await?;
    Ok(UploadResponse { document: row.to_api()?, download_url })
}

/// What an earlier upload with the same key means for this one: the document it stored, a
/// conflict when that was another file, or nothing when the key is new.
async fn earlier_upload(state: &AppState, caller: &Caller, key: &str, sha256: &str) -> ApiResult<Option<DocumentRow>> {
    let Some(row) = state.db.document_by_idempotency_key(caller.org_id(), key).await? else {
        return Ok(None);
    };
    if row.sha256 != sha256 {
        return Err(ApiError::IdempotencyConflict);
    }
    if row.deleted_at.is_some() {
        return Err(ApiError::Conflict("This file was uploaded earlier and has since been deleted.".into()));
    }
    Ok(Some(row))
}

async fn replay(state: &AppState, caller: &Caller, key: &str, sha256: &str) -> ApiResult<Option<UploadResponse>> {
    match earlier_upload(state, caller, key, sha256).await? {
        Some(row) => Ok(Some(upload_response(state, &row).await?)),
        None => Ok(None),
    }
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
    mut multipart: Multipart,
) -> ApiResult<Response> {
    let mut streamed = None;
    let result = receive_single(&state, caller, &headers, &mut multipart, &mut streamed).await;
    // An unknown caller's body is not read any further.
    if !matches!(result, Err(ApiError::Unauthorized)) {
        upload::drain(&mut multipart).await;
    }
    // An object stored while it arrived stays only if its document was created.
    if let Some(key) = streamed {
        if !matches!(&result, Ok(r) if r.status() == StatusCode::CREATED) {
            state.storage.delete_all(&[key]).await;
        }
    }
    result
}

/// Abandons a file being stored while it arrived, because the upload was refused with `e`.
async fn abandon(r: upload::Receiving<'_>, e: ApiError) -> ApiError {
    r.abort().await;
    e
}

/// The fields sent before the file, when they allow storing it while it arrives: a declared
/// size, every field the upload needs, and a store that can stream.
fn streams(state: &AppState, fields: &TextFields, size: Option<u64>) -> Option<u64> {
    let size = size.filter(|&n| n > 0)?;
    let complete = fields.patient_id.is_some() && fields.category.is_some() && fields.title.is_some();
    (complete && state.storage.can_stream()).then_some(size)
}

/// What a single upload's form has brought so far.
#[derive(Default)]
struct Received {
    fields: TextFields,
    size: Option<u64>,
    file: Option<Incoming>,
    /// Fields checked before a file stored while it arrived; they may not change after it.
    checked: Option<(TextFields, CheckedMeta)>,
    /// The key was found unused before the file was stored.
    fresh_key: bool,
    /// A connection readied for the commit while the store finished the file.
    commit_conn: Option<CommitConn>,
}

impl Received {
    /// Keeps a text field (at most [`MAX_TEXT_FIELD_BYTES`]); unknown names are ignored.
    async fn take_text(&mut self, field: Field<'_>, max: u64) -> ApiResult<()> {
        let name = field.name().unwrap_or_default().to_string();
        let text = upload::read_text(field, MAX_TEXT_FIELD_BYTES, max).await?;
        let f = &mut self.fields;
        match name.as_str() {
            "patient_id" => f.patient_id = Some(text),
            "category" => f.category = Some(text),
            "title" => f.title = Some(text),
            "notes" => f.notes = Some(text),
            "encounter_id" => f.encounter_id = Some(text),
            "size" => {
                let n = text.trim().parse().map_err(|_| {
                    ApiError::BadRequest("The size must be the file's byte count, a whole number.".into())
                })?;
                self.size = Some(n);
            }
            _ => {}
        }
        Ok(())
    }
}

async fn receive_single(
    state: &AppState,
    caller: PendingCaller,
    headers: &HeaderMap,
    multipart: &mut Multipart,
    streamed: &mut Option<String>,
) -> ApiResult<Response> {
    let (tx, rx) = oneshot::channel();
    let lookup = async move {
        let _ = tx.send(caller.resolve(state).await);
    };
    let (_, response) = tokio::join!(lookup, receive_form(state, rx, headers, multipart, streamed));
    response
}

/// Receives an upload's form while `caller` is being looked up.
async fn receive_form(
    state: &AppState,
    mut caller: oneshot::Receiver<ApiResult<Caller>>,
    headers: &HeaderMap,
    multipart: &mut Multipart,
    streamed: &mut Option<String>,
) -> ApiResult<Response> {
    let (mut form, mut known) = (Received::default(), None);
    // The fields sent before the file are read while the session is looked up. Nothing is
    // stored or queried for the caller before it is known, and an unknown caller hears only that.
    let bound = state.professional.max_file_bytes;
    let first = loop {
        if known.is_none() {
            known = caller.try_recv().ok();
        }
        if matches!(known, Some(Err(_))) {
            break Ok(None);
        }
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() != Some("file") => {
                if let Err(e) = form.take_text(field, bound).await {
                    break Err(e);
                }
            }
            Ok(next) => break Ok(next),
            Err(e) => break Err(multipart_error(e, bound)),
        }
    };
    let caller = &match known {
        Some(known) => known,
        None => caller.await.map_err(anyhow::Error::from)?,
    }?;
    caller.require_documents()?;
    let key = idempotency_key(headers)?;
    let max = caller.limits.max_file_bytes;
    if let Some(field) = first? {
        if let Some(replayed) = take_file(state, caller, key.as_deref(), field, &mut form, streamed).await? {
            return Ok(replayed);
        }
    }
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, max))? {
        if field.name() != Some("file") {
            form.take_text(field, max).await?;
        } else if let Some(replayed) = take_file(state, caller, key.as_deref(), field, &mut form, streamed).await? {
            return Ok(replayed);
        }
    }
    let Received { fields, file, checked, fresh_key, commit_conn, .. } = form;
    let incoming = file.ok_or_else(|| ApiError::BadRequest("The upload has no file.".into()))?;
    // (A key found new before a streamed file was stored needs no second look: a twin upload
    // racing it is caught by the key's unique index when the row is inserted.)
    if let Some(k) = key.as_ref().filter(|_| !fresh_key) {
        if let Some(r) = replay(state, caller, k, &incoming.sha256).await? {
            return Ok((StatusCode::OK, Json(r)).into_response());
        }
    }
    let meta = match checked {
        Some((before, _)) if before != fields => {
            return Err(ApiError::BadRequest(
                "When the upload announces its size, send every field before the file.".into(),
            ))
        }
        Some((_, meta)) => meta,
        None => check_meta(state, caller, &to_item(fields)?).await?,
    };
    let file = upload::check(incoming).await?;
    let sha = file.incoming.sha256.clone();
    let ready = vec![Ready { meta, file, idempotency_key: key.clone() }];
    match intake::store_all(state, caller, ready, commit_conn).await {
        Ok(rows) => {
            let row = rows.into_iter().next().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no row stored")))?;
            Ok((StatusCode::CREATED, Json(upload_response(state, &row).await?)).into_response())
        }
        Err(StoreError::Api(e)) => Err(e),
        Err(StoreError::DuplicateKey) => match &key {
            Some(k) => match replay(state, caller, k, &sha).await? {
                Some(r) => Ok((StatusCode::OK, Json(r)).into_response()),
                None => Err(ApiError::Conflict("The upload collided with another; try again.".into())),
            },
            None => Err(ApiError::Conflict("The upload collided with another; try again.".into())),
        },
    }
}

/// Receives the form's file: stored while it arrives when the fields before it allow (see
/// [`streams`]), else spooled for the checks after the form. Returns the answer to a retry
/// of an upload already stored under the same key.
async fn take_file(
    state: &AppState,
    caller: &Caller,
    key: Option<&str>,
    field: Field<'_>,
    form: &mut Received,
    streamed: &mut Option<String>,
) -> ApiResult<Option<Response>> {
    let max = caller.limits.max_file_bytes;
    if form.file.is_some() {
        return Err(ApiError::BadRequest("Send one file per upload, or use the batch upload.".into()));
    }
    let Some(declared) = streams(state, &form.fields, form.size) else {
        form.file = Some(upload::receive(field, max, &state.spool_dir).await?);
        return Ok(None);
    };
    if declared > max {
        return Err(ApiError::FileTooLarge(messages::file_too_large(Some(declared), max)));
    }
    let item = to_item(form.fields.clone())?;
    // What can refuse the upload without a query is asked before anything is stored.
    let (title, _) = intake::check_fields(state, caller, &item).await?;
    intake::precheck(caller, declared as i64, std::iter::empty())?;
    let org = Uuid::parse_str(caller.org_id()).map_err(anyhow::Error::from)?;
    let (now, patient) = (state.now(), item.patient_id);
    let place = |kind: FileKind| {
        let id = Uuid::new_v4();
        let key = document_key(org, patient, now, id, kind.ext());
        *streamed = Some(key.clone());
        Placement { id, key, disposition: intake::disposition(&title, kind) }
    };
    // The patient, the visit and an earlier upload under the same key are looked up while the
    // file arrives and the store takes it (waiting for them left the store idle for ~0.7 ms of
    // a 1 MB upload); if the upload is refused, the object is abandoned, or removed if it was
    // already complete.
    let mut field = field;
    let earlier = async {
        match key {
            Some(k) => Ok(state.db.document_by_idempotency_key(caller.org_id(), k).await?.is_some()),
            None => Ok::<_, ApiError>(false),
        }
    };
    let looked_up = AtomicBool::new(false);
    let lookups = async {
        let found = tokio::join!(check_meta(state, caller, &item), earlier);
        looked_up.store(true, Ordering::Relaxed);
        found
    };
    // The store's branch is polled first: starting the lookups' queries costs ~0.1 ms that
    // would otherwise delay the PUT.
    let store = async {
        let first = field.chunk().await.map_err(|e| multipart_error(e, max))?;
        let receiving = upload::begin_into_store(field, first, declared, max, &state.storage, place).await?;
        // The store keeps taking bytes while the lookups run; a refusal stops it.
        receiving.store_until(|| looked_up.load(Ordering::Relaxed)).await
    };
    let (begun, (meta, earlier)) = tokio::join!(store, lookups);
    let (meta, receiving) = match (meta.and_then(|m| earlier.map(|e| (m, e))), begun) {
        (Ok((meta, false)), Ok(r)) => match intake::precheck(caller, declared as i64, std::iter::once(&meta)) {
            Ok(()) => (meta, r),
            Err(e) => return Err(abandon(r, e).await),
        },
        // A retry of a stored upload: nothing more is stored; it is compared by hash.
        (Ok((_, true)), Ok(r)) => {
            let incoming = r.discard().await?;
            return match replay(state, caller, key.unwrap_or_default(), &incoming.sha256).await? {
                Some(r) => Ok(Some((StatusCode::OK, Json(r)).into_response())),
                None => Err(ApiError::Conflict("The upload collided with another; try again.".into())),
            };
        }
        (Err(e), Ok(r)) => return Err(abandon(r, e).await),
        // The fields' refusal says more than the file's.
        (Err(e), Err(_)) | (Ok(_), Err(e)) => return Err(e),
    };
    form.fresh_key = true;
    // The commit's connection is readied while the store finishes (not while an image is
    // decoded for its thumbnail: that holds it too long).
    let decodes = receiving.decodes_image();
    let with_visit = meta.encounter.is_some();
    let tail = async move {
        if decodes {
            None
        } else {
            state.db.commit_conn(with_visit).await
        }
    };
    let (stored, ready) = receiving.finish_with(tail).await;
    form.file = Some(stored?);
    form.commit_conn = ready.flatten();
    form.checked = Some((form.fields.clone(), meta));
    Ok(None)
}

/// Upload several documents, all or nothing. The response gives each file's status either way.
#[utoipa::path(post, path = "/api/v1/documents/batch", tag = "documents", security(("bearer" = [])),
    request_body(content = BatchForm, content_type = "multipart/form-data"),
    responses((status = 201, body = BatchResponse), (status = 422, description = "a file was refused; nothing stored", body = BatchResponse),
        (status = 413, description = "the batch does not fit the clinic's pool; nothing stored", body = BatchResponse)))]
pub async fn upload_batch(State(state): State<AppState>, caller: Caller, mut multipart: Multipart) -> Response {
    let result = receive_batch(&state, &caller, &mut multipart).await;
    upload::drain(&mut multipart).await;
    match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn batch_failure(status: StatusCode, error: ApiError, files: Vec<BatchFileStatus>) -> Response {
    (status, Json(BatchResponse { stored: false, files, error: Some(error.detail()) })).into_response()
}

async fn receive_batch(state: &AppState, caller: &Caller, multipart: &mut Multipart) -> ApiResult<Response> {
    caller.require_documents()?;
    let max = caller.limits.max_file_bytes;
    let mut manifest: Option<Vec<BatchItem>> = None;
    let mut files: Vec<ApiResult<upload::Incoming>> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, max))? {
        match field.name().unwrap_or_default() {
            "manifest" => {
                let text = upload::read_text(field, MAX_MANIFEST_BYTES, max).await?;
                manifest = Some(
                    serde_json::from_str(&text)
                        .map_err(|e| ApiError::BadRequest(format!("The batch manifest is not valid: {e}")))?,
                );
            }
            "file" => {
                if files.len() >= MAX_BATCH_FILES {
                    return Err(ApiError::BadRequest(format!("A batch holds at most {MAX_BATCH_FILES} files.")));
                }
                files.push(upload::receive(field, max, &state.spool_dir).await);
            }
            _ => {}
        }
    }
    let manifest = manifest.ok_or_else(|| ApiError::BadRequest("The batch needs a manifest part.".into()))?;
    if manifest.len() != files.len() || files.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "The manifest lists {} files but {} were sent.",
            manifest.len(),
            files.len()
        )));
    }

    let mut keys = std::collections::HashSet::new();
    for item in &manifest {
        if let Some(k) = &item.idempotency_key {
            if !keys.insert(valid_key(k)?) {
                return Err(ApiError::BadRequest("Two files of the batch have the same idempotency key.".into()));
            }
        }
    }

    // Check every file; keep going after a failure so that each file's status is known. A file
    // whose key was stored before (the answer to an earlier send was lost) is not stored again.
    let mut ready = Vec::new();
    let mut ready_at = Vec::new();
    let mut statuses = Vec::new();
    let mut failed = false;
    for (i, (item, file)) in manifest.iter().zip(files).enumerate() {
        let outcome = async {
            let file = file?;
            if let Some(k) = &item.idempotency_key {
                if let Some(row) = earlier_upload(state, caller, k, &file.sha256).await? {
                    return Ok(BatchFile::Earlier(Box::new(row.to_api()?)));
                }
            }
            let meta = check_meta(state, caller, item).await?;
            let key = item.idempotency_key.clone();
            upload::check(file).await.map(|f| BatchFile::Ready(Box::new(Ready { meta, file: f, idempotency_key: key })))
        }
        .await;
        let (status, error, document) = match outcome {
            Ok(BatchFile::Ready(r)) => {
                ready.push(*r);
                ready_at.push(i);
                (BatchFileState::NotStored, None, None)
            }
            Ok(BatchFile::Earlier(d)) => (BatchFileState::Stored, None, Some(*d)),
            Err(e) => {
                failed = true;
                (BatchFileState::Refused, Some(e.detail()), None)
            }
        };
        statuses.push(BatchFileStatus { index: i, title: Some(item.title.clone()), status, error, document });
    }
    if failed {
        let n = statuses.iter().filter(|s| s.status == BatchFileState::Refused).count();
        let msg = format!(
            "{n} of {} files were refused, so none was stored. Fix or remove them and send the batch again.",
            statuses.len()
        );
        return Ok(batch_failure(StatusCode::UNPROCESSABLE_ENTITY, ApiError::BatchFailed(msg), statuses));
    }
    if ready.is_empty() {
        // Every file was stored by an earlier send of this batch.
        return Ok((StatusCode::OK, Json(BatchResponse { stored: true, files: statuses, error: None })).into_response());
    }
    let sums: Vec<(Option<String>, String)> =
        ready.iter().map(|r| (r.idempotency_key.clone(), r.file.incoming.sha256.clone())).collect();
    let rows = match intake::store_all(state, caller, ready, None).await {
        Ok(rows) => rows,
        Err(StoreError::Api(e)) => return Ok(batch_failure(e.status(), e, statuses)),
        Err(StoreError::DuplicateKey) => {
            // The same batch arrived twice at once and the other copy committed first.
            let mut rows = Vec::new();
            for (key, sha) in &sums {
                match key {
                    Some(k) => match earlier_upload(state, caller, k, sha).await? {
                        Some(row) => rows.push(row),
                        None => break,
                    },
                    None => break,
                }
            }
            if rows.len() != sums.len() {
                return Ok(batch_failure(
                    StatusCode::CONFLICT,
                    ApiError::Conflict("The batch collided with another upload; try again.".into()),
                    statuses,
                ));
            }
            rows
        }
    };
    for (&i, row) in ready_at.iter().zip(&rows) {
        statuses[i].status = BatchFileState::Stored;
        statuses[i].document = Some(row.to_api()?);
    }
    Ok((StatusCode::CREATED, Json(BatchResponse { stored: true, files: statuses, error: None })).into_response())
}

/// A batch file after its checks: ready to store, or stored already under its key.
enum BatchFile {
    Ready(Box<Ready>),
    Earlier(Box<Document>),
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Document), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Document>> {
    Ok(Json(visible_document(&state, &caller, id).await?.to_api()?))
}

/// Rename, recategorise, relink to another visit (or none), change notes.
#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DocumentPatch,
    responses((status = 200, body = Document), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn patch_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(patch): Json<DocumentPatch>,
) -> ApiResult<Json<Document>> {
    let doc = visible_document(&state, &caller, id).await?;
    let own = doc.uploaded_by == caller.user_id();
    let target = ("document", Some(id.to_string()));
    caller.check(&state, Action::Edit, Some(doc.category()), own, target.clone()).await?;
    let title = match &patch.title {
        Some(t) => validate_title(t)?,
        None => doc.title.clone(),
    };
    let category = patch.category.unwrap_or(doc.category());
    if category != doc.category() {
        caller.check(&state, Action::Upload, Some(category), true, target.clone()).await?;
    }
    let notes = match &patch.notes {
        Some(n) => Some(validate_notes(n)?).filter(|n| !n.is_empty()),
        None => doc.notes.clone(),
    };
    let org = caller.org_id().to_string();
    let encounter = match patch.encounter_id {
        None => doc.encounter_id.clone(),
        Some(None) => None,
        Some(Some(e)) => match state.db.encounter(&org, &e.to_string()).await? {
            Some(row) if row.patient_id == doc.patient_id => Some(row.id),
            _ => {
                return Err(caller.refuse(&state, "encounter", Some(e.to_string()), ApiError::NotFound("Visit")).await)
            }
        },
    };
    let relinked = encounter != doc.encounter_id;
    if relinked {
        if let Some(e) = &encounter {
            let max = i64::from(caller.limits.max_files_per_visit);
            if !state.db.reserve_visit_slots(&org, e, 1, max).await? {
                return Err(ApiError::VisitLimit(messages::visit_full(caller.limits.max_files_per_visit)));
            }
        }
    }
    let edit = DocumentEdit { title: &title, category, encounter: encounter.as_deref(), notes: notes.as_deref() };
    let n = state.db.update_document(&org, &doc.id, &edit, state.now()).await;
    match n {
        Ok(1) => {}
        other => {
            if let (true, Some(e)) = (relinked, &encounter) {
                state.db.release_visit_slots(&org, e, 1).await?;
            }
            other?;
            return Err(ApiError::NotFound("Document"));
        }
    }
    if relinked {
        if let Some(old) = &doc.encounter_id {
            state.db.release_visit_slots(&org, old, 1).await?;
        }
    }
    let mut ev = caller.event("document_updated", "document", Some(doc.id.clone()));
    ev.detail = Some(format!("title={title} category={category} encounter={}", encounter.as_deref().unwrap_or("-")));
    state.audit(ev).await?;
    let row = state.db.document(&org, &doc.id).await?.ok_or(ApiError::NotFound("Document"))?;
    Ok(Json(row.to_api()?))
}

/// Soft delete (admin). The bytes move to the clinic's trash prefix, so earlier links stop working.
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204, description = "deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let doc = visible_document(&state, &caller, id).await?;
    caller
        .check(
            &state,
            Action::Delete,
            Some(doc.category()),
            doc.uploaded_by == caller.user_id(),
            ("document", Some(id.to_string())),
        )
        .await?;
    if !state.db.soft_delete_document(&doc, caller.user_id(), state.now()).await? {
        return Err(ApiError::NotFound("Document"));
    }
    for key in std::iter::once(&doc.storage_key).chain(doc.thumb_key.as_ref()) {
        if let Some(t) = trash_key(key) {
            if let Err(e) = state.storage.rename(key, &t).await {
                tracing::warn!(key = %key, error = %e, "could not move a deleted document's object to the trash");
            }
        }
    }
    let mut ev = caller.event("delete", "document", Some(doc.id.clone()));
    ev.detail = Some(doc.title.clone());
    state.audit(ev).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A signed download URL, valid for five minutes.
#[utoipa::path(get, path = "/api/v1/documents/{id}/url", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path), UrlQuery), responses((status = 200, body = SignedUrl), (status = 404, body = ErrorBody)))]
pub async fn document_url(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<UrlQuery>,
) -> ApiResult<Json<SignedUrl>> {
    let doc = visible_document(&state, &caller, id).await?;
    let variant = q.variant.unwrap_or_default();
    let key = match variant {
        UrlVariant::Original => doc.storage_key.clone(),
        UrlVariant::Thumbnail => doc.thumb_key.clone().ok_or(ApiError::NotFound("Thumbnail"))?,
    };
    let url = state.storage.signed_url(&key, state.now(), state.signed_url_ttl).await?;
    let mut ev = caller.event("url_issued", "document", Some(doc.id.clone()));
    ev.detail = Some(format!("{variant:?} until {}", url.expires_at.to_rfc3339()).to_lowercase());
    state.audit(ev).await?;
    Ok(Json(url))
}
