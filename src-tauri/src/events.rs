//! Every event the app sends the window: its name and its payload's type, in one list. The
//! window's TypeScript (`ui/src/lib/bindings.ts`) is generated from it, so an event renamed
//! here fails `svelte-check`, not the user. Emitting is typed: `emit::<QueueChanged>(&app, ())`.

use crate::bulk_import::ImportReview;
use crate::queue::marks::MarkChange;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

/// One kind of event.
pub trait Event {
    const NAME: &'static str;
    type Payload: Serialize + Clone;
}

macro_rules! events {
    ($( $(#[$doc:meta])* $ty:ident = $name:literal : $payload:ty ),* $(,)?) => {
        $(
            $(#[$doc])*
            pub struct $ty;
            impl Event for $ty {
                const NAME: &'static str = $name;
                type Payload = $payload;
            }
        )*

        /// Every event's name and its payload's TypeScript type.
        pub fn all(cfg: &ts_rs::Config) -> Vec<(&'static str, String)> {
            vec![$( ($name, <$payload as TS>::name(cfg)) ),*]
        }
    };
}

events! {
    /// The upload queue changed (an item queued, sent, refused or scheduled again).
    QueueChanged = "queue-changed": (),
    /// Bytes of the item being sent.
    QueueProgressed = "queue-progress": QueueProgress,
    /// Mark changes kept while offline reached the server (or were refused).
    MarksSynced = "marks-synced": MarksSyncedPayload,
    /// The window is being closed while uploads or mark changes are unsent.
    CloseWithUnsent = "close-with-unsent": Unsent,
    /// A document of a zip being written.
    ZipProgressed = "zip-progress": ZipProgress,
    /// Files are being dragged over the window (`true`) or no longer (`false`).
    DropHover = "drop-hover": bool,
    /// A drop is being read: how many paths were dropped (files or folders).
    ImportStarted = "import-started": u32,
    /// A drop is walked and checked: open the review sheet.
    ImportReviewed = "import-review": ImportReview,
    /// The scanner folder's list of ready files changed.
    ScannedChanged = "scanned-changed": (),
}

/// Sends `payload` as event `E` to every window. A window that is gone misses it.
pub fn emit<E: Event, R: tauri::Runtime>(to: &impl tauri::Emitter<R>, payload: E::Payload) {
    if let Err(e) = to.emit(E::NAME, payload) {
        tracing::debug!("event {} not sent: {e}", E::NAME);
    }
}

/// Bytes of the item being sent.
#[derive(Debug, Clone, Serialize, TS)]
pub struct QueueProgress {
    pub id: Uuid,
    pub sent: f64,
    pub total: f64,
}

/// What the worker did with waiting mark changes.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "MarksSynced")]
pub struct MarksSyncedPayload {
    /// Documents whose marks changed on the server: a window showing one reloads them.
    pub documents: Vec<Uuid>,
    /// Why each refused change was not applied.
    pub refused: Vec<MarkChange>,
    /// Documents that still have changes waiting.
    pub waiting: Vec<Uuid>,
}

/// What is not yet on the server, and how to say it ("2 uploads and 1 mark change").
#[derive(Debug, Clone, Serialize, TS)]
pub struct Unsent {
    pub uploads: u32,
    pub marks: u32,
    pub phrase: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ZipProgress {
    pub done: u32,
    pub total: u32,
    pub title: String,
}
