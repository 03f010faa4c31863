//! Committing checked uploads, all or nothing: store bytes and thumbnails, then one transaction
//! takes the clinic's pool bytes and the visits' slots (conditional updates, so concurrent
//! uploads can never overshoot), writes every row and its audit event. If the transaction
//! cannot commit, the stored bytes are removed.

use super::check::Checked;
use super::spool::Spool;
use crate::auth::Caller;
use crate::db::documents::DocumentRow;
use crate::db::patients::PatientRow;
use crate::db::upload_commit::{CommitConn, CommitOutcome, UploadCommit};
use crate::db::{from_ms, is_unique_violation, ms};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use clinicdocs_core::api::{BatchItem, Document, Visit};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::limits::messages;
use clinicdocs_core::media::FileKind;
use clinicdocs_core::names::{download_file_name, validate_notes, validate_title};
use clinicdocs_core::policy::Action;
use clinicdocs_core::storage_key::{document_key, thumbnail_key};
use clinicdocs_core::Category;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A file's fields after validation against the clinic's data.
#[derive(Debug, Clone)]
pub struct CheckedMeta {
    pub patient: PatientRow,
    pub visit: Option<Visit>,
    pub category: Category,
    pub title: String,
    pub notes: Option<String>,
}

/// The checks of an item that need no query: its title and notes, and whether the caller's
/// role may upload its category. Returns the cleaned title and notes.
pub async fn check_fields(state: &AppState, caller: &Caller, item: &BatchItem) -> ApiResult<(String, Option<String>)> {
    let title = validate_title(&item.title)?;
    let notes = item.notes.as_deref().map(validate_notes).transpose()?.filter(|n| !n.is_empty());
    caller
        .check(
            state,
            Action::Upload,
            Some(item.category),
            true,
            (AuditTarget::Patient, Some(item.patient_id.to_string())),
        )
        .await?;
    Ok((title, notes))
}

/// Validates a file's fields: names, the role's right to upload the category, and that the
/// patient and visit are this clinic's (another clinic's id answers as a missing one).
pub async fn check_meta(state: &AppState, caller: &Caller, item: &BatchItem) -> ApiResult<CheckedMeta> {
    let (title, notes) = check_fields(state, caller, item).await?;
    let org = caller.org_id();
    let Some(patient) = state.db.patients().get(org, item.patient_id).await? else {
        return Err(caller
            .refuse(state, AuditTarget::Patient, Some(item.patient_id.to_string()), ApiError::NotFound("Patient"))
            .await);
    };
    let visit = match item.encounter_id {
        None => None,
        Some(e) => match state.db.patients().visit(org, e).await? {
            Some(v) if v.patient_id == patient.patient.id => Some(v),
            _ => {
                return Err(caller
                    .refuse(state, AuditTarget::Visit, Some(e.to_string()), ApiError::NotFound("Visit"))
                    .await)
            }
        },
    };
    Ok(CheckedMeta { patient, visit, category: item.category, title, notes })
}

/// One file ready to store.
pub struct Ready {
    pub meta: CheckedMeta,
    pub file: Checked,
    pub idempotency_key: Option<String>,
}

/// Why a store failed: a plain error, or a replayed idempotency key found at insert time.
pub enum StoreError {
    Api(ApiError),
    DuplicateKey,
}

impl From<ApiError> for StoreError {
    fn from(e: ApiError) -> Self {
        StoreError::Api(e)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Api(e.into())
    }
}

fn pool_full(caller: &Caller, used: i64, total: i64) -> ApiError {
    ApiError::QuotaExceeded(messages::pool_full(used as u64, caller.limits.pool_bytes, total as u64))
}

fn visit_full(caller: &Caller) -> ApiError {
    ApiError::VisitLimit(messages::visit_full(caller.limits.max_files_per_visit))
}

