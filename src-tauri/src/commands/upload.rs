//! The upload form: choosing files and checking them here before they are queued (type from
//! the bytes, size, visit and pool limits, with the server's own messages). Sending is the
//! queue's job (`commands::queue`).

use crate::bulk_import::{hand_off_problems, server_counts};
use crate::dialogs;
use crate::error::{CommandError, CommandErrorCode, CommandResult, LocalCode};
use crate::file_check::{check_content, FileCheck};
use crate::state::AppState;
use std::path::PathBuf;
use tauri::State;
use uuid::Uuid;

/// The file dialog; the files chosen may then be checked and sent.
#[tauri::command]
pub async fn pick_files(state: State<'_, AppState>) -> CommandResult<Vec<String>> {
    let picked = dialogs::pick_files().await;
    state.chosen.add(&picked);
    Ok(picked.into_iter().map(|p| p.to_string_lossy().into_owned()).collect())
}

/// Reads and checks a file for the form. `encounter_id` is the visit of `patient_id` the form
/// links to, if any.
#[tauri::command]
pub async fn check_file(
    state: State<'_, AppState>,
    path: String,
    patient_id: Uuid,
    encounter_id: Option<Uuid>,
) -> CommandResult<FileCheck> {
    let session = state.active().await?;
    let path = PathBuf::from(path);
    state.chosen_file(&path)?;
    let limits = session.limits();
    let p = path.clone();
    let content = tokio::task::spawn_blocking(move || check_content(&p, &limits))
        .await
        .map_err(|e| CommandError::local(LocalCode::FileAccess, format!("The file could not be checked: {e}.")))?;
    if let Some(e) = content.problems.iter().find(|e| e.code == CommandErrorCode::Local(LocalCode::FileAccess)) {
        return Err(e.clone());
    }
    let size = content.size;
    let mut check = FileCheck::shown(&state.previews, path, content);
    // The pool and the visit are the server's to know. Offline, the file is still checked here
    // and can be queued; the server checks those two when it is back.
    if let Some(counts) = server_counts(&session.client, patient_id, encounter_id).await? {
        check.problems.extend(hand_off_problems(&limits, counts, &[size]).into_iter().flatten());
    }
    Ok(check)
}
