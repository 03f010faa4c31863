//! The upload queue as the window sees it: handing a file to the queue (returns once it is
//! safely on disk), the list with each item's state, discarding or resending a refused item,
//! and the worker that sends items — waiting mark changes first, then uploads — while someone is
//! signed in. Changes reach the UI as `queue-changed` events, bytes as `queue-progress`, sent
//! mark changes as `marks-synced`; the window title counts what is unsent.

use crate::commands::annotations::{MarksSynced, MARKS_SYNCED_EVENT};
use crate::commands::upload::{per_percent, title_and_notes, UploadRequest};
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::queue::mark_sync;
use crate::queue::marks::MarkChangeState;
use crate::queue::worker::{self, Step};
use crate::queue::{ItemState, NewItem, QueueError, QueueItem, Requeue};
use crate::state::AppState;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::limits::PlanLimits;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;
use uuid::Uuid;

pub const QUEUE_CHANGED_EVENT: &str = "queue-changed";
pub const QUEUE_PROGRESS_EVENT: &str = "queue-progress";
/// Asked of the window when it is being closed with uploads or mark changes unsent; payload:
/// [`Unsent`].
pub const CLOSE_WITH_UNSENT_EVENT: &str = "close-with-unsent";

/// What is not yet on the server, and how to say it ("2 uploads and 1 mark change").
#[derive(Debug, Clone, Serialize, TS)]
pub struct Unsent {
    pub uploads: u32,
    pub marks: u32,
    pub phrase: String,
}

/// Bytes of the item being sent.
#[derive(Debug, Clone, Serialize, TS)]
pub struct QueueProgress {
    pub id: Uuid,
    pub sent: f64,
    pub total: f64,
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn queue_error(e: QueueError) -> CommandError {
    match e {
        QueueError::Io(io) => {
            CommandError::local(LocalCode::FileAccess, format!("The file could not be queued: {io}."))
        }
        other => CommandError::local(LocalCode::FileAccess, other.to_string()),
    }
}

/// Tells the window the queue changed and retitles it with the count of unsent items.
pub(crate) async fn changed(app: &AppHandle) {
    let state = app.state::<AppState>();
    let uploads = match state.queue.list().await {
        Ok(items) => items.iter().filter(|i| matches!(i.state, ItemState::Waiting | ItemState::Sending)).count(),
        Err(_) => 0,
    };
    let marks = state.queue.unsent_mark_changes().await.unwrap_or(0);
    state.unsent.store(uploads, std::sync::atomic::Ordering::SeqCst);
    state.unsent_marks.store(marks, std::sync::atomic::Ordering::SeqCst);
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&window_title(uploads, marks));
    }
    let _ = app.emit(QUEUE_CHANGED_EVENT, ());
}

/// The window's title: what is still to be sent, if anything.
pub fn window_title(uploads: usize, marks: usize) -> String {
    match unsent_phrase(uploads, marks) {
        None => "Clinic Documents".to_string(),
        Some(p) => format!("Clinic Documents — {p} waiting"),
    }
}

/// "2 uploads", "1 mark change", "2 uploads and 1 mark change"; `None` when nothing waits.
pub fn unsent_phrase(uploads: usize, marks: usize) -> Option<String> {
    let count = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    Some(match (uploads, marks) {
        (0, 0) => return None,
        (u, 0) => count(u, "upload", "uploads"),
        (0, m) => count(m, "mark change", "mark changes"),
        (u, m) => format!("{} and {}", count(u, "upload", "uploads"), count(m, "mark change", "mark changes")),
    })
}

