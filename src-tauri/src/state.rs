//! What the running app holds: the signed-in session, the settings file, the media cache and
//! the documents the window shows, the files it may preview, open drop reviews, the scanner
//! inbox, and the upload queue with the bells that wake its worker and the scanner watcher.
//! Commands reach everything through it; the modules below it never see it.

use crate::error::{CommandError, CommandResult};
use crate::file_check::FileCheck;
use crate::media::dicom::DecodedFrames;
use crate::media::source::{KnownDocuments, Source};
use crate::media::MediaCache;
use crate::previews::{ChosenFiles, Previews};
use crate::queue::mark_sync::{MarkVersions, Saver};
use crate::queue::Queue;
use crate::scanner::watch::{ScannerState, Watcher};
use crate::session::Session;
use crate::settings::Settings;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Mutex;
use tokio::sync::{Notify, RwLock};
use uuid::Uuid;

pub struct AppState {
    pub session: RwLock<Option<Session>>,
    pub settings: Mutex<Settings>,
    pub config_dir: PathBuf,
    pub media: MediaCache,
    /// The DICOM frame the viewer last decoded (redrawn at each window the doctor drags to).
    pub dicom_frames: DecodedFrames,
    /// Document metadata last listed.
    pub documents: KnownDocuments,
    /// Files chosen for upload, dropped or scanned that the window may preview.
    pub previews: Previews,
    /// Files chosen in the app's dialog: the only paths the window may hand in.
    pub chosen: ChosenFiles,
    /// Drops open in a review sheet: their checked files, by import id.
    pub imports: Mutex<HashMap<Uuid, Vec<FileCheck>>>,
    /// The scanner folder's inbox, and the bell that makes its watcher look now.
    pub scanner: tokio::sync::Mutex<ScannerState>,
    pub scanner_wake: Notify,
    /// The durable upload queue, and the bell that wakes its worker (new item, sign-in).
    pub queue: Queue,
    pub queue_wake: Notify,
    /// Versions of marks this app's own writes made (see `queue::mark_sync`).
    pub mark_versions: MarkVersions,
    /// Uploads not yet sent, as last counted (read when the window is asked to close).
    pub unsent: AtomicUsize,
    /// Mark changes not yet sent, as last counted.
    pub unsent_marks: AtomicUsize,
    /// The user chose to close with uploads unsent.
    pub close_confirmed: AtomicBool,
}

impl AppState {
    pub fn new(config_dir: PathBuf, cache_dir: PathBuf, queue: Queue) -> Self {
        AppState {
            session: RwLock::new(None),
            settings: Mutex::new(Settings::load(&config_dir)),
            config_dir,
            media: MediaCache::new(cache_dir),
            dicom_frames: DecodedFrames::default(),
            documents: KnownDocuments::default(),
            previews: Previews::default(),
            chosen: ChosenFiles::default(),
            imports: Mutex::new(HashMap::new()),
            scanner: tokio::sync::Mutex::new(Default::default()),
            scanner_wake: Notify::new(),
            queue,
            queue_wake: Notify::new(),
            mark_versions: Default::default(),
            unsent: AtomicUsize::new(0),
            unsent_marks: AtomicUsize::new(0),
            close_confirmed: AtomicBool::new(false),
        }
    }

    /// The signed-in session, or `not_signed_in`.
    pub async fn active(&self) -> CommandResult<Session> {
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

    /// Where the window's pictures come from, as whoever is signed in now.
    pub async fn media(&self) -> Source<'_> {
        Source { cache: &self.media, documents: &self.documents, session: self.session.read().await.clone() }
    }

    /// Saving and listing marks as `session`.
    pub fn marks<'a>(&'a self, session: &'a Session) -> Saver<'a> {
        Saver { queue: &self.queue, client: &session.client, me: &session.me, versions: &self.mark_versions }
    }

    /// The scanner inbox and what checks its files.
    pub fn scanner(&self) -> Watcher<'_> {
        Watcher { inbox: &self.scanner, queue: &self.queue, previews: &self.previews }
    }

    /// `path` came from the app's own file dialog, or the window may not hand it in.
    pub fn chosen_file(&self, path: &std::path::Path) -> CommandResult<()> {
        if self.chosen.contains(path) {
            return Ok(());
        }
        Err(CommandError::local(
            crate::error::LocalCode::FileAccess,
            "Choose the file again with “Choose files”: only files chosen in this window can be sent.",
        ))
    }

    /// Signs out locally: forgets the session and everything of the user's on this workstation
    /// — recent patients, the patient files kept for working offline, who signed in last, every
    /// cached document byte and picture, the documents and files the window knew.
    pub async fn forget_session(&self) {
        self.update_settings(|s| {
            s.kept_patients.clear();
            s.recent_patients.clear();
            s.last_me = None;
        });
        *self.session.write().await = None;
        self.documents.clear();
        self.previews.clear();
        self.chosen.clear();
        self.imports.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.scanner.lock().await = Default::default();
        self.media.clear();
        self.dicom_frames.clear();
    }
}