/// How many new files each visit gets.
fn files_per_visit<'a>(metas: impl Iterator<Item = &'a CheckedMeta>) -> BTreeMap<Uuid, i64> {
    let mut per_visit: BTreeMap<Uuid, i64> = BTreeMap::new();
    for e in metas.filter_map(|m| m.visit.as_ref()) {
        *per_visit.entry(e.id).or_default() += 1;
    }
    per_visit
}

/// Refuses early what clearly cannot fit — `total` bytes in the pool as it was when the
/// request began, these files in their visits — before any byte is stored. The commit checks
/// again, race-free.
pub fn precheck<'a>(
    caller: &Caller,
    total: i64,
    metas: impl Iterator<Item = &'a CheckedMeta> + Clone,
) -> ApiResult<()> {
    let used = caller.org.used_bytes;
    if used + total > caller.limits.pool_bytes as i64 {
        return Err(pool_full(caller, used, total));
    }
    let per_visit = files_per_visit(metas.clone());
    for e in metas.filter_map(|m| m.visit.as_ref()) {
        if e.document_count + per_visit[&e.id] > i64::from(caller.limits.max_files_per_visit) {
            return Err(visit_full(caller));
        }
    }
    Ok(())
}

/// Stores every file or none. Bytes go to the store first (unless they were stored while they
/// arrived; `ready` is a connection readied for the commit meanwhile); then one transaction takes the pool bytes and visit slots (conditional updates),
/// inserts the rows and their audit events. If that transaction cannot commit, the stored
/// bytes are removed again.
pub async fn store_all(
    state: &AppState,
    caller: &Caller,
    items: Vec<Ready>,
    ready: Option<CommitConn>,
) -> Result<Vec<DocumentRow>, StoreError> {
    let org = caller.org_id();
    let limits = caller.limits;
    let total: i64 = items.iter().map(|r| r.file.incoming.size as i64).sum();
    if let Err(e) = precheck(caller, total, items.iter().map(|r| &r.meta)) {
        let streamed: Vec<String> = items.iter().filter_map(|r| r.file.incoming.spool.stored_key()).collect();
        state.storage.delete_all(&streamed).await;
        return Err(e.into());
    }
    let per_visit = files_per_visit(items.iter().map(|r| &r.meta));

    // At the database's precision, so the answer matches what a later read gives.
    let now = from_ms(ms(state.now()));
    // Objects already stored while they arrived are this request's to remove on failure too.
    let mut stored: Vec<String> = items.iter().filter_map(|r| r.file.incoming.spool.stored_key()).collect();
    let mut rows = Vec::with_capacity(items.len());
    for r in &items {
        match store_one(state, caller, r, now, &mut stored).await {
            Ok(row) => rows.push(row),
            Err(e) => {
                state.storage.delete_all(&stored).await;
                return Err(e.into());
            }
        }
    }

    let events: Vec<_> = rows
        .iter()
        .map(|r| {
            let d = &r.doc;
            let mut ev = caller.event(AuditAction::DocumentUploaded, AuditTarget::Document, Some(d.id.to_string()));
            ev.detail = Some(format!("{} ({}, {} bytes)", d.title, d.category.as_str(), d.file_size));
            ev
        })
        .collect();
    let visits: Vec<(Uuid, i64)> = per_visit.into_iter().collect();
    let commit = UploadCommit {
        org,
        total_bytes: total,
        pool_bytes: limits.pool_bytes as i64,
        visits: &visits,
        max_per_visit: i64::from(limits.max_files_per_visit),
        rows: &rows,
        events: &events,
    };
    let mut outcome = state.db.commit_upload(&commit, now, ready).await;
    if let (Ok(CommitOutcome::Committed), Some(fault)) = (&outcome, crate::faults::after_commit()) {
        outcome = Err(fault);
    }
    let failure = match outcome {
        Ok(CommitOutcome::Committed) => None,
        Ok(CommitOutcome::PoolFull) => {
            Some(StoreError::Api(pool_full(caller, state.db.orgs().used_bytes(org).await?, total)))
        }
        Ok(CommitOutcome::VisitFull) => Some(StoreError::Api(visit_full(caller))),
        Err(e) if is_unique_violation(&e) => Some(StoreError::DuplicateKey),
        // The database refused the statement: nothing was committed.
        Err(e @ sqlx::Error::Database(_)) => Some(StoreError::Api(e.into())),
        // The connection failed with the commit on its way: it may have committed. The bytes
        // of a row that did are never deleted; unknown ones are left to the orphan scan.
        Err(e) => {
            let first = rows.first().map(|r| r.doc.id);
            let committed = match first {
                Some(id) => state.db.documents().get(org, id).await,
                None => Ok(None),
            };
            match committed {
                Ok(Some(_)) => {
                    tracing::warn!(error = %e, "an upload's commit lost its answer, but it committed");
                    nudge_pdf_thumbnails(state, &rows);
                    return Ok(rows);
                }
                Ok(None) => Some(StoreError::Api(e.into())),
                Err(check) => {
                    tracing::warn!(error = %check, keys = ?stored, "could not tell whether an upload committed; its objects are left for the orphan scan");
                    return Err(StoreError::Api(e.into()));
                }
            }
        }
    };
    if let Some(f) = failure {
        state.storage.delete_all(&stored).await;
        return Err(f);
    }
    nudge_pdf_thumbnails(state, &rows);
    Ok(rows)
}

