//! The window's side of the work that goes on in the background: the upload worker and the
//! scanner watcher run for as long as the app does, and report to the window through events;
//! the title counts what is not yet on the server, and closing with unsent work asks first.

use crate::events::{self, CloseWithUnsent, MarksSynced, MarksSyncedPayload, QueueChanged, QueueProgress, Unsent};
use crate::queue::runner::{Host, Runner};
use crate::queue::worker::Step;
use crate::queue::ItemState;
use crate::scanner::watch::watch;
use crate::session::Session;
use crate::state::AppState;
use std::sync::atomic::Ordering;
use tauri::{AppHandle, Manager};

/// The upload worker's host: the running app.
#[derive(Clone)]
pub struct AppHost(pub AppHandle);

impl Host for AppHost {
    async fn session(&self) -> Option<Session> {
        self.0.state::<AppState>().session.read().await.clone()
    }

    fn progress(&self, p: QueueProgress) {
        events::emit::<events::QueueProgressed, _>(&self.0, p);
    }

    async fn marks_synced(&self, m: MarksSyncedPayload) {
        events::emit::<MarksSynced, _>(&self.0, m);
        changed(&self.0).await;
    }

    async fn stepped(&self, step: &Step) {
        if !matches!(step, Step::Idle(_)) {
            changed(&self.0).await;
        }
    }
}

/// Starts the upload worker and the scanner watcher; they run until the app stops.
pub fn start_background_work(app: &AppHandle) {
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        changed(&handle).await;
        let state = handle.state::<AppState>();
        let runner = Runner { queue: &state.queue, versions: &state.mark_versions, host: AppHost(handle.clone()) };
        runner.run(&state.queue_wake).await;
    });
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = handle.state::<AppState>();
        let look = || async {
            let limits = state.session.read().await.as_ref().map(Session::limits);
            (state.settings().scanner_folder, limits)
        };
        let changed = || events::emit::<events::ScannedChanged, _>(&handle, ());
        watch(&state.scanner(), &state.scanner_wake, look, changed).await;
    });
}

/// Tells the window the queue changed and retitles it with the count of unsent items.
pub async fn changed(app: &AppHandle) {
    let state = app.state::<AppState>();
    let uploads = match state.queue.list().await {
        Ok(items) => items.iter().filter(|i| matches!(i.state, ItemState::Waiting | ItemState::Sending)).count(),
        Err(_) => 0,
    };
    let marks = state.queue.unsent_mark_changes().await.unwrap_or(0);
    state.unsent.store(uploads, Ordering::SeqCst);
    state.unsent_marks.store(marks, Ordering::SeqCst);
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&window_title(uploads, marks));
    }
    events::emit::<QueueChanged, _>(app, ());
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
    let uploads = state.unsent.load(Ordering::SeqCst);
    let marks = state.unsent_marks.load(Ordering::SeqCst);
    if ask_before_close(uploads + marks, state.close_confirmed.load(Ordering::SeqCst)) {
        api.prevent_close();
        let unsent = Unsent {
            uploads: u32::try_from(uploads).unwrap_or(u32::MAX),
            marks: u32::try_from(marks).unwrap_or(u32::MAX),
            phrase: unsent_phrase(uploads, marks).unwrap_or_default(),
        };
        events::emit::<CloseWithUnsent, _>(window, unsent);
    }
}

#[cfg(test)]
mod tests {
    use super::{ask_before_close, window_title};

    #[test]
    fn the_window_title_counts_what_waits() {
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
