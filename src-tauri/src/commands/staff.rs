//! The commands over `crate::staff` and `crate::audit_trail` (administrators).

use crate::commands::export::SavedFile;
use crate::error::CommandResult;
use crate::state::AppState;
use clinicdocs_core::api::{
    AuditPage, AuditQuery, ClinicPatch, NewStaff, Org, SetupCode, StaffAdded, StaffMember, StaffPatch,
};
use tauri::State;
use uuid::Uuid;

#[tauri::command]
pub async fn list_staff(state: State<'_, AppState>) -> CommandResult<Vec<StaffMember>> {
    crate::staff::list(&state).await
}

#[tauri::command]
pub async fn add_staff(state: State<'_, AppState>, new: NewStaff) -> CommandResult<StaffAdded> {
    crate::staff::add(&state, new).await
}

#[tauri::command]
pub async fn change_staff(state: State<'_, AppState>, id: Uuid, patch: StaffPatch) -> CommandResult<StaffMember> {
    crate::staff::change(&state, id, patch).await
}

#[tauri::command]
pub async fn new_setup_code(state: State<'_, AppState>, id: Uuid) -> CommandResult<SetupCode> {
    crate::staff::new_setup_code(&state, id).await
}

#[tauri::command]
pub async fn change_clinic(state: State<'_, AppState>, patch: ClinicPatch) -> CommandResult<Org> {
    crate::staff::change_clinic(&state, patch).await
}

/// A page of the audit trail matching the filters (admins).
#[tauri::command]
pub async fn audit_page(state: State<'_, AppState>, filter: AuditQuery) -> CommandResult<AuditPage> {
    crate::audit_trail::page(&state, filter).await
}

/// Saves the filtered audit trail as CSV where the admin chooses. `None` when cancelled.
#[tauri::command]
pub async fn export_audit(state: State<'_, AppState>, filter: AuditQuery) -> CommandResult<Option<SavedFile>> {
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let path = crate::audit_trail::export_csv(&state, filter, &today).await?;
    Ok(path.map(|p| SavedFile { path: p.to_string_lossy().into_owned(), files: 1 }))
}