/// Copies the file into the queue and returns; the worker sends it.
#[tauri::command]
pub async fn queue_upload(
    app: AppHandle,
    state: State<'_, AppState>,
    request: UploadRequest,
) -> CommandResult<QueueItem> {
    let active = state.active().await?;
    if let Some(already) = state.queue.by_key(&request.idempotency_key).await.map_err(queue_error)? {
        return Ok(already); // the same form sent twice
    }
    let (title, notes) = title_and_notes(&request)?;
    let path = PathBuf::from(&request.path);
    let size = tokio::fs::metadata(&path).await.map_err(|e| CommandError::file(&path, &e))?.len();
    let limits = PlanLimits::of(active.me.org.plan);
    if size > limits.max_file_bytes {
        let msg = clinicdocs_core::limits::messages::file_too_large(Some(size), limits.max_file_bytes);
        return Err(CommandError::api(ErrorCode::FileTooLarge, msg));
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "document".into());
    let item = NewItem {
        server_url: active.client.base().as_str().to_string(),
        user_id: active.me.user.id,
        patient_id: request.patient_id,
        encounter_id: request.encounter_id,
        category: request.category,
        title,
        notes,
        file_name,
        idempotency_key: Some(request.idempotency_key.clone()),
        batch_id: None,
    };
    let queued = state.queue.enqueue(&path, item, now_ms()).await.map_err(queue_error)?;
    state.queue_wake.notify_one();
    changed(&app).await;
    Ok(queued)
}

/// This user's items on this server, oldest first.
#[tauri::command]
pub async fn queue_items(state: State<'_, AppState>) -> CommandResult<Vec<QueueItem>> {
    let active = state.active().await?;
    let server = active.client.base().as_str().to_string();
    let items = state.queue.list().await.map_err(queue_error)?;
    Ok(items.into_iter().filter(|i| i.user_id == active.me.user.id && i.server_url == server).collect())
}

#[tauri::command]
pub async fn queue_discard(app: AppHandle, state: State<'_, AppState>, id: Uuid) -> CommandResult<()> {
    if !state.queue.discard(id).await.map_err(queue_error)? {
        return Err(CommandError::api(ErrorCode::Conflict, "This upload is being sent or was sent already."));
    }
    changed(&app).await;
    Ok(())
}

/// Sends a refused item again, with the receptionist's changes.
#[tauri::command]
pub async fn queue_resend(app: AppHandle, state: State<'_, AppState>, id: Uuid, change: Requeue) -> CommandResult<()> {
    if !state.queue.requeue(id, &change, now_ms()).await.map_err(queue_error)? {
        return Err(CommandError::api(ErrorCode::Conflict, "Only a refused upload can be sent again."));
    }
    state.queue_wake.notify_one();
    changed(&app).await;
    Ok(())
}

/// Whether closing the window should first ask: uploads are unsent and the user has not
/// already said to close anyway.
pub fn ask_before_close(unsent: usize, confirmed: bool) -> bool {
    unsent > 0 && !confirmed
}

/// Called by the window when it is asked to close: stops the close and asks the UI when
/// uploads or mark changes are unsent (they are kept either way; the question is whether to
/// stop now).
pub fn on_close_requested(window: &tauri::Window, api: &tauri::CloseRequestApi) {
    let state = window.state::<AppState>();
    let uploads = state.unsent.load(std::sync::atomic::Ordering::SeqCst);
    let marks = state.unsent_marks.load(std::sync::atomic::Ordering::SeqCst);
    if ask_before_close(uploads + marks, state.close_confirmed.load(std::sync::atomic::Ordering::SeqCst)) {
        api.prevent_close();
        let unsent = Unsent {
            uploads: u32::try_from(uploads).unwrap_or(u32::MAX),
            marks: u32::try_from(marks).unwrap_or(u32::MAX),
            phrase: unsent_phrase(uploads, marks).unwrap_or_default(),
        };
        let _ = window.emit(CLOSE_WITH_UNSENT_EVENT, unsent);
    }
}

/// The user chose to close with uploads unsent.
#[tauri::command]
pub async fn close_anyway(window: tauri::Window, state: State<'_, AppState>) -> CommandResult<()> {
    state.close_confirmed.store(true, std::sync::atomic::Ordering::SeqCst);
    window.close().map_err(|e| CommandError::local(LocalCode::BadResponse, e.to_string()))
}

/// A session began (sign-in or restored): this user's waiting items are tried at once.
pub async fn session_started(state: &AppState, active: &crate::state::Active) {
    let server = active.client.base().as_str().to_string();
    if let Err(e) = state.queue.make_due(&server, active.me.user.id, now_ms()).await {
        tracing::warn!("upload queue: {e}");
    }
    state.queue_wake.notify_one();
}

