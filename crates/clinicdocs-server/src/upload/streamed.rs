//! A file stored while it arrives: once the upload's fields are known and its first bytes show
//! an accepted type, its PUT starts and every chunk goes on to the store as it comes; a wrong
//! length or a later refusal abandons the object.

use super::inspector::{Incoming, Inspector};
use super::receive::multipart_error;
use super::spool::Spool;
use crate::error::{ApiError, ApiResult};
use crate::storage::{Storage, StreamingPut};
use axum::extract::multipart::Field;
use bytes::{Bytes, BytesMut};
use clinicdocs_core::limits::messages;
use clinicdocs_core::media::{sniff, FileKind};
use std::future::Future;

/// Where a streamed file goes once its type is known: the document id, the storage key and
/// the download name header, made from the type.
pub struct Placement {
    pub id: uuid::Uuid,
    pub key: String,
    pub disposition: String,
}

/// A file being stored while it arrives: its type is known and its PUT started.
pub struct Receiving<'f> {
    field: Field<'f>,
    seen: Inspector,
    put: StreamingPut,
    placement: Placement,
    kept: Option<BytesMut>,
    declared: u64,
    max: u64,
    /// The field has yielded its last chunk.
    ended: bool,
}

/// Starts storing one file field of `declared` bytes while it arrives, beginning with
/// `first`, a chunk already read from it (`None` when the field ended). Reads until its first
/// bytes show an accepted type — nothing is written before — then starts the object and
/// hands it what arrived so far. [`Receiving::finish`] stores the rest; [`Receiving::abort`]
/// leaves nothing behind.
pub async fn begin_into_store<'f>(
    mut field: Field<'f>,
    first: Option<Bytes>,
    declared: u64,
    max: u64,
    storage: &Storage,
    place: impl FnOnce(FileKind) -> Placement,
) -> ApiResult<Receiving<'f>> {
    // The route refuses this before reading; kept here because `declared` sizes a buffer.
    if declared > max {
        return Err(ApiError::FileTooLarge(messages::file_too_large(Some(declared), max)));
    }
    let mut seen = Inspector::new();
    let mut pending: Vec<Bytes> = Vec::new();
    let mut next = first;
    while let Some(chunk) = next {
        if seen.size + chunk.len() as u64 > declared {
            return Err(size_mismatch(declared, None));
        }
        seen.note(&chunk);
        pending.push(chunk);
        if seen.decided {
            break;
        }
        next = field.chunk().await.map_err(|e| multipart_error(e, max))?;
    }
    let kind = sniff(&seen.head)?;
    let placement = place(kind);
    let mut put = storage.start_put(&placement.key, declared, kind.mime(), Some(&placement.disposition)).await?;
    let mut kept = kind.checked_whole().then(|| BytesMut::with_capacity(declared as usize));
    for chunk in pending {
        if let Err(e) = put.send(chunk.clone()).await {
            put.abort().await;
            return Err(e.into());
        }
        seen.digest(&chunk);
        if let Some(k) = kept.as_mut() {
            k.extend_from_slice(&chunk);
        }
    }
    Ok(Receiving { field, seen, put, placement, kept, declared, max, ended: false })
}

impl Receiving<'_> {
    /// Reads the next chunk and hands it to the store; `false` once the file has ended.
    async fn step(&mut self) -> ApiResult<bool> {
        if self.ended {
            return Ok(false);
        }
        let Some(chunk) = self.field.chunk().await.map_err(|e| multipart_error(e, self.max))? else {
            self.ended = true;
            return Ok(false);
        };
        if self.seen.size + chunk.len() as u64 > self.declared {
            return Err(size_mismatch(self.declared, None));
        }
        self.seen.note(&chunk);
        // The store gets the bytes first; hashing and scanning them overlaps its work.
        self.put.send(chunk.clone()).await?;
        self.seen.digest(&chunk);
        if let Some(k) = self.kept.as_mut() {
            k.extend_from_slice(&chunk);
        }
        Ok(true)
    }

    /// Stores what arrives until `enough()` (asked between chunks) or the end of the file, so
    /// the store is not kept waiting while the upload's fields are looked up. On an error the
    /// partial object is abandoned.
    pub async fn store_until(mut self, enough: impl Fn() -> bool) -> ApiResult<Self> {
        while !enough() {
            match self.step().await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    self.put.abort().await;
                    return Err(e);
                }
            }
        }
        Ok(self)
    }

    /// Whether the file is an image to decode (for its thumbnail) once stored.
    pub fn decodes_image(&self) -> bool {
        self.kept.is_some()
    }

    /// Stores the rest of the file. A file longer or shorter than declared is refused and the
    /// partial object abandoned. Once every byte is handed over, runs `tail` while the store
    /// finishes the object (its output is `None` if the file was refused first). Returns the
    /// file as [`Spool::Stored`]; the caller removes that object if the upload is refused later.
    pub async fn finish_with<T>(mut self, tail: impl Future<Output = T>) -> (ApiResult<Incoming>, Option<T>) {
        let result: ApiResult<()> = async {
            while self.step().await? {}
            if self.seen.size != self.declared {
                return Err(size_mismatch(self.declared, Some(self.seen.size)));
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            self.put.abort().await;
            return (Err(e), None);
        }
        let (stored, tail) = tokio::join!(self.put.finish(), tail);
        if let Err(e) = stored {
            return (Err(e.into()), Some(tail));
        }
        let spool =
            Spool::Stored { id: self.placement.id, key: self.placement.key, kept: self.kept.map(BytesMut::freeze) };
        (Ok(self.seen.finish(spool)), Some(tail))
    }

    /// Gives up on the file: the store keeps nothing of it.
    pub async fn abort(self) {
        self.put.abort().await;
    }

    /// Stores nothing, but reads the rest of the file to learn its size and SHA-256 (a retry
    /// is compared with the upload it repeats). The returned file holds no bytes.
    pub async fn discard(mut self) -> ApiResult<Incoming> {
        self.put.abort().await;
        while !self.ended {
            let Some(chunk) = self.field.chunk().await.map_err(|e| multipart_error(e, self.max))? else {
                break;
            };
            if self.seen.size + chunk.len() as u64 > self.declared {
                return Err(size_mismatch(self.declared, None));
            }
            self.seen.feed(&chunk);
        }
        Ok(self.seen.finish(Spool::Memory(Bytes::new())))
    }
}

fn size_mismatch(declared: u64, got: Option<u64>) -> ApiError {
    let got = match got {
        Some(n) => format!("{n} bytes arrived"),
        None => "more bytes arrived".to_string(),
    };
    ApiError::BadRequest(format!(
        "The upload announced {declared} bytes but {got}. Nothing was stored; send the file again."
    ))
}
