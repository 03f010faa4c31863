//! Files on this computer the window may show as pictures (`clinicdocs://…/preview/{id}`):
//! files chosen for upload, dropped or scanned, each registered under a fresh id. Nothing else
//! on disk can be named through the scheme; the list is emptied at sign-out.

use std::collections::HashMap;
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
