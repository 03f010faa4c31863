//! One document's upload (`POST /api/v1/documents`): the form's text fields are read while
//! the caller's session is looked up; the file is stored while it arrives when the client
//! announced its size and sent every field first (the fields, patient, visit and key are
//! checked meanwhile), else received into a spool and checked after the form; then committed
//! with its audit event. A retry under the same key answers the document stored the first
//! time. An object stored while it arrived is removed unless its document was created.

use super::check::check;
use super::commit::{check_fields, check_meta, disposition, precheck, store_all, CheckedMeta, Ready, StoreError};
use super::inspector::Incoming;
use super::receive::{drain, multipart_error, read_text, receive};
use super::replay::{idempotency_key, replay, upload_response};
use super::streamed::{begin_into_store, Placement, Receiving};
use super::Uploaded;
use crate::auth::{Caller, PendingCaller};
use crate::db::upload_commit::CommitConn;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::storage::PART_BYTES;
use axum::extract::multipart::Field;
use axum::extract::Multipart;
use axum::http::HeaderValue;
use clinicdocs_core::api::{BatchItem, UploadResponse};
use clinicdocs_core::limits::{messages, MAX_TEXT_FIELD_BYTES};
use clinicdocs_core::media::FileKind;
use clinicdocs_core::storage_key::document_key;
use clinicdocs_core::Category;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::oneshot;
use uuid::Uuid;

/// Receives and stores one upload. `key_header` is the request's `Idempotency-Key`, read once
/// the caller is known (an unknown caller hears only 401, and its body is not read further).
pub async fn upload(
    state: &AppState,
    caller: PendingCaller,
    key_header: Option<&HeaderValue>,
    multipart: &mut Multipart,
) -> ApiResult<Uploaded> {
    let mut streamed = None;
    let result = receive_single(state, caller, key_header, multipart, &mut streamed).await;
    if !matches!(result, Err(ApiError::Unauthorized)) {
        drain(multipart).await;
    }
    // An object stored while it arrived stays only if its document was created — which a
    // failure after the commit (building the answer) does not undo: a row that holds the key
    // keeps it, and when that cannot be told the object is left to the orphan scan.
    if let Some(key) = streamed {
        if !matches!(&result, Ok(Uploaded::Created(_))) {
            match state.db.documents().by_object_key(&key).await {
                Ok(None) => state.storage.delete_all(&[key]).await,
                Ok(Some(_)) => {}
                Err(e) => {
                    tracing::warn!(%key, error = %e, "could not tell whether an upload committed; its object is left")
                }
            }
        }
    }
    result
}

