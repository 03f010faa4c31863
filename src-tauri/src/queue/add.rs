//! Handing the upload form's file to the queue: the title and notes checked as the server
//! will, the file's size against the clinic's limit, then copied in durably. The same form
//! sent twice (its key) is queued once.

use super::runner::now_ms;
use super::store::{HandOff, Queue, QueueError, QueueItem};
use crate::error::CommandError;
use crate::session::Session;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::limits::messages;
use clinicdocs_core::names::{validate_notes, validate_title};
use clinicdocs_core::Category;
use serde::Deserialize;
use std::path::PathBuf;
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UploadRequest {
    pub path: String,
    pub patient_id: Uuid,
    pub category: Category,
    pub title: String,
    pub notes: Option<String>,
    pub encounter_id: Option<Uuid>,
    /// Made by the form when it opened: sending the same form twice stores one document.
    pub idempotency_key: String,
}

/// The form's title and notes as the server will accept them, or why not.
pub fn title_and_notes(request: &UploadRequest) -> Result<(String, Option<String>), QueueError> {
    let name = |e: clinicdocs_core::names::NameError| QueueError::invalid(ErrorCode::InvalidName, e.to_string());
    let title = validate_title(&request.title).map_err(name)?;
    let notes = match request.notes.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(validate_notes(n).map_err(name)?),
        None => None,
    };
    Ok((title, notes))
}

/// Copies the form's file into the queue and returns once it is safely on disk.
pub async fn add_upload(queue: &Queue, session: &Session, request: &UploadRequest) -> Result<QueueItem, QueueError> {
    if let Some(already) = queue.by_key(&request.idempotency_key).await? {
        return Ok(already); // the same form sent twice
    }
    let (title, notes) = title_and_notes(request)?;
    let path = PathBuf::from(&request.path);
    let size = tokio::fs::metadata(&path).await.map_err(|e| CommandError::file(&path, &e))?.len();
    let max = session.limits().max_file_bytes;
    if size > max {
        return Err(QueueError::invalid(ErrorCode::FileTooLarge, messages::file_too_large(Some(size), max)));
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "document".into());
    let to = HandOff {
        server_url: session.server(),
        user_id: session.user_id(),
        patient_id: request.patient_id,
        encounter_id: request.encounter_id,
    };
    let item = to.item(request.category, title, notes, file_name, Some(request.idempotency_key.clone()), None);
    queue.enqueue(&path, item, now_ms()).await
}
