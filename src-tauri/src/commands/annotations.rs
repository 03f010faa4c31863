//! Annotations on a document's pages: listing them, and creating, changing and deleting one.
//! Changes carry the version they were based on, so an edit or a delete made on a mark someone
//! else changed meanwhile answers `conflict` instead of overwriting theirs. (The viewer's drawing
//! tools are the next slice of issue 5.)

use crate::error::CommandResult;
use crate::state::AppState;
use clinicdocs_core::api::{Annotation, AnnotationUpdate, NewAnnotation};
use tauri::State;
use uuid::Uuid;

#[tauri::command]
pub async fn list_annotations(state: State<'_, AppState>, document_id: Uuid) -> CommandResult<Vec<Annotation>> {
    state.active().await?.client.annotations(document_id).await
}

#[tauri::command]
pub async fn create_annotation(
    state: State<'_, AppState>,
    document_id: Uuid,
    annotation: NewAnnotation,
) -> CommandResult<Annotation> {
    state.active().await?.client.create_annotation(document_id, &annotation).await
}

#[tauri::command]
pub async fn update_annotation(
    state: State<'_, AppState>,
    id: Uuid,
    update: AnnotationUpdate,
) -> CommandResult<Annotation> {
    state.active().await?.client.update_annotation(id, &update).await
}

#[tauri::command]
pub async fn delete_annotation(state: State<'_, AppState>, id: Uuid, version: i64) -> CommandResult<()> {
    state.active().await?.client.delete_annotation(id, version).await
}
