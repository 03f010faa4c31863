//! Storing checked uploads, all or nothing: reserve the clinic's pool and the visits' slots
//! atomically (so concurrent uploads can never overshoot), store bytes and thumbnails, write
//! every row in one transaction, audit. Any failure gives back what was reserved and removes
//! what was stored.

use crate::auth::Caller;
use crate::db::documents::{DocumentRow, NewDocument};
use crate::db::is_unique_violation;
use crate::db::people::{EncounterRow, PatientRow};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::upload::Checked;
use clinicdocs_core::api::BatchItem;
use clinicdocs_core::limits::messages;
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
    pub encounter: Option<EncounterRow>,
    pub category: Category,
    pub title: String,
    pub notes: Option<String>,
}

/// Validates a file's fields: names, the role's right to upload the category, and that the
/// patient and visit are this clinic's (another clinic's id answers as a missing one).
pub async fn check_meta(state: &AppState, caller: &Caller, item: &BatchItem) -> ApiResult<CheckedMeta> {
    let title = validate_title(&item.title)?;
    let notes = item.notes.as_deref().map(validate_notes).transpose()?.filter(|n| !n.is_empty());
    caller
        .check(state, Action::Upload, Some(item.category), true, ("patient", Some(item.patient_id.to_string())))
        .await?;
    let org = caller.org_id();
    let Some(patient) = state.db.patient(org, &item.patient_id.to_string()).await? else {
        return Err(caller
            .refuse(state, "patient", Some(item.patient_id.to_string()), ApiError::NotFound("Patient"))
            .await);
    };
    let encounter = match item.encounter_id {
        None => None,
        Some(e) => match state.db.encounter(org, &e.to_string()).await? {
            Some(row) if row.patient_id == patient.id => Some(row),
            _ => return Err(caller.refuse(state, "encounter", Some(e.to_string()), ApiError::NotFound("Visit")).await),
        },
    };
    Ok(CheckedMeta { patient, encounter, category: item.category, title, notes })
}

/// One file ready to store.
pub struct Ready {
    pub meta: CheckedMeta,
    pub file: Checked,
    pub idempotency_key: Option<String>,
}

/// Undoes reservations and stored objects when a step fails.
struct Rollback<'a> {
    state: &'a AppState,
    org: String,
    bytes: i64,
    visits: Vec<(String, i64)>,
    keys: Vec<String>,
}

impl Rollback<'_> {
    async fn run(self) {
        self.state.storage.delete_all(&self.keys).await;
        for (e, n) in &self.visits {
            if let Err(err) = self.state.db.release_visit_slots(&self.org, e, *n).await {
                tracing::error!(error = %err, "could not release visit slots");
            }
        }
        if self.bytes > 0 {
            if let Err(err) = self.state.db.release_bytes(&self.org, self.bytes).await {
                tracing::error!(error = %err, "could not release reserved bytes");
            }
        }
    }
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

/// Stores every file or none.
pub async fn store_all(state: &AppState, caller: &Caller, items: Vec<Ready>) -> Result<Vec<DocumentRow>, StoreError> {
    let org = caller.org_id().to_string();
    let limits = caller.limits;
    let total: i64 = items.iter().map(|r| r.file.incoming.size as i64).sum();
    let mut rb = Rollback { state, org: org.clone(), bytes: 0, visits: Vec::new(), keys: Vec::new() };

    if !state.db.reserve_bytes(&org, total, limits.pool_bytes as i64).await.map_err(ApiError::from)? {
        let used = state.db.org(&org).await.map_err(ApiError::from)?.map_or(0, |o| o.used_bytes);
        return Err(ApiError::QuotaExceeded(messages::pool_full(used as u64, limits.pool_bytes, total as u64)).into());
    }
    rb.bytes = total;

    let mut per_visit: BTreeMap<String, i64> = BTreeMap::new();
    for r in &items {
        if let Some(e) = &r.meta.encounter {
            *per_visit.entry(e.id.clone()).or_default() += 1;
        }
    }
    for (e, n) in per_visit {
        match state.db.reserve_visit_slots(&org, &e, n, i64::from(limits.max_files_per_visit)).await {
            Ok(true) => rb.visits.push((e, n)),
            Ok(false) => {
                rb.run().await;
                return Err(ApiError::VisitLimit(messages::visit_full(limits.max_files_per_visit)).into());
            }
            Err(err) => {
                rb.run().await;
                return Err(ApiError::from(err).into());
            }
        }
    }

    let now = state.now();
    let org_uuid = Uuid::parse_str(&org).map_err(anyhow::Error::from).map_err(ApiError::from)?;
    let mut rows = Vec::with_capacity(items.len());
    for r in &items {
        let id = Uuid::new_v4();
        let patient = Uuid::parse_str(&r.meta.patient.id).map_err(anyhow::Error::from).map_err(ApiError::from)?;
        let key = document_key(org_uuid, patient, now, id, r.file.kind.ext());
        let disposition = format!("attachment; filename=\"{}\"", download_file_name(&r.meta.title, r.file.kind.ext()));
        let stored =
            state.storage.put_spool(&key, &r.file.incoming.spool, r.file.kind.mime(), Some(&disposition)).await;
        if let Err(e) = stored {
            rb.run().await;
            return Err(e.into());
        }
        rb.keys.push(key.clone());
        let mut thumb_key = None;
        if let Some(t) = &r.file.thumbnail {
            let tk = thumbnail_key(&key);
            if let Err(e) = state.storage.put_bytes(&tk, t.clone(), "image/jpeg").await {
                rb.run().await;
                return Err(e.into());
            }
            rb.keys.push(tk.clone());
            thumb_key = Some(tk);
        }
        rows.push(NewDocument {
            id: id.to_string(),
            org_id: org.clone(),
            patient_id: r.meta.patient.id.clone(),
            encounter_id: r.meta.encounter.as_ref().map(|e| e.id.clone()),
            title: r.meta.title.clone(),
            category: r.meta.category,
            content_type: r.file.kind.mime().to_string(),
            storage_key: key,
            thumb_key,
            file_size: r.file.incoming.size as i64,
            sha256: r.file.incoming.sha256.clone(),
            page_count: r.file.page_count,
            notes: r.meta.notes.clone(),
            uploaded_by: caller.user_id().to_string(),
            idempotency_key: r.idempotency_key.clone(),
            created_at: now,
        });
    }

    if let Err(e) = state.db.insert_documents(&rows).await {
        rb.run().await;
        return Err(if is_unique_violation(&e) { StoreError::DuplicateKey } else { ApiError::from(e).into() });
    }

    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut ev = caller.event("upload", "document", Some(r.id.clone()));
        ev.detail = Some(format!("{} ({}, {} bytes)", r.title, r.category.as_str(), r.file_size));
        state.audit(ev).await?;
        out.push(r.into_row(caller.user.name.clone()));
    }
    Ok(out)
}