/// PDFs' tiles are drawn after the answer (`pdf_thumbnails`): tell the worker some are waiting.
fn nudge_pdf_thumbnails(state: &AppState, rows: &[DocumentRow]) {
    if rows.iter().any(|r| FileKind::from_mime(&r.doc.content_type) == Some(FileKind::Pdf)) {
        state.pdf_thumbnails.notify_one();
    }
}

/// The `Content-Disposition` stored with a document's object.
pub fn disposition(title: &str, kind: FileKind) -> String {
    format!("attachment; filename=\"{}\"", download_file_name(title, kind.ext()))
}

/// Stores one file's bytes (and thumbnail) under a fresh key, unless they were stored while
/// they arrived; records what it stored. Returns the row to commit.
async fn store_one(
    state: &AppState,
    caller: &Caller,
    r: &Ready,
    now: chrono::DateTime<chrono::Utc>,
    stored: &mut Vec<String>,
) -> Result<DocumentRow, ApiError> {
    let patient = r.meta.patient.patient.id;
    let (id, key) = match &r.file.incoming.spool {
        Spool::Stored { id, key, .. } => (*id, key.clone()),
        spool => {
            let id = super::ids::next_document_id();
            let key = document_key(caller.org_id(), patient, now, id, r.file.kind.ext());
            let disposition = disposition(&r.meta.title, r.file.kind);
            spool.store(&state.storage, &key, r.file.kind.mime(), Some(&disposition)).await?;
            stored.push(key.clone());
            (id, key)
        }
    };
    let mut thumb_key = None;
    if let Some(t) = &r.file.thumbnail {
        let tk = thumbnail_key(&key);
        state.storage.put_bytes(&tk, t.clone(), "image/jpeg", None).await?;
        stored.push(tk.clone());
        thumb_key = Some(tk);
    }
    let doc = Document {
        id,
        org_id: caller.org_id(),
        patient_id: patient,
        encounter_id: r.meta.visit.as_ref().map(|e| e.id),
        title: r.meta.title.clone(),
        category: r.meta.category,
        content_type: r.file.kind.mime().to_string(),
        file_size: r.file.incoming.size as i64,
        sha256: r.file.incoming.sha256.clone(),
        has_thumbnail: thumb_key.is_some(),
        page_count: r.file.page_count,
        notes: r.meta.notes.clone(),
        uploaded_by: caller.user_id(),
        uploaded_by_name: caller.user().name.clone(),
        created_at: now,
        updated_at: now,
    };
    Ok(DocumentRow { doc, storage_key: key, thumb_key, idempotency_key: r.idempotency_key.clone(), deleted_at: None })
}
