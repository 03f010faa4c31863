//! The checks on a received file's bytes: its type decided from them, executables and
//! disguised files refused, PDFs that need a password or end early refused, images decoded
//! within the pixel budget and given a thumbnail.

use super::inspector::Incoming;
use crate::error::ApiResult;
use clinicdocs_core::limits::THUMBNAIL_EDGE;
use clinicdocs_core::media::{self, image_file, sniff, FileKind, MediaError};

/// A file whose bytes passed every check.
#[derive(Debug)]
pub struct Checked {
    pub incoming: Incoming,
    pub kind: FileKind,
    pub thumbnail: Option<Vec<u8>>,
    pub page_count: Option<i64>,
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
