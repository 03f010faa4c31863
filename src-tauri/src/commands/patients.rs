//! The commands over `crate::patient_files`.

use crate::error::CommandResult;
use crate::patient_files::PatientFile;
use crate::settings::RecentPatient;
use crate::state::AppState;
use clinicdocs_core::api::Patient;
use tauri::State;
use uuid::Uuid;

/// By part of the name, or a date of birth (`YYYY-MM-DD`, or `DD.MM.YYYY` / `DD/MM/YYYY` as
/// typed at a desk).
/// Offline, the recent patients kept on this computer are searched instead.
#[tauri::command]
pub async fn find_patients(state: State<'_, AppState>, query: String) -> CommandResult<Vec<Patient>> {
    crate::patient_files::find_patients(&state, query).await
}

#[tauri::command]
pub async fn open_patient(state: State<'_, AppState>, patient_id: Uuid) -> CommandResult<PatientFile> {
    crate::patient_files::open_patient(&state, patient_id).await
}

#[tauri::command]
pub fn recent_patients(state: State<'_, AppState>) -> Vec<RecentPatient> {
    crate::patient_files::recent_patients(&state)
}
