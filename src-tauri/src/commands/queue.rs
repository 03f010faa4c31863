//! The upload queue as the window sees it: handing the form's file to the queue (returns once
//! it is safely on disk), the list with each item's state, discarding or resending a refused
//! item, and closing the window anyway with work unsent. The sending is `queue::runner`'s.

use crate::error::{CommandError, CommandResult, LocalCode};
use crate::queue::add::{add_upload, UploadRequest};
use crate::queue::runner::now_ms;
use crate::queue::{QueueItem, Requeue};
use crate::state::AppState;
use crate::window::changed;
use clinicdocs_core::api::ErrorCode;
use std::sync::atomic::Ordering;
use tauri::{AppHandle, State};
use uuid::Uuid;

/// Copies the file into the queue and returns; the worker sends it.
#[tauri::command]
pub async fn queue_upload(
    app: AppHandle,
    state: State<'_, AppState>,
    request: UploadRequest,
) -> CommandResult<QueueItem> {
    let session = state.active().await?;
    state.chosen_file(std::path::Path::new(&request.path))?;
    let queued = add_upload(&state.queue, &session, &request).await?;
    state.queue_wake.notify_one();
    changed(&app).await;
    Ok(queued)
}

/// This user's items on this server, oldest first.
#[tauri::command]
pub async fn queue_items(state: State<'_, AppState>) -> CommandResult<Vec<QueueItem>> {
    let session = state.active().await?;
    let server = session.server();
    let items = state.queue.list().await?;
    Ok(items.into_iter().filter(|i| i.user_id == session.user_id() && i.server_url == server).collect())
}

#[tauri::command]
pub async fn queue_discard(app: AppHandle, state: State<'_, AppState>, id: Uuid) -> CommandResult<()> {
    if !state.queue.discard(id).await? {
        return Err(CommandError::api(ErrorCode::Conflict, "This upload is being sent or was sent already."));
    }
    changed(&app).await;
    Ok(())
}

/// Sends a refused item again, with the receptionist's changes.
#[tauri::command]
pub async fn queue_resend(app: AppHandle, state: State<'_, AppState>, id: Uuid, change: Requeue) -> CommandResult<()> {
    if !state.queue.requeue(id, &change, now_ms()).await? {
        return Err(CommandError::api(ErrorCode::Conflict, "Only a refused upload can be sent again."));
    }
    state.queue_wake.notify_one();
    changed(&app).await;
    Ok(())
}

/// The user chose to close with uploads unsent.
#[tauri::command]
pub async fn close_anyway(window: tauri::Window, state: State<'_, AppState>) -> CommandResult<()> {
    state.close_confirmed.store(true, Ordering::SeqCst);
    window.close().map_err(|e| CommandError::local(LocalCode::BadResponse, e.to_string()))
}
