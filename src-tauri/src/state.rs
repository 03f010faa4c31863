//! What the running app holds: the signed-in session (API client and who is signed in), the
//! settings file, the folders it may write, and the documents the UI currently shows (so the
//! media scheme can find a document's type and checksum without asking the server again).

use crate::api_client::ApiClient;
use crate::error::{CommandError, CommandResult};
use crate::media::MediaCache;
use crate::queue::Queue;
use crate::settings::Settings;
use clinicdocs_core::api::{Document, Me};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use tokio::sync::RwLock;
use uuid::Uuid;

/// Someone is signed in.
#[derive(Clone)]
pub struct Active {
    pub client: ApiClient,
    pub me: Me,
}

pub struct AppState {
    pub session: RwLock<Option<Active>>,
    pub settings: Mutex<Settings>,
    pub config_dir: PathBuf,
    pub media: MediaCache,
    /// Document metadata last listed, by id.
    pub documents: Mutex<HashMap<Uuid, Document>>,
    /// Files chosen for upload that the media scheme may preview, by preview id.
    pub previews: Mutex<HashMap<Uuid, PathBuf>>,
    /// Drops open in a review sheet: their checked files, by import id.
    pub imports: Mutex<HashMap<Uuid, Vec<crate::commands::upload::FileCheck>>>,
    /// The scanner folder's inbox, and the bell that makes its watcher look now.
    pub scanner: tokio::sync::Mutex<crate::commands::scanner::ScannerState>,
    pub scanner_wake: tokio::sync::Notify,
    /// The durable upload queue, and the bell that wakes its worker (new item, sign-in).
    pub queue: Queue,
    pub queue_wake: tokio::sync::Notify,
    /// Versions of marks this app's own writes made (see `queue::mark_sync`).
    pub mark_versions: crate::queue::mark_sync::MarkVersions,
    /// Uploads not yet sent, as last counted (read when the window is asked to close).
    pub unsent: std::sync::atomic::AtomicUsize,
    /// Mark changes not yet sent, as last counted.
    pub unsent_marks: std::sync::atomic::AtomicUsize,
    /// The user chose to close with uploads unsent.
    pub close_confirmed: std::sync::atomic::AtomicBool,
}

impl AppState {
    pub fn new(config_dir: PathBuf, cache_dir: PathBuf, queue: Queue) -> Self {
        AppState {
            session: RwLock::new(None),
            settings: Mutex::new(Settings::load(&config_dir)),
            config_dir,
            media: MediaCache::new(cache_dir),
            documents: Mutex::new(HashMap::new()),
            previews: Mutex::new(HashMap::new()),
            imports: Mutex::new(HashMap::new()),
            scanner: tokio::sync::Mutex::new(Default::default()),
            scanner_wake: tokio::sync::Notify::new(),
            queue,
            queue_wake: tokio::sync::Notify::new(),
            mark_versions: Default::default(),
            unsent: std::sync::atomic::AtomicUsize::new(0),
            unsent_marks: std::sync::atomic::AtomicUsize::new(0),
            close_confirmed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The signed-in session, or `not_signed_in`.
    pub async fn active(&self) -> CommandResult<Active> {
        self.session.read().await.clone().ok_or_else(CommandError::not_signed_in)
    }

    pub fn update_settings(&self, f: impl FnOnce(&mut Settings)) {
        let mut s = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s);
        if let Err(e) = s.save(&self.config_dir) {
            tracing::warn!("could not save settings: {e}");
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn remember_documents(&self, docs: &[Document]) {
        let mut m = self.documents.lock().unwrap_or_else(|p| p.into_inner());
        for d in docs {
            m.insert(d.id, d.clone());
        }
    }

    /// Lets the media scheme show this chosen file as `preview/{id}`.
    pub fn add_preview(&self, path: PathBuf) -> Uuid {
        let id = Uuid::new_v4();
        self.previews.lock().unwrap_or_else(|p| p.into_inner()).insert(id, path);
        id
    }

    pub fn known_document(&self, id: Uuid) -> Option<Document> {
        self.documents.lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned()
    }

    /// Signs out locally: forgets the session, every cached document byte and the patient files
    /// kept for working offline.
    pub async fn forget_session(&self) {
        self.update_settings(|s| s.kept_patients.clear());
        *self.session.write().await = None;
        self.documents.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.previews.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.imports.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.scanner.lock().await = Default::default();
        self.media.clear();
    }
}
