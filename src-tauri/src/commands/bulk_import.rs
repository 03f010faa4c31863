//! Drag and drop: files and folders dropped on the window (the native drop event, with real
//! paths) are walked and checked, then shown in a review sheet (`import-review`); the limits
//! the hand-off would break are checked for the chosen patient and visit (`check_import`);
//! sending queues every chosen file in one transaction, grouped into all-or-nothing batches
//! that the queue sends when the server is reachable (`queue_import`).

use crate::bulk_import::{hand_off_problems, queue_rows, review_drop, server_counts, Chosen, ImportReview};
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::events::{self, DropHover, ImportReviewed, ImportStarted};
use crate::file_check::FileCheck;
use crate::queue::runner::now_ms;
use crate::queue::{HandOff, QueueItem};
use crate::state::AppState;
use crate::window::changed;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::Category;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;
use uuid::Uuid;

/// The limits the chosen files would break for the chosen patient and visit.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportLimits {
    /// False when the server cannot be reached: the pool and visit are checked when it is back.
    pub online: bool,
    /// For each chosen file, in the order given.
    pub problems: Vec<Vec<CommandError>>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportFile {
    /// The file's place in [`ImportReview::files`].
    pub index: u32,
    pub title: String,
    pub category: Category,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportRequest {
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
    pub files: Vec<ImportFile>,
}

/// The window's native drag-and-drop events.
pub fn on_drag_drop(window: &tauri::Window, event: &tauri::DragDropEvent) {
    match event {
        tauri::DragDropEvent::Enter { .. } => {
            events::emit::<DropHover, _>(window, true);
        }
        tauri::DragDropEvent::Leave => {
            events::emit::<DropHover, _>(window, false);
        }
        tauri::DragDropEvent::Drop { paths, .. } => {
            let app = window.app_handle().clone();
            let paths = paths.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = dropped(&app, paths).await {
                    tracing::warn!("drop: {e}");
                }
            });
        }
        _ => {}
    }
}

/// What a drop does: walk, check each file, and open the review sheet.
pub async fn dropped(app: &AppHandle, paths: Vec<PathBuf>) -> CommandResult<ImportReview> {
    events::emit::<DropHover, _>(app, false);
    let state = app.state::<AppState>();
    let limits = state.active().await?.limits();
    events::emit::<ImportStarted, _>(app, u32::try_from(paths.len()).unwrap_or(u32::MAX));
    let handle = app.clone();
    let review =
        tokio::task::spawn_blocking(move || review_drop(&paths, &limits, &handle.state::<AppState>().previews))
            .await
            .map_err(|e| {
            CommandError::local(LocalCode::FileAccess, format!("The dropped files could not be read: {e}."))
        })?;
    state.imports.lock().unwrap_or_else(|p| p.into_inner()).insert(review.id, review.files.clone());
    events::emit::<ImportReviewed, _>(app, review.clone());
    Ok(review)
}

/// The test seam for the native drop (WebDriver cannot drag from a file manager): runs the very
/// function the drop event runs. Only in builds for the end-to-end tests (feature `e2e`).
#[cfg(feature = "e2e")]
#[tauri::command]
pub async fn test_drop(app: AppHandle, paths: Vec<String>) -> CommandResult<ImportReview> {
    dropped(&app, paths.into_iter().map(PathBuf::from).collect()).await
}

fn review_files(state: &AppState, import_id: Uuid) -> CommandResult<Vec<FileCheck>> {
    state
        .imports
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&import_id)
        .cloned()
        .ok_or_else(|| CommandError::api(ErrorCode::Conflict, "These files were sent or put aside already."))
}

/// Pool and visit limits for the chosen files (`indexes` into the review, in sending order).
#[tauri::command]
pub async fn check_import(
    state: State<'_, AppState>,
    import_id: Uuid,
    patient_id: Uuid,
    encounter_id: Option<Uuid>,
    indexes: Vec<u32>,
) -> CommandResult<ImportLimits> {
    let session = state.active().await?;
    let files = review_files(&state, import_id)?;
    let sizes: Vec<u64> =
        indexes.iter().filter_map(|&i| files.get(i as usize)).map(|f| f.size as u64).collect::<Vec<_>>();
    if sizes.len() != indexes.len() {
        return Err(CommandError::api(ErrorCode::BadRequest, "A chosen file is not part of this drop."));
    }
    let limits = session.limits();
    Ok(match server_counts(&session.client, patient_id, encounter_id).await? {
        Some(counts) => ImportLimits { online: true, problems: hand_off_problems(&limits, counts, &sizes) },
        None => ImportLimits { online: false, problems: vec![Vec::new(); sizes.len()] },
    })
}

/// Queues the chosen files: copied into the queue and recorded in one transaction (all or
/// none), grouped into batches of at most 50 that the server stores whole or not at all.
#[tauri::command]
pub async fn queue_import(
    app: AppHandle,
    state: State<'_, AppState>,
    import_id: Uuid,
    request: ImportRequest,
) -> CommandResult<Vec<QueueItem>> {
    let session = state.active().await?;
    // Taken out so a second click cannot queue the files twice; put back if queueing fails.
    let files = state
        .imports
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&import_id)
        .ok_or_else(|| CommandError::api(ErrorCode::Conflict, "These files were sent or put aside already."))?;
    let result = async {
        let mut chosen = Vec::with_capacity(request.files.len());
        for f in &request.files {
            let file = files
                .get(f.index as usize)
                .ok_or_else(|| CommandError::api(ErrorCode::BadRequest, "A chosen file is not part of this drop."))?;
            chosen.push(Chosen {
                path: PathBuf::from(&file.path),
                file_name: file.file_name.clone(),
                problems: file.problems.clone(),
                title: f.title.clone(),
                category: f.category,
            });
        }
        let to = HandOff {
            server_url: session.server(),
            user_id: session.user_id(),
            patient_id: request.patient_id,
            encounter_id: request.encounter_id,
        };
        let rows = queue_rows(&to, &chosen)?;
        Ok::<_, CommandError>(state.queue.enqueue_many(rows, now_ms()).await?)
    }
    .await;
    match result {
        Ok(queued) => {
            state.queue_wake.notify_one();
            changed(&app).await;
            Ok(queued)
        }
        Err(e) => {
            state.imports.lock().unwrap_or_else(|p| p.into_inner()).insert(import_id, files);
            Err(e)
        }
    }
}

/// The review sheet was closed without sending.
#[tauri::command]
pub async fn cancel_import(state: State<'_, AppState>, import_id: Uuid) -> CommandResult<()> {
    state.imports.lock().unwrap_or_else(|p| p.into_inner()).remove(&import_id);
    Ok(())
}
