//! Receiving an uploaded file: streamed from the multipart body into a bounded spool (memory up
//! to one storage part, disk beyond) while its size is capped and its SHA-256 computed, then checked by its bytes —
//! type, executables, password-protected or truncated PDFs, image structure and pixel budget —
//! and given a thumbnail.

use crate::error::{ApiError, ApiResult};
use crate::storage::PART_BYTES;
use axum::extract::multipart::{Field, Multipart, MultipartError};
use bytes::{Bytes, BytesMut};
use clinicdocs_core::limits::{messages, THUMBNAIL_EDGE};
use clinicdocs_core::media::pdf::{PdfFacts, PdfScan};
use clinicdocs_core::media::sniff::SNIFF_LEN;
use clinicdocs_core::media::{self, image_file, sniff, FileKind, MediaError};
use sha2::{Digest, Sha256};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// Where a received file's bytes are held: in memory up to one storage part
/// ([`PART_BYTES`]), on disk beyond. Memory per upload is bounded whatever the file size.
#[derive(Debug)]
pub enum Spool {
    Memory(Bytes),
    Disk(tempfile::TempPath),
}

impl Spool {
    /// The whole file (images only, which the pixel budget bounds).
    pub async fn read_all(&self) -> std::io::Result<Bytes> {
        match self {
            Spool::Memory(b) => Ok(b.clone()),
            Spool::Disk(p) => Ok(Bytes::from(tokio::fs::read(p).await?)),
        }
    }
}

/// A received file, not yet checked.
#[derive(Debug)]
pub struct Incoming {
    pub spool: Spool,
    pub size: u64,
    pub sha256: String,
    head: Vec<u8>,
    pdf: Option<PdfFacts>,
}

/// A file whose bytes passed every check.
#[derive(Debug)]
pub struct Checked {
    pub incoming: Incoming,
    pub kind: FileKind,
    pub thumbnail: Option<Vec<u8>>,
    pub page_count: Option<i64>,
}

pub fn multipart_error(e: MultipartError, max_file: u64) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::FileTooLarge(messages::file_too_large(None, max_file))
    } else {
        ApiError::BadRequest(format!("The upload was interrupted or is malformed ({}). Try again.", e.body_text()))
    }
}

/// Streams one file field into a [`Spool`], refusing it once it passes `max` bytes; hashes
/// and scans it on the way.
pub async fn receive(mut field: Field<'_>, max: u64, dir: &Path) -> ApiResult<Incoming> {
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
    let mut scan: Option<PdfScan> = None;
    let mut decided = false;
    let mut size = 0u64;
    let mut memory = BytesMut::new();
    let mut disk: Option<(tokio::io::BufWriter<tokio::fs::File>, tempfile::TempPath)> = None;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        size += chunk.len() as u64;
        if size > max {
            return Err(ApiError::FileTooLarge(messages::file_too_large(None, max)));
        }
        hasher.update(&chunk);
        match disk.as_mut() {
            Some((w, _)) => w.write_all(&chunk).await?,
            None if memory.len() + chunk.len() > PART_BYTES => {
                let (file, path) = tempfile::Builder::new().prefix("upload-").tempfile_in(dir)?.into_parts();
                let mut w = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
                w.write_all(&memory).await?;
                w.write_all(&chunk).await?;
                memory = BytesMut::new();
                disk = Some((w, path));
            }
            None => memory.extend_from_slice(&chunk),
        }
        if decided {
            if let Some(s) = scan.as_mut() {
                s.update(&chunk);
            }
            continue;
        }
        let take = (SNIFF_LEN - head.len()).min(chunk.len());
        head.extend_from_slice(&chunk[..take]);
        if head.len() == SNIFF_LEN {
            decided = true;
            if head.starts_with(b"%PDF-") {
                let mut s = PdfScan::new();
                s.update(&head);
                s.update(&chunk[take..]);
                scan = Some(s);
            }
        }
    }
    let spool = match disk {
        Some((mut w, path)) => {
            w.flush().await?;
            Spool::Disk(path)
        }
        None => Spool::Memory(memory.freeze()),
    };
    if !decided && head.starts_with(b"%PDF-") {
        let mut s = PdfScan::new();
        s.update(&head);
        scan = Some(s);
    }
    Ok(Incoming { spool, size, sha256: hex::encode(hasher.finalize()), head, pdf: scan.map(PdfScan::finish) })
}

/// Reads and discards the rest of a multipart body, so a client still sending hears our answer.
pub async fn drain(multipart: &mut Multipart) {
    while let Ok(Some(mut f)) = multipart.next_field().await {
        while let Ok(Some(_)) = f.chunk().await {}
    }
}

/// Decides the type from the bytes and checks the content.
pub async fn check(incoming: Incoming) -> ApiResult<Checked> {
    let kind = sniff(&incoming.head)?;
    let mut page_count = None;
    let mut thumbnail = None;
    match kind {
        FileKind::Pdf => {
            let facts = incoming.pdf.ok_or_else(|| MediaError::Corrupt("not a readable PDF".into()))?;
            media::check_pdf_facts(&facts)?;
            page_count = facts.page_count;
        }
        k if k.is_decodable_image() => {
            let bytes = incoming.spool.read_all().await?;
            let thumb = tokio::task::spawn_blocking(move || {
                let img = image_file::decode(&bytes, k)?;
                image_file::thumbnail_jpeg(&img, THUMBNAIL_EDGE)
            })
            .await
            .map_err(anyhow::Error::from)??;
            thumbnail = Some(thumb);
        }
        _ => {}
    }
    Ok(Checked { incoming, kind, thumbnail, page_count })
}
