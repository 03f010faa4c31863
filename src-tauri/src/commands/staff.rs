//! The commands over `crate::staff` (administrators).

use crate::error::CommandResult;
use crate::state::AppState;
use clinicdocs_core::api::{ClinicPatch, NewStaff, Org, SetupCode, StaffAdded, StaffMember, StaffPatch};
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
