//! The commands over `crate::document_list`.

use crate::document_list::{DocumentFilter, DocumentItem};
use crate::error::CommandResult;
use crate::state::AppState;
use clinicdocs_core::api::{DocumentPatch, StorageReport, StorageUsage};
use tauri::State;
use uuid::Uuid;

#[tauri::command]
pub async fn list_documents(state: State<'_, AppState>, filter: DocumentFilter) -> CommandResult<Vec<DocumentItem>> {
    crate::document_list::list_documents(&state, filter).await
}

#[tauri::command]
pub async fn storage_usage(state: State<'_, AppState>) -> CommandResult<StorageUsage> {
    crate::document_list::storage_usage(&state).await
}

/// What fills the clinic's pool, by type and by patient (admins).
#[tauri::command]
pub async fn storage_report(state: State<'_, AppState>) -> CommandResult<StorageReport> {
    crate::document_list::storage_report(&state).await
}

/// Rename, change type, relink to another visit (or none), change notes.
#[tauri::command]
pub async fn update_document(
    state: State<'_, AppState>,
    id: Uuid,
    patch: DocumentPatch,
) -> CommandResult<DocumentItem> {
    crate::document_list::update_document(&state, id, patch).await
}

/// Soft delete (admins). The server frees the clinic's space and audits it.
#[tauri::command]
pub async fn delete_document(state: State<'_, AppState>, id: Uuid) -> CommandResult<()> {
    crate::document_list::delete_document(&state, id).await
}

/// What the viewer shows of a DICOM document: frames, window, values, what the file says.
#[tauri::command]
pub async fn dicom_view(state: State<'_, AppState>, id: Uuid) -> CommandResult<crate::media::dicom::DicomView> {
    let src = state.media().await;
    let doc = crate::media::source::document(&src, id).await?;
    crate::media::dicom::view(&src, &doc).await
}

/// How many pages a PDF has, for the viewer's page control.
#[tauri::command]
pub async fn pdf_page_count(state: State<'_, AppState>, id: Uuid) -> CommandResult<u16> {
    crate::document_list::pdf_page_count(&state, id).await
}
