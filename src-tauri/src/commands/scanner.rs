//! The scanner folder and its "Scanned" inbox as the window sees it: choosing the folder (kept
//! in settings), the list of ready files, and sending chosen pages (`scanner::send`).

use crate::dialogs;
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::queue::QueueItem;
use crate::scanner::send::{self, ScanRequest};
use crate::scanner::watch::ScannedInbox;
use crate::state::AppState;
use crate::window::changed;
use tauri::{AppHandle, State};

#[tauri::command]
pub async fn scanned_files(state: State<'_, AppState>) -> CommandResult<ScannedInbox> {
    state.active().await?;
    Ok(state.scanner().shown(state.settings().scanner_folder).await)
}

/// Asks for the scanner folder and keeps it; `None` when the user cancelled.
#[tauri::command]
pub async fn pick_scanner_folder(state: State<'_, AppState>) -> CommandResult<Option<String>> {
    state.active().await?;
    let Some(dir) = dialogs::pick_folder().await else {
        return Ok(None);
    };
    if !dir.is_dir() {
        return Err(CommandError::local(LocalCode::FileAccess, format!("“{}” is not a folder.", dir.display())));
    }
    state.update_settings(|s| s.scanner_folder = Some(dir.clone()));
    state.scanner_wake.notify_one();
    Ok(Some(dir.to_string_lossy().into_owned()))
}

/// Sends chosen pages: turned as asked, one PDF when `combine`, else one document each (as
/// one all-or-nothing batch). The originals leave the scanner folder once safely queued.
#[tauri::command]
pub async fn queue_scanned(
    app: AppHandle,
    state: State<'_, AppState>,
    request: ScanRequest,
) -> CommandResult<Vec<QueueItem>> {
    let session = state.active().await?;
    let queued = send::send(&state.scanner, &state.queue, &session, &request).await?;
    state.queue_wake.notify_one();
    state.scanner_wake.notify_one();
    changed(&app).await;
    Ok(queued)
}
