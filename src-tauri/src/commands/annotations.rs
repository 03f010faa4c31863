//! Annotations on a document's pages: listing them (with this user's changes still waiting to
//! be sent), and creating, changing and deleting one. Changes carry the version they were based
//! on, so an edit or a delete made on a mark someone else changed meanwhile answers `conflict`
//! instead of overwriting theirs. Without network a change waits in the durable queue
//! (`queue::mark_sync`) and the answer says `queued`; the worker sends it later and tells the
//! window with `marks-synced`.

use crate::error::{CommandError, CommandResult};
use crate::media::scale::{image_scale as image_scale_of, ImageScale};
use crate::media::source;
use crate::queue::mark_sync::{Edit, MarkAt, SavedMark};
use crate::queue::marks::MarkChange;
use crate::queue::runner::now_ms;
use crate::state::AppState;
use crate::window::changed;
use clinicdocs_core::api::{Annotation, AnnotationUpdate, ErrorCode, NewAnnotation};
use clinicdocs_core::media::FileKind;
use tauri::{AppHandle, State};
use uuid::Uuid;

#[tauri::command]
pub async fn list_annotations(state: State<'_, AppState>, document_id: Uuid) -> CommandResult<Vec<Annotation>> {
    let session = state.active().await?;
    Ok(state.marks(&session).list(document_id, chrono::Utc::now()).await?)
}

async fn save(
    app: &AppHandle,
    state: &AppState,
    document_id: Uuid,
    page_number: i64,
    id: Uuid,
    edit: Edit,
) -> CommandResult<SavedMark> {
    let session = state.active().await?;
    let title = state.documents.get(document_id).map(|d| d.title);
    let at = MarkAt { document: document_id, title: title.as_deref(), page: page_number };
    let saved = state.marks(&session).save(at, id, edit, now_ms()).await?;
    if saved.queued {
        state.queue_wake.notify_one();
        changed(app).await;
    }
    Ok(saved)
}

/// Creates a mark with the window's own id for it (a fresh UUID), so a create sent again
/// stores it once.
#[tauri::command]
pub async fn create_annotation(
    app: AppHandle,
    state: State<'_, AppState>,
    document_id: Uuid,
    annotation: NewAnnotation,
) -> CommandResult<SavedMark> {
    let id = annotation.id.ok_or_else(|| CommandError::api(ErrorCode::BadRequest, "A new mark needs its id."))?;
    let page = annotation.page_number;
    save(&app, &state, document_id, page, id, Edit::Create(annotation)).await
}

#[tauri::command]
pub async fn update_annotation(
    app: AppHandle,
    state: State<'_, AppState>,
    document_id: Uuid,
    page_number: i64,
    id: Uuid,
    update: AnnotationUpdate,
) -> CommandResult<SavedMark> {
    save(&app, &state, document_id, page_number, id, Edit::Update(update)).await
}

#[tauri::command]
pub async fn delete_annotation(
    app: AppHandle,
    state: State<'_, AppState>,
    document_id: Uuid,
    page_number: i64,
    id: Uuid,
    version: i64,
) -> CommandResult<SavedMark> {
    save(&app, &state, document_id, page_number, id, Edit::Delete { version }).await
}

/// What lengths on a document's picture are measured in (its own pixels and, when the file
/// states it, its pixel spacing); `None` for a PDF or what is not a picture.
#[tauri::command]
pub async fn image_scale(state: State<'_, AppState>, id: Uuid) -> CommandResult<Option<ImageScale>> {
    let src = state.media().await;
    let doc = source::document(&src, id).await?;
    let Some(kind) = FileKind::from_mime(&doc.content_type).filter(|k| k.is_decodable_image() || *k == FileKind::Dicom)
    else {
        return Ok(None);
    };
    let bytes = source::original(&src, &doc).await?;
    tokio::task::spawn_blocking(move || image_scale_of(&bytes, kind))
        .await
        .map_err(|e| CommandError::local(crate::error::LocalCode::FileAccess, e.to_string()))
}

/// This user's mark changes not yet on the server, and refused ones.
#[tauri::command]
pub async fn mark_changes(state: State<'_, AppState>) -> CommandResult<Vec<MarkChange>> {
    let session = state.active().await?;
    Ok(state.queue.mark_changes(&session.server(), session.user_id()).await?)
}

/// Forgets a refused mark change once the doctor has read why.
#[tauri::command]
pub async fn discard_mark_change(app: AppHandle, state: State<'_, AppState>, annotation_id: Uuid) -> CommandResult<()> {
    if !state.queue.discard_mark_change(annotation_id).await? {
        return Err(CommandError::api(ErrorCode::Conflict, "Only a refused mark change can be discarded."));
    }
    changed(&app).await;
    Ok(())
}
