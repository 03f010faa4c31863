//! What can go wrong storing, reading or signing an object.

/// What can go wrong storing, reading or signing an object.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("local file: {0}")]
    Io(#[from] std::io::Error),
    #[error("streamed PUT: {0}")]
    Put(String),
    #[error("this store cannot take a file while it arrives")]
    CannotStream,
    #[error("link lifetime: {0}")]
    Lifetime(#[from] chrono::OutOfRangeError),
}