/// Sends this user's due mark changes and tells the window what reached the server; returns
/// when the next waiting one is due (unix ms), if any.
async fn send_mark_changes(app: &AppHandle, state: &AppState, active: &crate::state::Active) -> Option<i64> {
    let user = active.me.user.id;
    let server = active.client.base().as_str().to_string();
    let sent =
        mark_sync::send_due(&state.queue, &active.client, user, &state.mark_versions, now_ms, rand::random()).await;
    match sent {
        Ok(sent) if !sent.synced.is_empty() || !sent.refused.is_empty() => {
            let waiting = match state.queue.mark_changes(&server, user).await {
                Ok(all) => {
                    let mut docs: Vec<Uuid> =
                        all.iter().filter(|c| c.state != MarkChangeState::Refused).map(|c| c.document_id).collect();
                    docs.sort();
                    docs.dedup();
                    docs
                }
                Err(_) => Vec::new(),
            };
            let _ =
                app.emit(MARKS_SYNCED_EVENT, MarksSynced { documents: sent.synced, refused: sent.refused, waiting });
            changed(app).await;
        }
        Ok(sent) if sent.needs_sign_in => return None, // the next sign-in wakes the worker
        Ok(_) => {}
        Err(e) => tracing::error!("mark changes: {e}"),
    }
    state.queue.next_mark_change_due(&server, user).await.ok().flatten()
}

/// Sends waiting mark changes and queued uploads for as long as the app runs, while someone is
/// signed in.
pub async fn run_worker(app: AppHandle) {
    let state = app.state::<AppState>();
    changed(&app).await;
    loop {
        let active = state.session.read().await.clone();
        let Some(active) = active else {
            state.queue_wake.notified().await;
            continue;
        };
        // Progress events of this step's items, at most one per whole percent of each.
        let emitter = app.clone();
        let mut reports: HashMap<Uuid, Box<dyn FnMut(u64, u64) + Send + Sync>> = HashMap::new();
        let progress = move |id: Uuid, sent: u64, total: u64| {
            let f = reports.entry(id).or_insert_with(|| {
                let e = emitter.clone();
                Box::new(per_percent(move |s, t| {
                    let _ = e.emit(QUEUE_PROGRESS_EVENT, QueueProgress { id, sent: s as f64, total: t as f64 });
                }))
            });
            f(sent, total);
        };
        let marks_due = send_mark_changes(&app, &state, &active).await;
        match worker::step(&state.queue, &active.client, active.me.user.id, now_ms, rand::random(), progress).await {
            Ok(Step::Idle(None)) if marks_due.is_none() => state.queue_wake.notified().await,
            Ok(Step::Idle(at)) => {
                let at = at.into_iter().chain(marks_due).min().unwrap_or_else(now_ms);
                let wait = Duration::from_millis((at - now_ms()).clamp(50, 300_000) as u64);
                tokio::select! {
                    _ = state.queue_wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            Ok(Step::Settled { .. } | Step::Retrying { .. }) => changed(&app).await,
            Ok(Step::NeedsSignIn) => {
                changed(&app).await;
                state.queue_wake.notified().await;
            }
            Err(e) => {
                tracing::error!("upload queue: {e}");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ask_before_close;

    #[test]
    fn the_window_title_counts_what_waits() {
        use super::window_title;
        assert_eq!(window_title(0, 0), "Clinic Documents");
        assert_eq!(window_title(1, 0), "Clinic Documents — 1 upload waiting");
        assert_eq!(window_title(0, 3), "Clinic Documents — 3 mark changes waiting");
        assert_eq!(window_title(2, 1), "Clinic Documents — 2 uploads and 1 mark change waiting");
    }

    #[test]
    fn closing_with_unsent_uploads_asks_once() {
        assert!(ask_before_close(2, false));
        assert!(!ask_before_close(2, true), "the user said close anyway");
        assert!(!ask_before_close(0, false), "nothing unsent: close at once");
    }
}
