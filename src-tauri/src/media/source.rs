//! Where the pictures come from: a document's bytes fetched once through a signed link and kept
//! in the disk cache, its thumbnail (the server's for images, rendered here for PDFs), and its
//! PDF and TIFF pages. Heavy work runs on the blocking pool so the UI never stalls.

use super::cache::MediaCache;
use super::{pdf, thumbnail};
use crate::api_client::ApiClient;
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::session::Session;
use clinicdocs_core::api::{Document, UrlVariant};
use clinicdocs_core::limits::THUMBNAIL_EDGE;
use clinicdocs_core::media::{image_file, FileKind};
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// The documents the window currently shows, by id: their type and checksum, without asking
/// the server again. Emptied at sign-out.
#[derive(Default)]
pub struct KnownDocuments(Mutex<HashMap<Uuid, Document>>);

impl KnownDocuments {
    pub fn remember(&self, docs: &[Document]) {
        let mut m = self.lock();
        for d in docs {
            m.insert(d.id, d.clone());
        }
    }

    pub fn get(&self, id: Uuid) -> Option<Document> {
        self.lock().get(&id).cloned()
    }

    pub fn forget(&self, id: Uuid) {
        self.lock().remove(&id);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Document>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the pictures are made from: the cache, the known documents, and who is signed in
/// (needed only when something must come from the server).
pub struct Source<'a> {
    pub cache: &'a MediaCache,
    pub documents: &'a KnownDocuments,
    pub session: Option<Session>,
}

impl Source<'_> {
    fn client(&self) -> CommandResult<&ApiClient> {
        self.session.as_ref().map(|s| &s.client).ok_or_else(CommandError::not_signed_in)
    }
}

/// The document's metadata: from the last listing, else from the server.
pub async fn document(src: &Source<'_>, id: Uuid) -> CommandResult<Document> {
    if let Some(d) = src.documents.get(id) {
        return Ok(d);
    }
    let doc = src.client()?.document(id).await?;
    src.documents.remember(std::slice::from_ref(&doc));
    Ok(doc)
}

/// The original bytes, from the cache or downloaded (and then cached).
pub async fn original(src: &Source<'_>, doc: &Document) -> CommandResult<Vec<u8>> {
    let path = src.cache.path(doc.id, &doc.sha256, "original");
    if let Some(b) = src.cache.read(&path) {
        return Ok(b);
    }
    let bytes = src.client()?.download(doc.id, UrlVariant::Original).await?;
    if let Err(e) = src.cache.write(&path, &bytes) {
        tracing::warn!("could not cache a document: {e}");
    }
    Ok(bytes)
}

fn render_error(e: impl std::fmt::Display) -> CommandError {
    CommandError::local(LocalCode::PdfUnavailable, e.to_string())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> CommandResult<T> + Send + 'static) -> CommandResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(render_error)?
}

/// A 256-px JPEG thumbnail: the server's once it has one; until then (a PDF's tile is drawn
/// seconds after its upload, or never by a server without a PDF engine) one drawn here from the
/// original, kept apart so that the server's replaces it as soon as the listing says it exists.
pub async fn thumb(src: &Source<'_>, doc: &Document) -> CommandResult<Vec<u8>> {
    let path = src.cache.path(doc.id, &doc.sha256, if doc.has_thumbnail { "thumb" } else { "thumb-own" });
    if let Some(b) = src.cache.read(&path) {
        return Ok(b);
    }
    let bytes = if doc.has_thumbnail {
        src.client()?.download(doc.id, UrlVariant::Thumbnail).await?
    } else {
        let kind = FileKind::from_mime(&doc.content_type)
            .ok_or_else(|| CommandError::local(LocalCode::PdfUnavailable, "No preview for this type of file."))?;
        let original = original(src, doc).await?;
        blocking(move || thumbnail::thumbnail(&original, kind, THUMBNAIL_EDGE).map_err(render_error)).await?
    };
    let _ = src.cache.write(&path, &bytes);
    Ok(bytes)
}

/// Page `page` (1-based) of a PDF or multi-page TIFF document, `width` pixels wide (a TIFF
/// page is never enlarged), as a JPEG.
pub async fn page(src: &Source<'_>, doc: &Document, page: u16, width: u32) -> CommandResult<Vec<u8>> {
    let width = snap_width(width);
    let path = src.cache.path(doc.id, &doc.sha256, &format!("p{page}w{width}"));
    if let Some(b) = src.cache.read(&path) {
        return Ok(b);
    }
    let original = original(src, doc).await?;
    let index = page.saturating_sub(1);
    let tiff = FileKind::from_mime(&doc.content_type) == Some(FileKind::Tiff);
    let jpeg = blocking(move || {
        if tiff {
            tiff_page(&original, usize::from(index), width)
        } else {
            pdf::render_page(&original, index, pdf::Size::Width(width)).map_err(render_error)
        }
    })
    .await?;
    let _ = src.cache.write(&path, &jpeg);
    Ok(jpeg)
}

/// A TIFF's page at most `width` wide, as a JPEG.
fn tiff_page(bytes: &[u8], index: usize, width: u32) -> CommandResult<Vec<u8>> {
    let img = image_file::decode_page(bytes, FileKind::Tiff, index)?.into_rgb8();
    let (w, h) = img.dimensions();
    // The longest side that makes the page `width` wide.
    let edge = if w >= h { width } else { (u64::from(width) * u64::from(h) / u64::from(w.max(1))) as u32 };
    let small = thumbnail::resize_rgb(img, edge).map_err(render_error)?;
    thumbnail::encode_rgb(&small, VIEW_JPEG_QUALITY).map_err(render_error)
}

/// JPEG quality of TIFF pages drawn for the viewer.
const VIEW_JPEG_QUALITY: i32 = 90;

/// How many pages a PDF document has (from pdfium, which sees compressed page trees too).
pub async fn page_count(src: &Source<'_>, doc: &Document) -> CommandResult<u16> {
    let original = original(src, doc).await?;
    blocking(move || pdf::page_count(&original).map_err(render_error)).await
}

/// Page widths are rounded up to a step of this many pixels so resizing the window reuses
/// cached pages, and kept within these bounds.
const WIDTH_STEP: u32 = 200;
const MIN_PAGE_WIDTH: u32 = 200;
const MAX_PAGE_WIDTH: u32 = 4000;

pub fn snap_width(w: u32) -> u32 {
    w.clamp(MIN_PAGE_WIDTH, MAX_PAGE_WIDTH).div_ceil(WIDTH_STEP) * WIDTH_STEP
}

#[cfg(test)]
mod tests {
    use super::snap_width;

    #[test]
    fn page_widths_snap_to_steps_within_bounds() {
        assert_eq!(snap_width(0), 200);
        assert_eq!(snap_width(1201), 1400);
        assert_eq!(snap_width(1200), 1200);
        assert_eq!(snap_width(99_999), 4000);
    }
}
