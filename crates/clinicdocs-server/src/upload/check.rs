//! The checks on a received file's bytes: its type decided from them, executables and
//! disguised files refused, PDFs that need a password or end early refused, images and DICOM
//! decoded within the pixel budget and given a thumbnail (DICOM that does not parse refused,
//! HEIC photos decoded by a drawing child, a TIFF's pages counted).

use super::inspector::Incoming;
use crate::drawing;
use crate::error::ApiResult;
use clinicdocs_core::limits::{DECODES_AT_ONCE, THUMBNAIL_EDGE};
use clinicdocs_core::media::dicom::DicomFile;
use clinicdocs_core::media::image_file::THUMBNAIL_JPEG_QUALITY;
use clinicdocs_core::media::{self, image_file, sniff, FileKind, MediaError};
use tokio::sync::Semaphore;

/// A file whose bytes passed every check.
#[derive(Debug)]
pub struct Checked {
    pub incoming: Incoming,
    pub kind: FileKind,
    pub thumbnail: Option<Vec<u8>>,
    pub page_count: Option<i64>,
}

/// Decodes running now: at most [`DECODES_AT_ONCE`], each within its allocation cap.
static DECODES: Semaphore = Semaphore::const_new(DECODES_AT_ONCE);

/// Decodes a picture within the server's decode budget (uploads' thumbnails, profile pictures).
pub async fn decode_in_budget<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MediaError> + Send + 'static,
) -> ApiResult<T> {
    let _slot = DECODES.acquire().await.map_err(anyhow::Error::from)?;
    match tokio::task::spawn_blocking(f).await {
        Ok(done) => Ok(done?),
        // A decoder that panics on a hostile file refuses that file, like any damaged one.
        Err(e) if e.is_panic() => {
            tracing::warn!("a decoder panicked on an upload: refused as damaged");
            Err(MediaError::Corrupt("it could not be read".into()).into())
        }
        Err(e) => Err(anyhow::Error::from(e).into()),
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
        // libheif is C++: HEIC photos are decoded by a drawing child, never in the server.
        FileKind::Heic => {
            let bytes = incoming.spool.read_all().await?;
            let thumb = drawing::photo(bytes, THUMBNAIL_EDGE, THUMBNAIL_JPEG_QUALITY).await;
            thumbnail = Some(thumb.map_err(|e| e.into_upload_error("the HEIC photo"))?);
        }
        k if k.is_decodable_image() => {
            let bytes = incoming.spool.read_all().await?;
            let (thumb, pages) = decode_in_budget(move || {
                // A TIFF's every page is found and held to the budget; its first is the tile.
                let pages = (k == FileKind::Tiff).then(|| image_file::page_count(&bytes, k)).transpose()?;
                let img = image_file::decode_page(&bytes, k, 0)?;
                Ok((image_file::thumbnail_jpeg(&img, THUMBNAIL_EDGE)?, pages))
            })
            .await?;
            thumbnail = Some(thumb);
            page_count = pages.map(|n| n as i64);
        }
        FileKind::Dicom => {
            let bytes = incoming.spool.read_all().await?;
            thumbnail = decode_in_budget(move || DicomFile::parse(&bytes)?.thumbnail_jpeg(THUMBNAIL_EDGE)).await?;
        }
        _ => {}
    }
    Ok(Checked { incoming, kind, thumbnail, page_count })
}
