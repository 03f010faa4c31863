//! PDF tiles, drawn after the upload was answered: one worker takes the live PDFs that have no
//! thumbnail — new uploads (each commit nudges it) and those stored before this server drew
//! them — oldest first, draws page 1 through [`crate::drawing`], stores it beside the
//! original and records it on the row. That change bumps the clinic's document version, so the
//! next listing says `has_thumbnail`. A PDF the engine cannot draw is left without a tile (the
//! desktop then draws its own) until the server starts again.

use crate::drawing::{self, DrawError, PageSize};
use crate::state::AppState;
use clinicdocs_core::limits::THUMBNAIL_EDGE;
use clinicdocs_core::storage_key::thumbnail_key;
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

/// PDFs read from the database per round.
const BATCH: i64 = 20;
/// How long the worker rests after the database or the store failed, or the drawing was busy.
const REST: Duration = Duration::from_secs(30);

/// Starts the worker, when this server draws PDF pages. It runs until the server stops.
pub fn start(state: AppState) {
    if !drawing::pdf_available() {
        tracing::warn!("PDF thumbnails are not drawn: libpdfium was not found (set CLINICDOCS_PDFIUM)");
        return;
    }
    tokio::spawn(async move {
        let mut skipped: HashSet<Uuid> = HashSet::new();
        loop {
            match round(&state, &mut skipped).await {
                Ok(0) => state.pdf_thumbnails.notified().await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "PDF thumbnails paused");
                    tokio::time::sleep(REST).await;
                }
            }
        }
    });
}

/// Draws the next PDFs waiting for a tile; returns how many it tried.
async fn round(state: &AppState, skipped: &mut HashSet<Uuid>) -> anyhow::Result<usize> {
    let limit = BATCH + i64::try_from(skipped.len()).unwrap_or(i64::MAX - BATCH);
    let waiting = state.db.documents().pdfs_without_thumbnail(limit).await?;
    let todo: Vec<_> = waiting.into_iter().filter(|d| !skipped.contains(&d.doc.id)).collect();
    for row in &todo {
        let got = state.storage.get(&row.storage_key, None).await?;
        let pdf = got.bytes().await?;
        let jpeg = match drawing::pdf_page(pdf, 1, PageSize::LongEdge(THUMBNAIL_EDGE)).await {
            Ok(jpeg) => jpeg,
            Err(DrawError::Busy) => return Err(anyhow::anyhow!("the drawing processes are busy")),
            Err(e) => {
                tracing::warn!(document = %row.doc.id, error = %e, "no thumbnail for this PDF");
                skipped.insert(row.doc.id);
                continue;
            }
        };
        let key = thumbnail_key(&row.storage_key);
        state.storage.put_bytes(&key, jpeg, "image/jpeg", None).await?;
        if !state.db.documents().set_thumbnail(row.doc.org_id, row.doc.id, &key).await? {
            // Deleted while its tile was drawn.
            state.storage.delete_all(&[key]).await;
        }
    }
    Ok(todo.len())
}
