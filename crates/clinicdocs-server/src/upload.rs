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
use std::future::Future;
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
    /// Bytes hashed so far (`size` counts bytes noted, which may run ahead).
    digested: usize,
}

impl Inspector {
    fn new() -> Inspector {
        Inspector {
            hasher: Sha256::new(),
            head: Vec::with_capacity(SNIFF_LEN),
            scan: None,
            decided: false,
            size: 0,
            digested: 0,
        }
    }

    /// Everything at once: [`Inspector::note`] then [`Inspector::digest`].
    fn feed(&mut self, chunk: &[u8]) {
        self.note(chunk);
        self.digest(chunk);
    }

    /// Counts the chunk and keeps the head that decides the type.
    fn note(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        if !self.decided {
            let take = (SNIFF_LEN - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            self.decided = self.head.len() == SNIFF_LEN;
        }
    }

    /// Hashes the chunk and scans it if the file is a PDF (chunks in order, after `note`).
    fn digest(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        if self.scan.is_none() && self.decided && self.head.starts_with(b"%PDF-") {
            // Bytes digested before the type was decided all lie within the head.
            let mut scan = PdfScan::new();
            scan.update(&self.head[..self.digested.min(SNIFF_LEN)]);
            self.scan = Some(scan);
        }
        if let Some(s) = self.scan.as_mut() {
            s.update(chunk);
        }
        self.digested += chunk.len();
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
    let mut kept = kind.is_decodable_image().then(|| BytesMut::with_capacity(declared as usize));
    for chunk in pending {
        if let Err(e) = put.send(chunk.clone()).await {
            put.abort().await;
            return Err(e);
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
            return (Err(e), Some(tail));
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

#[cfg(test)]
mod tests {
    use super::*;
    use clinicdocs_core::media::pdf::scan_bytes;

    fn pdf() -> Vec<u8> {
        let mut v = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n".to_vec();
        for i in 0..40 {
            v.extend_from_slice(format!("{} 0 obj<</Type /Page/Parent 2 0 R>>endobj\n", i + 3).as_bytes());
        }
        v.extend_from_slice(b"trailer<</Root 1 0 R/Encrypt 9 0 R>>\n%%EOF\n");
        v
    }

    fn inspected(chunks: &[&[u8]], notes_first: bool) -> Incoming {
        let mut seen = Inspector::new();
        if notes_first {
            for c in chunks {
                seen.note(c);
            }
            for c in chunks {
                seen.digest(c);
            }
        } else {
            for c in chunks {
                seen.feed(c);
            }
        }
        seen.finish(Spool::Memory(Bytes::new()))
    }

    #[test]
    fn the_hash_and_pdf_scan_do_not_depend_on_how_the_file_was_cut() {
        let file = pdf();
        assert!(file.len() > SNIFF_LEN * 2);
        let whole = hex::encode(Sha256::digest(&file));
        let facts = scan_bytes(&file);
        assert_eq!(facts.page_count, Some(40));
        assert!(facts.encrypted);
        // Chunk sizes below, at and above the sniffed head, so the type is decided mid-chunk,
        // on a chunk edge and in the first chunk.
        for size in [1, 7, 100, 511, 512, 513, 2000, file.len()] {
            let chunks: Vec<&[u8]> = file.chunks(size).collect();
            for notes_first in [false, true] {
                let got = inspected(&chunks, notes_first);
                assert_eq!(got.sha256, whole, "chunks of {size}, notes first: {notes_first}");
                assert_eq!(got.pdf, Some(facts), "chunks of {size}, notes first: {notes_first}");
                assert_eq!(got.size, file.len() as u64);
            }
        }
        let short = &file[..300];
        let got = inspected(&short.chunks(50).collect::<Vec<_>>(), false);
        assert_eq!(got.pdf, Some(scan_bytes(short)), "a file shorter than the head");
    }
}
