//! Where the pictures come from: a document's bytes fetched once through a signed link and kept
//! in the disk cache, its thumbnail (the server's for images, rendered here for PDFs), and its
//! PDF pages. Heavy work runs on the blocking pool so the UI never stalls.

use super::{pdf, thumbnail};
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::state::AppState;
use clinicdocs_core::api::{Document, UrlVariant};
use clinicdocs_core::limits::THUMBNAIL_EDGE;
use clinicdocs_core::media::FileKind;
use uuid::Uuid;

/// The document's metadata: from the last listing, else from the server.
pub async fn document(state: &AppState, id: Uuid) -> CommandResult<Document> {
    if let Some(d) = state.known_document(id) {
        return Ok(d);
    }
    let doc = state.active().await?.client.document(id).await?;
    state.remember_documents(std::slice::from_ref(&doc));
    Ok(doc)
}

/// The original bytes, from the cache or downloaded (and then cached).
pub async fn original(state: &AppState, doc: &Document) -> CommandResult<Vec<u8>> {
    let path = state.media.path(doc.id, &doc.sha256, "original");
    if let Some(b) = state.media.read(&path) {
        return Ok(b);
    }
    let bytes = state.active().await?.client.download(doc.id, UrlVariant::Original).await?;
    if let Err(e) = state.media.write(&path, &bytes) {
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

/// A 256-px JPEG thumbnail.
pub async fn thumb(state: &AppState, doc: &Document) -> CommandResult<Vec<u8>> {
    let path = state.media.path(doc.id, &doc.sha256, "thumb");
    if let Some(b) = state.media.read(&path) {
        return Ok(b);
    }
    let bytes = if doc.has_thumbnail {
        state.active().await?.client.download(doc.id, UrlVariant::Thumbnail).await?
    } else {
        let kind = FileKind::from_mime(&doc.content_type)
            .ok_or_else(|| CommandError::local(LocalCode::PdfUnavailable, "No preview for this type of file."))?;
        let original = original(state, doc).await?;
        blocking(move || thumbnail::thumbnail(&original, kind, THUMBNAIL_EDGE).map_err(render_error)).await?
    };
    let _ = state.media.write(&path, &bytes);
    Ok(bytes)
}

/// Page `page` (1-based) of a PDF document, `width` pixels wide, as a JPEG.
pub async fn page(state: &AppState, doc: &Document, page: u16, width: u32) -> CommandResult<Vec<u8>> {
    let width = snap_width(width);
    let path = state.media.path(doc.id, &doc.sha256, &format!("p{page}w{width}"));
    if let Some(b) = state.media.read(&path) {
        return Ok(b);
    }
    let original = original(state, doc).await?;
    let index = page.saturating_sub(1);
    let jpeg =
        blocking(move || pdf::render_page(&original, index, pdf::Size::Width(width)).map_err(render_error)).await?;
    let _ = state.media.write(&path, &jpeg);
    Ok(jpeg)
}

/// How many pages a PDF document has (from pdfium, which sees compressed page trees too).
pub async fn page_count(state: &AppState, doc: &Document) -> CommandResult<u16> {
    let original = original(state, doc).await?;
    blocking(move || pdf::page_count(&original).map_err(render_error)).await
}

/// Widths are rounded up to a step of 200 px so resizing the window reuses cached pages.
pub fn snap_width(w: u32) -> u32 {
    w.clamp(200, 4000).div_ceil(200) * 200
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
