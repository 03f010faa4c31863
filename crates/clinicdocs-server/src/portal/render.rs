//! Documents drawn for a browser: which types a browser shows as they are (JPEG, PNG, WebP),
//! which the server draws as a JPEG (DICOM at the file's own window, TIFF, BMP, HEIC), and PDFs
//! drawn page by page (where the server has libpdfium; else handed to the browser's own
//! viewer). Drawing runs within the server's decode budget, PDF pages and HEIC photos in
//! `drawing`'s child processes.

use super::error::PortalError;
use crate::db::documents::DocumentRow;
use crate::drawing::{self, DrawError, PageSize};
use crate::state::AppState;
use crate::upload::check::decode_in_budget;
use clinicdocs_core::media::dicom::DicomFile;
use clinicdocs_core::media::{image_file, image_pdf, FileKind};

/// How wide a PDF page is drawn: an A4 page at 150 dpi, sharp on a screen and on paper.
const PAGE_WIDTH: u32 = 1240;
/// The pages of one PDF drawn on the share page; the rest are in the download.
pub const PAGES_SHOWN: i64 = 40;

/// The longest side of a drawn picture: sharp on a screen and on A4 paper.
const VIEW_EDGE: u32 = 2400;
const VIEW_JPEG_QUALITY: u8 = 88;

/// Pictures drawn for recipients at once (each holds its file and its decode), and how long a
/// request waits for a turn before it is told the server is busy.
static DRAWS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
const DRAW_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// How a browser gets to see a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The stored file itself.
    AsStored,
    /// Drawn by the server as a JPEG.
    Drawn(FileKind),
    /// A PDF whose pages the server draws, one JPEG each.
    Pages,
    /// Not at all (yet); the sentence says what to do instead.
    Not(&'static str),
}

pub fn shown(kind: Option<FileKind>) -> Shown {
    match kind {
        Some(FileKind::Pdf) if drawing::pdf_available() => Shown::Pages,
        Some(FileKind::Jpeg | FileKind::Png | FileKind::Webp | FileKind::Pdf) => Shown::AsStored,
        Some(k @ (FileKind::Tiff | FileKind::Bmp | FileKind::Heic | FileKind::Dicom)) => Shown::Drawn(k),
        None => Shown::Not("This file cannot be shown here. Download the original to open it."),
    }
}

/// A drawn picture.
pub struct Picture {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Picture {
    /// The picture on a printable A4 page.
    pub fn pdf(&self) -> Vec<u8> {
        image_pdf::jpeg_on_a4(&self.jpeg, self.width, self.height)
    }
}

/// Draws a stored picture (or a DICOM image at the file's own window; the middle frame of a
/// multi-frame one) as a JPEG.
pub async fn picture(state: &AppState, doc: &DocumentRow, kind: FileKind) -> Result<Picture, PortalError> {
    // A slot first, then the file: recipients waiting to have a picture drawn hold no copy.
    let _slot = tokio::time::timeout(DRAW_WAIT, DRAWS.acquire())
        .await
        .map_err(|_| PortalError::Busy)?
        .map_err(|e| crate::error::ApiError::Internal(e.into()))?;
    let got = state.storage.get(&doc.storage_key, None).await.map_err(crate::error::ApiError::from)?;
    let bytes = got.bytes().await.map_err(|e| crate::error::ApiError::Internal(e.into()))?;
    if kind == FileKind::Heic {
        return heic_photo(bytes).await;
    }
    let drawn = decode_in_budget(move || {
        let img = if kind == FileKind::Dicom {
            let file = DicomFile::parse(&bytes)?;
            match file.render(file.thumbnail_frame(), None) {
                Ok(r) => r.image,
                Err(e) => return Ok(Err(e.to_string())),
            }
        } else {
            image_file::decode(&bytes, kind)?
        };
        let jpeg = image_file::fitted_jpeg(&img, VIEW_EDGE, VIEW_JPEG_QUALITY)?;
        let (w, h) = image_file::inspect(&jpeg, FileKind::Jpeg)?;
        Ok(Ok(Picture { jpeg, width: w, height: h }))
    })
    .await
    .map_err(|e| match e {
        // A file that does not draw is the recipient's to download, not a server fault.
        crate::error::ApiError::Media(m) => {
            PortalError::NotShown(format!("This file could not be drawn here ({m}). Download the original to open it."))
        }
        other => other.into(),
    })?;
    drawn.map_err(PortalError::NotShown)
}

/// A HEIC photo, drawn by a child process (libheif).
async fn heic_photo(bytes: bytes::Bytes) -> Result<Picture, PortalError> {
    let jpeg = drawing::photo(bytes, VIEW_EDGE, VIEW_JPEG_QUALITY).await.map_err(|e| match e {
        DrawError::Busy => PortalError::Busy,
        other => PortalError::NotShown(format!(
            "This photo could not be drawn here ({other}). Download the original to open it."
        )),
    })?;
    let (width, height) = image_file::inspect(&jpeg, FileKind::Jpeg).map_err(crate::error::ApiError::from)?;
    Ok(Picture { jpeg, width, height })
}

/// Page `n` (from 1) of a stored PDF as a JPEG.
pub async fn pdf_page(state: &AppState, doc: &DocumentRow, n: u16) -> Result<Vec<u8>, PortalError> {
    if n == 0 || doc.doc.page_count.is_some_and(|count| i64::from(n) > count.min(PAGES_SHOWN)) {
        return Err(PortalError::NotFound);
    }
    let got = state.storage.get(&doc.storage_key, None).await.map_err(crate::error::ApiError::from)?;
    let pdf = got.bytes().await.map_err(|e| crate::error::ApiError::Internal(e.into()))?;
    drawing::pdf_page(pdf, n, PageSize::Width(PAGE_WIDTH)).await.map_err(|e| match e {
        DrawError::Busy => PortalError::Busy,
        DrawError::NoEngine => {
            PortalError::NotShown("PDF pages cannot be shown here. Download the original to open it.".into())
        }
        other => {
            tracing::warn!(document = %doc.doc.id, page = n, error = %other, "a shared PDF page was not drawn");
            PortalError::NotShown("This page could not be drawn here. Download the original to open it.".into())
        }
    })
}
