//! Receiving an uploaded file: streamed from the multipart body to a spool file while its size
//! is capped and its SHA-256 computed (memory stays constant), then checked by its bytes —
//! type, executables, password-protected or truncated PDFs, image structure and pixel budget —
//! and given a thumbnail.

use crate::error::{ApiError, ApiResult};
use axum::extract::multipart::{Field, Multipart, MultipartError};
use clinicdocs_core::limits::{messages, THUMBNAIL_EDGE};
use clinicdocs_core::media::pdf::{PdfFacts, PdfScan};
use clinicdocs_core::media::sniff::SNIFF_LEN;
use clinicdocs_core::media::{image_file, sniff, FileKind, MediaError};
use sha2::{Digest, Sha256};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// A file spooled to disk, not yet checked.
#[derive(Debug)]
pub struct Incoming {
    pub path: tempfile::TempPath,
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

/// Streams one file field to a spool file in `dir`, refusing it once it passes `max` bytes.
pub async fn receive(mut field: Field<'_>, max: u64, dir: &Path) -> ApiResult<Incoming> {
    let tmp = tempfile::Builder::new().prefix("upload-").tempfile_in(dir)?;
    let (std_file, path) = tmp.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
    let mut scan: Option<PdfScan> = None;
    let mut decided = false;
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        size += chunk.len() as u64;
        if size > max {
            return Err(ApiError::FileTooLarge(messages::file_too_large(None, max)));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
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
    file.flush().await?;
    if !decided && head.starts_with(b"%PDF-") {
        let mut s = PdfScan::new();
        s.update(&head);
        scan = Some(s);
    }
    Ok(Incoming { path, size, sha256: hex::encode(hasher.finalize()), head, pdf: scan.map(PdfScan::finish) })
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
            if facts.encrypted {
                return Err(MediaError::PasswordProtectedPdf.into());
            }
            if !facts.complete {
                return Err(MediaError::Corrupt("the PDF ends early".into()).into());
            }
            page_count = facts.page_count;
        }
        k if k.is_decodable_image() => {
            let bytes = tokio::fs::read(&incoming.path).await?;
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
