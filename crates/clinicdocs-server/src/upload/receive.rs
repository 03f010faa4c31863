//! Receiving a multipart upload's parts: a text field read whole up to its cap, a file
//! streamed into a bounded [`Spool`] (memory up to one storage part, disk beyond) with its size
//! capped and its bytes inspected on the way, and the rest of a refused body drained so the
//! client hears the answer.

use super::inspector::{Incoming, Inspector};
use super::spool::Spool;
use crate::error::{ApiError, ApiResult};
use crate::storage::PART_BYTES;
use axum::extract::multipart::{Field, Multipart, MultipartError};
use bytes::BytesMut;
use clinicdocs_core::limits::messages;
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// Buffer of the writer that spills a large upload to disk.
const SPILL_BUFFER_BYTES: usize = 1 << 20;

pub fn multipart_error(e: MultipartError, max_file: u64) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::FileTooLarge(messages::file_too_large(None, max_file))
    } else {
        ApiError::BadRequest(format!("The upload was interrupted or is malformed ({}). Try again.", e.body_text()))
    }
}

/// Reads a text field whole, refusing it (unread beyond `cap` bytes) once it passes `cap`
/// or if it is not UTF-8. `max_file` is for the message if the whole body is over its limit.
pub async fn read_text(mut field: Field<'_>, cap: usize, max_file: u64) -> ApiResult<String> {
    let name = field.name().unwrap_or_default().to_string();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max_file))? {
        if bytes.len() + chunk.len() > cap {
            return Err(ApiError::BadRequest(messages::text_field_too_long(&name, cap)));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::BadRequest(messages::field_not_text(&name)))
}

/// A single upload's file is held in memory up to one storage part; a batch's files go to disk
/// past this, so a batch of 50 files holds a few megabytes, not hundreds.
pub const BATCH_SPILL_BYTES: usize = 1 << 20;

/// Streams one file field into a [`Spool`], refusing it once it passes `max` bytes; hashes
/// and scans it on the way. Past `spill_at` bytes (at most one storage part) it goes to disk.
pub async fn receive(mut field: Field<'_>, max: u64, dir: &Path, spill_at: usize) -> ApiResult<Incoming> {
    let spill_at = spill_at.min(PART_BYTES);
    let mut seen = Inspector::new();
    let mut memory = BytesMut::new();
    let mut disk: Option<(tokio::io::BufWriter<tokio::fs::File>, tempfile::TempPath)> = None;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        if seen.size + chunk.len() as u64 > max {
            return Err(ApiError::FileTooLarge(messages::file_too_large(None, max)));
        }
        seen.feed(&chunk);
        match disk.as_mut() {
            Some((w, _)) => w.write_all(&chunk).await?,
            None if memory.len() + chunk.len() > spill_at => {
                let (file, path) = tempfile::Builder::new().prefix("upload-").tempfile_in(dir)?.into_parts();
                let mut w = tokio::io::BufWriter::with_capacity(SPILL_BUFFER_BYTES, tokio::fs::File::from_std(file));
                w.write_all(&memory).await?;
                w.write_all(&chunk).await?;
                memory = BytesMut::new();
                disk = Some((w, path));
            }
            None => memory.extend_from_slice(&chunk),
        }
    }
    let spool = match disk {
        Some((mut w, path)) => {
            w.flush().await?;
            Spool::Disk(path)
        }
        None => Spool::Memory(memory.freeze()),
    };
    Ok(seen.finish(spool))
}

/// Reads and discards the rest of a multipart body, so a client still sending hears our answer.
pub async fn drain(multipart: &mut Multipart) {
    while let Ok(Some(mut f)) = multipart.next_field().await {
        while let Ok(Some(_)) = f.chunk().await {}
    }
}
