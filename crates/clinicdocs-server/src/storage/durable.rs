//! Making the local store's writes survive a power cut. The object store's local backend
//! writes a temporary file and renames it into place without syncing either, so a clinic could
//! be told a document is stored whose bytes never reached the disk. Cloud stores answer a PUT
//! only once it is durable, so this is for the local store only.

use super::error::StorageError;
use std::path::{Path, PathBuf};

/// A file just written to the local store, to be made durable before the upload is confirmed.
pub struct Durable {
    root: PathBuf,
    file: PathBuf,
}

impl Durable {
    /// The object `key` under the store's folder `root`.
    pub fn new(root: &Path, key: &str) -> Durable {
        Durable { root: root.to_path_buf(), file: root.join(key) }
    }

    /// Syncs the file's bytes, then each folder from its own up to the store's root (new
    /// folders' entries included).
    pub async fn sync(self) -> Result<(), StorageError> {
        blocking(move || {
            std::fs::File::open(&self.file)?.sync_all()?;
            let mut dir = self.file.parent();
            while let Some(d) = dir.filter(|d| d.starts_with(&self.root)) {
                std::fs::File::open(d)?.sync_all()?;
                dir = d.parent();
            }
            Ok(())
        })
        .await
    }
}

/// Syncs one folder (the one a moved file left).
pub async fn sync_dir(dir: PathBuf) -> Result<(), StorageError> {
    blocking(move || std::fs::File::open(dir)?.sync_all()).await
}

async fn blocking(f: impl FnOnce() -> std::io::Result<()> + Send + 'static) -> Result<(), StorageError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StorageError::Io(std::io::Error::other(e)))??;
    Ok(())
}
