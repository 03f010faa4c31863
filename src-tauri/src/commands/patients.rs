//! The commands over `crate::patient_files`.

use crate::error::CommandResult;
use crate::patient_files::PatientFile;
use crate::settings::RecentPatient;
use crate::state::AppState;
use clinicdocs_core::api::{NewPatient, NewVisit, Patient, PatientPatch, Practitioner, Visit};
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

#[tauri::command]
pub async fn register_patient(state: State<'_, AppState>, new: NewPatient) -> CommandResult<Patient> {
    crate::patient_files::register_patient(&state, new).await
}

/// Patients with exactly this name and date of birth (possible duplicates).
#[tauri::command]
pub async fn patient_namesakes(
    state: State<'_, AppState>,
    name: String,
    date_of_birth: String,
) -> CommandResult<Vec<Patient>> {
    crate::patient_files::namesakes(&state, name, date_of_birth).await
}

#[tauri::command]
pub async fn update_patient(state: State<'_, AppState>, id: Uuid, patch: PatientPatch) -> CommandResult<Patient> {
    crate::patient_files::update_patient(&state, id, patch).await
}

#[tauri::command]
pub async fn practitioners(state: State<'_, AppState>) -> CommandResult<Vec<Practitioner>> {
    crate::patient_files::practitioners(&state).await
}

#[tauri::command]
pub async fn open_visit(state: State<'_, AppState>, patient_id: Uuid, new: NewVisit) -> CommandResult<Visit> {
    crate::patient_files::open_visit(&state, patient_id, new).await
}

/// Asks for a picture (the native dialog) and makes it the patient's photo; `false` when the
/// user cancelled. The header shows it as `clinicdocs://…/avatar/{patient id}`.
#[tauri::command]
pub async fn choose_patient_photo(state: State<'_, AppState>, patient_id: Uuid) -> CommandResult<bool> {
    crate::patient_photos::choose(&state, patient_id).await
}
