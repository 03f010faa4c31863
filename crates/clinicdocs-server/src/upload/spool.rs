//! Where a received file's bytes wait while they are checked, and how they then reach the
//! store.

use crate::storage::{Storage, StorageError};
use bytes::Bytes;

/// Where a received file's bytes are held: in memory up to one storage part
/// ([`crate::storage::PART_BYTES`]), on disk beyond, or already in the store. Memory per upload is bounded
/// whatever the file size.
#[derive(Debug)]
pub enum Spool {
    Memory(Bytes),
    Disk(tempfile::TempPath),
    /// Stored while it arrived, as document `id` under `key`. An image's bytes are `kept` for
    /// its thumbnail (the file-size limit bounds them).
    Stored {
        id: uuid::Uuid,
        key: String,
        kept: Option<Bytes>,
    },
}

impl Spool {
    /// The whole file (images only, which the pixel budget bounds).
    pub async fn read_all(&self) -> std::io::Result<Bytes> {
        match self {
            Spool::Memory(b) | Spool::Stored { kept: Some(b), .. } => Ok(b.clone()),
            Spool::Disk(p) => Ok(Bytes::from(tokio::fs::read(p).await?)),
            Spool::Stored { kept: None, .. } => Err(std::io::Error::other("the stored file's bytes were not kept")),
        }
    }

    /// The key of an object stored while it arrived.
    pub fn stored_key(&self) -> Option<String> {
        match self {
            Spool::Stored { key, .. } => Some(key.clone()),
            _ => None,
        }
    }

    /// Stores the file under `key`: one PUT from memory, parts from disk; a file stored while
    /// it arrived is there already.
    pub async fn store(
        &self,
        storage: &Storage,
        key: &str,
        content_type: &str,
        disposition: Option<&str>,
    ) -> Result<(), StorageError> {
        match self {
            Spool::Memory(bytes) => storage.put_bytes(key, bytes.clone(), content_type, disposition).await,
            Spool::Disk(path) => storage.put_file(key, path, content_type, disposition).await,
            Spool::Stored { .. } => Ok(()),
        }
    }
}
