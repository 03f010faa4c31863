//! Uploads, from the multipart body to the committed row: [`single`] and [`batch`] are the two
//! ways in; [`receive`] reads a form's parts into a [`spool`] (or, announced, [`streamed`] into
//! the store while they arrive) with an [`inspector`] on the bytes; [`check`] judges the bytes;
//! [`commit`] stores objects and rows all or nothing; [`replay`] answers a retry under the same
//! key; [`ids`] gives new documents ids in the order they are sent. Routes only call [`single::upload`] and [`batch::upload`].

pub mod batch;
pub mod check;
pub mod commit;
pub mod ids;
pub mod inspector;
pub mod receive;
pub mod replay;
pub mod single;
pub mod spool;
pub mod streamed;

use crate::error::ApiError;
use clinicdocs_core::api::{BatchResponse, UploadResponse};

/// How a single upload ended.
#[derive(Debug)]
pub enum Uploaded {
    /// A new document was stored.
    Created(UploadResponse),
    /// The same file was stored under this key before: its document.
    Replayed(UploadResponse),
}

/// How a batch ended; each file's status is in the answer either way.
#[derive(Debug)]
pub enum Batched {
    /// Every file was stored now.
    Stored(BatchResponse),
    /// Every file had been stored by an earlier send of this batch.
    StoredEarlier(BatchResponse),
    /// None was stored, for this reason.
    NotStored(ApiError, BatchResponse),
}