fn collided() -> ApiError {
    ApiError::Conflict("The upload collided with another; try again.".into())
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

/// Abandons a file being stored while it arrived, because the upload was refused with `e`.
async fn abandon(r: Receiving<'_>, e: ApiError) -> ApiError {
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
        let text = read_text(field, MAX_TEXT_FIELD_BYTES, max).await?;
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
    key_header: Option<&HeaderValue>,
    multipart: &mut Multipart,
    streamed: &mut Option<String>,
) -> ApiResult<Uploaded> {
    let (tx, rx) = oneshot::channel();
    let lookup = async move {
        let _ = tx.send(caller.resolve(state).await);
    };
    let (_, uploaded) = tokio::join!(lookup, receive_form(state, rx, key_header, multipart, streamed));
    uploaded
}

/// Receives an upload's form while `caller` is being looked up.
async fn receive_form(
    state: &AppState,
    mut caller: oneshot::Receiver<ApiResult<Caller>>,
    key_header: Option<&HeaderValue>,
    multipart: &mut Multipart,
    streamed: &mut Option<String>,
) -> ApiResult<Uploaded> {
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
    let key = idempotency_key(key_header)?;
    let max = caller.limits.max_file_bytes;
    if let Some(field) = first? {
        if let Some(replayed) = take_file(state, caller, key.as_deref(), field, &mut form, streamed).await? {
            return Ok(Uploaded::Replayed(replayed));
        }
    }
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, max))? {
        if field.name() != Some("file") {
            form.take_text(field, max).await?;
        } else if let Some(replayed) = take_file(state, caller, key.as_deref(), field, &mut form, streamed).await? {
            return Ok(Uploaded::Replayed(replayed));
        }
    }
    let Received { fields, file, checked, fresh_key, commit_conn, .. } = form;
    let incoming = file.ok_or_else(|| ApiError::BadRequest("The upload has no file.".into()))?;
    // (A key found new before a streamed file was stored needs no second look: a twin upload
    // racing it is caught by the key's unique index when the row is inserted.)
    if let Some(k) = key.as_ref().filter(|_| !fresh_key) {
        if let Some(r) = replay(state, caller, k, &incoming.sha256).await? {
            return Ok(Uploaded::Replayed(r));
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
    let file = check(incoming).await?;
    let sha = file.incoming.sha256.clone();
    let ready = vec![Ready { meta, file, idempotency_key: key.clone() }];
    match store_all(state, caller, ready, commit_conn).await {
        Ok(rows) => {
            let row = rows.into_iter().next().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no row stored")))?;
            Ok(Uploaded::Created(upload_response(state, &row).await?))
        }
        Err(StoreError::Api(e)) => Err(e),
        Err(StoreError::DuplicateKey) => match &key {
            Some(k) => match replay(state, caller, k, &sha).await? {
                Some(r) => Ok(Uploaded::Replayed(r)),
                None => Err(collided()),
            },
            None => Err(collided()),
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
) -> ApiResult<Option<UploadResponse>> {
    let max = caller.limits.max_file_bytes;
    if form.file.is_some() {
        return Err(ApiError::BadRequest("Send one file per upload, or use the batch upload.".into()));
    }
    let Some(declared) = streams(state, &form.fields, form.size) else {
        form.file = Some(receive(field, max, &state.spool_dir, PART_BYTES).await?);
        return Ok(None);
    };
    if declared > max {
        return Err(ApiError::FileTooLarge(messages::file_too_large(Some(declared), max)));
    }
    let item = to_item(form.fields.clone())?;
    // What can refuse the upload without a query is asked before anything is stored.
    let (title, _) = check_fields(state, caller, &item).await?;
    precheck(caller, declared as i64, std::iter::empty())?;
    let org = caller.org_id();
    let (now, patient) = (state.now(), item.patient_id);
    let place = |kind: FileKind| {
        let id = super::ids::next_document_id();
        let key = document_key(org, patient, now, id, kind.ext());
        *streamed = Some(key.clone());
        Placement { id, key, disposition: disposition(&title, kind) }
    };
    // The patient, the visit and an earlier upload under the same key are looked up while the
    // file arrives and the store takes it (waiting for them left the store idle for ~0.7 ms of
    // a 1 MB upload); if the upload is refused, the object is abandoned, or removed if it was
    // already complete.
    let mut field = field;
    let earlier = async {
        match key {
            Some(k) => Ok(state.db.documents().by_idempotency_key(caller.org_id(), k).await?.is_some()),
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
        let receiving = begin_into_store(field, first, declared, max, &state.storage, place).await?;
        // The store keeps taking bytes while the lookups run; a refusal stops it.
        receiving.store_until(|| looked_up.load(Ordering::Relaxed)).await
    };
    let (begun, (meta, earlier)) = tokio::join!(store, lookups);
    let (meta, receiving) = match (meta.and_then(|m| earlier.map(|e| (m, e))), begun) {
        (Ok((meta, false)), Ok(r)) => match precheck(caller, declared as i64, std::iter::once(&meta)) {
            Ok(()) => (meta, r),
            Err(e) => return Err(abandon(r, e).await),
        },
        // A retry of a stored upload: nothing more is stored; it is compared by hash.
        (Ok((_, true)), Ok(r)) => {
            let incoming = r.discard().await?;
            return match replay(state, caller, key.unwrap_or_default(), &incoming.sha256).await? {
                Some(r) => Ok(Some(r)),
                None => Err(collided()),
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
    let with_visit = meta.visit.is_some();
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
