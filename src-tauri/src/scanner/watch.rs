//! The scanner folder's "Scanned" inbox: the files that have stopped growing, each checked as
//! the server would, looked at every [`POLL`] (or at once when woken) for as long as the app
//! runs. A file already taken into the queue (the app stopped before removing it) is removed,
//! not offered again.

use super::inbox::Inbox;
use crate::error::CommandError;
use crate::file_check::{check_content, FileCheck};
use crate::previews::Previews;
use crate::queue::Queue;
use clinicdocs_core::limits::PlanLimits;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};
use ts_rs::TS;

/// How often the scanner folder is looked at.
pub const POLL: Duration = Duration::from_millis(700);

pub(super) fn hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The inbox as the window shows it.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct ScannedInbox {
    /// `None` until a scanner folder is chosen.
    pub folder: Option<String>,
    /// Files that have stopped growing, in name order, each checked as the server would.
    pub files: Vec<FileCheck>,
    /// Files still being written by the scanner.
    pub growing: u32,
    /// Why the folder cannot be read, if it cannot.
    pub problem: Option<String>,
}

/// What the watcher knows: the folder's polls and each ready file's check and hash.
#[derive(Default)]
pub struct ScannerState {
    inbox: Inbox,
    folder: Option<PathBuf>,
    /// Each ready file's check and content hash, by path.
    pub(super) checked: HashMap<PathBuf, (FileCheck, String)>,
    pub(super) shown: ScannedInbox,
}

/// The inbox and what it needs to check files.
pub struct Watcher<'a> {
    pub inbox: &'a Mutex<ScannerState>,
    pub queue: &'a Queue,
    pub previews: &'a Previews,
}

impl Watcher<'_> {
    /// Looks at `folder`; refreshes the list when it changed. Returns whether it did. Nothing is
    /// looked at while nobody is signed in (`limits` is `None`).
    pub async fn refresh(&self, folder: Option<PathBuf>, limits: Option<PlanLimits>) -> bool {
        let Some(limits) = limits else { return false };
        let mut s = self.inbox.lock().await;
        if s.folder != folder {
            *s = ScannerState { folder: folder.clone(), ..Default::default() };
        }
        let Some(dir) = folder else {
            let was = s.shown.folder.is_some();
            s.shown = ScannedInbox::default();
            return was;
        };
        let problem = match std::fs::read_dir(&dir) {
            Ok(_) => None,
            Err(e) => Some(CommandError::file(&dir, &e).message),
        };
        let moved = s.inbox.poll(&dir);
        if !moved
            && s.shown.folder.is_some()
            && s.shown.problem == problem
            && s.shown.growing == s.inbox.growing() as u32
        {
            return false;
        }
        let ready = s.inbox.ready();
        s.checked.retain(|p, _| ready.contains(p));
        let mut files = Vec::with_capacity(ready.len());
        for path in ready {
            if let Some((check, _)) = s.checked.get(&path) {
                files.push(check.clone());
                continue;
            }
            let p = path.clone();
            let checked = tokio::task::spawn_blocking(move || {
                let content = check_content(&p, &limits);
                let sha = std::fs::read(&p).map(|b| hash(&b)).unwrap_or_default();
                (content, sha)
            })
            .await;
            let Ok((content, sha)) = checked else { continue };
            // Queued before the app stopped, but not yet removed: remove it now.
            if self.queue.was_taken(&sha).await.unwrap_or(false) {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let check = FileCheck::shown(self.previews, path.clone(), content);
            files.push(check.clone());
            s.checked.insert(path, (check, sha));
        }
        let growing = s.inbox.growing() as u32;
        s.shown = ScannedInbox { folder: Some(dir.to_string_lossy().into_owned()), files, growing, problem };
        true
    }

    /// What the window shows; the folder as chosen when it has not been looked at yet.
    pub async fn shown(&self, chosen: Option<PathBuf>) -> ScannedInbox {
        let s = self.inbox.lock().await;
        let mut shown = s.shown.clone();
        if shown.folder.is_none() {
            shown.folder = chosen.map(|f| f.to_string_lossy().into_owned());
        }
        shown
    }
}

/// Watches for as long as the app runs: `look` says the folder and the signed-in clinic's
/// limits now, `changed` is told when the list changed.
pub async fn watch<F: Future<Output = (Option<PathBuf>, Option<PlanLimits>)>>(
    w: &Watcher<'_>,
    wake: &Notify,
    look: impl Fn() -> F,
    changed: impl Fn(),
) {
    loop {
        let (folder, limits) = look().await;
        if w.refresh(folder, limits).await {
            changed();
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}
