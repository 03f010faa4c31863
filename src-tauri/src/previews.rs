//! Files on this computer the window may use. A path from the window is taken only if the
//! person chose it in this app's own file dialog since the app started ([`ChosenFiles`]);
//! files chosen, dropped or scanned may be shown as pictures under a fresh id
//! (`clinicdocs://…/preview/{id}`, [`Previews`]). Nothing else on disk can be named through
//! IPC or the scheme; both lists are emptied at sign-out.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use uuid::Uuid;

#[derive(Default)]
pub struct Previews(Mutex<HashMap<Uuid, PathBuf>>);

impl Previews {
    /// Lets the scheme show `path` as `preview/{id}`.
    pub fn add(&self, path: PathBuf) -> Uuid {
        let id = Uuid::new_v4();
        self.lock().insert(id, path);
        id
    }

    pub fn get(&self, id: Uuid) -> Option<PathBuf> {
        self.lock().get(&id).cloned()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, PathBuf>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Paths the person chose in the app's file dialog.
#[derive(Default)]
pub struct ChosenFiles(Mutex<HashSet<PathBuf>>);

impl ChosenFiles {
    pub fn add(&self, paths: &[PathBuf]) {
        self.lock().extend(paths.iter().cloned());
    }

    pub fn contains(&self, path: &std::path::Path) -> bool {
        self.lock().contains(path)
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<PathBuf>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
