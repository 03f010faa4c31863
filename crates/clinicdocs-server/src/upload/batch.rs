//! A batch upload (`POST /api/v1/documents/batch`): a `manifest` part and one `file` part per
//! entry, all stored or none. Every file is received and checked, so each file's status is
//! known either way; a file whose key was stored by an earlier send of the same batch is not
//! stored again.

use super::check::check;
use super::commit::{check_meta, store_all, Ready, StoreError};
use super::inspector::Incoming;
use super::receive::{drain, multipart_error, read_text, receive, BATCH_SPILL_BYTES};
use super::replay::{earlier_upload, valid_key};
use super::Batched;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::Multipart;
use clinicdocs_core::api::{BatchFileState, BatchFileStatus, BatchItem, BatchResponse, Document};
use clinicdocs_core::limits::{MAX_BATCH_FILES, MAX_MANIFEST_BYTES};

/// Receives, checks and stores a batch; the rest of a refused body is drained.
pub async fn upload(state: &AppState, caller: &Caller, multipart: &mut Multipart) -> ApiResult<Batched> {
    let result = receive_batch(state, caller, multipart).await;
    drain(multipart).await;
    result
}

fn not_stored(error: ApiError, files: Vec<BatchFileStatus>) -> Batched {
    let body = BatchResponse { stored: false, files, error: Some(error.detail()) };
    Batched::NotStored(error, body)
}

async fn receive_batch(state: &AppState, caller: &Caller, multipart: &mut Multipart) -> ApiResult<Batched> {
    caller.require_documents()?;
    let max = caller.limits.max_file_bytes;
    let mut manifest: Option<Vec<BatchItem>> = None;
    let mut files: Vec<ApiResult<Incoming>> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, max))? {
        match field.name().unwrap_or_default() {
            "manifest" => {
                let text = read_text(field, MAX_MANIFEST_BYTES, max).await?;
                manifest = Some(
                    serde_json::from_str(&text)
                        .map_err(|e| ApiError::BadRequest(format!("The batch manifest is not valid: {e}")))?,
                );
            }
            "file" => {
                if files.len() >= MAX_BATCH_FILES {
                    return Err(ApiError::BadRequest(format!("A batch holds at most {MAX_BATCH_FILES} files.")));
                }
                files.push(receive(field, max, &state.spool_dir, BATCH_SPILL_BYTES).await);
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
                    return Ok(BatchFile::Earlier(Box::new(row.doc)));
                }
            }
            let meta = check_meta(state, caller, item).await?;
            let key = item.idempotency_key.clone();
            check(file).await.map(|f| BatchFile::Ready(Box::new(Ready { meta, file: f, idempotency_key: key })))
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
        return Ok(not_stored(ApiError::BatchFailed(msg), statuses));
    }
    if ready.is_empty() {
        // Every file was stored by an earlier send of this batch.
        return Ok(Batched::StoredEarlier(BatchResponse { stored: true, files: statuses, error: None }));
    }
    let sums: Vec<(Option<String>, String)> =
        ready.iter().map(|r| (r.idempotency_key.clone(), r.file.incoming.sha256.clone())).collect();
    let rows = match store_all(state, caller, ready, None).await {
        Ok(rows) => rows,
        Err(StoreError::Api(e)) => return Ok(not_stored(e, statuses)),
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
                return Ok(not_stored(
                    ApiError::Conflict("The batch collided with another upload; try again.".into()),
                    statuses,
                ));
            }
            rows
        }
    };
    for (&i, row) in ready_at.iter().zip(&rows) {
        statuses[i].status = BatchFileState::Stored;
        statuses[i].document = Some(row.doc.clone());
    }
    Ok(Batched::Stored(BatchResponse { stored: true, files: statuses, error: None }))
}

/// A batch file after its checks: ready to store, or stored already under its key.
enum BatchFile {
    Ready(Box<Ready>),
    Earlier(Box<Document>),
}
