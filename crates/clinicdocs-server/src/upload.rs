//! Receiving an uploaded file: streamed from the multipart body either into a bounded spool
//! (memory up to one storage part, disk beyond) or, when the client declared its size, straight
//! into the store once its first bytes show an accepted type. On the way its size is capped,
//! its SHA-256 computed and a PDF scanned; then it is checked by its bytes — type,
//! executables, password-protected or truncated PDFs, image structure and pixel budget — and
//! given a thumbnail.

use crate::error::{ApiError, ApiResult};
use crate::storage::{Storage, PART_BYTES};
use crate::stream_put::StreamingPut;
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
/// ([`PART_BYTES`]), on disk beyond, or already in the store. Memory per upload is bounded
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
}

/// What is learned from a file's bytes as they pass: size, SHA-256, the head that decides the
/// type, and a PDF's structure.
struct Inspector {
    hasher: Sha256,
    head: Vec<u8>,
    scan: Option<PdfScan>,
    decided: bool,
    size: u64,
}

impl Inspector {
    fn new() -> Inspector {
        Inspector { hasher: Sha256::new(), head: Vec::with_capacity(SNIFF_LEN), scan: None, decided: false, size: 0 }
    }

    fn feed(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        self.hasher.update(chunk);
        if self.decided {
            if let Some(s) = self.scan.as_mut() {
                s.update(chunk);
            }
            return;
        }
        let take = (SNIFF_LEN - self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..take]);
        if self.head.len() == SNIFF_LEN {
            self.decided = true;
            if self.head.starts_with(b"%PDF-") {
                let mut s = PdfScan::new();
                s.update(&self.head);
                s.update(&chunk[take..]);
                self.scan = Some(s);
            }
        }
    }

    fn finish(mut self, spool: Spool) -> Incoming {
        if !self.decided && self.head.starts_with(b"%PDF-") {
            let mut s = PdfScan::new();
            s.update(&self.head);
            self.scan = Some(s);
        }
        Incoming {
            spool,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
            head: self.head,
            pdf: self.scan.map(PdfScan::finish),
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

/// Where a streamed file goes once its type is known: the document id, the storage key and
/// the download name header, made from the type.
pub struct Placement {
    pub id: uuid::Uuid,
    pub key: String,
    pub disposition: String,
}

/// Streams one file field of `declared` bytes straight into the store, starting with `first`,
/// a chunk already read from it. Its first bytes must show an accepted type before anything
/// is written; a file longer or shorter than declared is refused and the partial object
/// abandoned. Returns the file as [`Spool::Stored`]; the caller removes that object if the
/// upload is refused later.
pub async fn receive_into_store(
    mut field: Field<'_>,
    first: Option<Bytes>,
    declared: u64,
    max: u64,
    storage: &Storage,
    place: impl FnOnce(FileKind) -> Placement,
) -> ApiResult<Incoming> {
    // The route refuses this before reading; kept here because `declared` sizes a buffer.
    if declared > max {
        return Err(ApiError::FileTooLarge(messages::file_too_large(Some(declared), max)));
    }
    let mut seen = Inspector::new();
    let mut pending: Vec<Bytes> = Vec::new();
    let mut put: Option<(StreamingPut, Placement, Option<BytesMut>)> = None;
    let mut place = Some(place);
    let mut first = first;
    let result: ApiResult<()> = async {
        loop {
            let chunk = match first.take() {
                Some(c) => Some(c),
                None => field.chunk().await.map_err(|e| multipart_error(e, max))?,
            };
            let Some(chunk) = chunk else { break };
            if seen.size + chunk.len() as u64 > declared {
                return Err(size_mismatch(declared, None));
            }
            seen.feed(&chunk);
            match put.as_mut() {
                Some((p, _, kept)) => {
                    if let Some(k) = kept.as_mut() {
                        k.extend_from_slice(&chunk);
                    }
                    p.send(chunk).await?;
                }
                None => {
                    pending.push(chunk);
                    if seen.decided {
                        put = Some(start(storage, &seen, declared, place.take(), &mut pending).await?);
                    }
                }
            }
        }
        if put.is_none() {
            put = Some(start(storage, &seen, declared, place.take(), &mut pending).await?);
        }
        if seen.size != declared {
            return Err(size_mismatch(declared, Some(seen.size)));
        }
        Ok(())
    }
    .await;
    let Some((p, placement, kept)) = put else {
        result?;
        return Err(ApiError::Internal(anyhow::anyhow!("streamed upload never started")));
    };
    if let Err(e) = result {
        p.abort().await;
        return Err(e);
    }
    p.finish().await?;
    let spool = Spool::Stored { id: placement.id, key: placement.key, kept: kept.map(BytesMut::freeze) };
    Ok(seen.finish(spool))
}

/// Decides the type from the head (refusing before anything is stored), starts the object and
/// sends what arrived so far.
async fn start(
    storage: &Storage,
    seen: &Inspector,
    declared: u64,
    place: Option<impl FnOnce(FileKind) -> Placement>,
    pending: &mut Vec<Bytes>,
) -> ApiResult<(StreamingPut, Placement, Option<BytesMut>)> {
    let kind = sniff(&seen.head)?;
    let place = place.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("upload placed twice")))?;
    let placement = place(kind);
    let mut p = storage.start_put(&placement.key, declared, kind.mime(), Some(&placement.disposition)).await?;
    let mut kept = kind.is_decodable_image().then(|| BytesMut::with_capacity(declared as usize));
    for chunk in pending.drain(..) {
        if let Some(k) = kept.as_mut() {
            k.extend_from_slice(&chunk);
        }
        if let Err(e) = p.send(chunk).await {
            p.abort().await;
            return Err(e);
        }
    }
    Ok((p, placement, kept))
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
