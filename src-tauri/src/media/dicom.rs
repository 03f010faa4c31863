//! DICOM in the viewer: what the file says (frames, its window, the values it spans, the
//! patient and study it names, its pixel spacing) and a frame drawn at the window the doctor
//! chose. The last decoded frame is kept, so dragging the window redraws it without decoding
//! again; frames reach the web view as BMP (no compression to wait for).

use super::scale::ImageScale;
use super::source::{self, Source};
use crate::error::{CommandError, CommandResult, LocalCode};
use clinicdocs_core::api::Document;
use clinicdocs_core::media::dicom::{Decoded, DicomDetails, DicomFile, SpacingSource, Voi, Window, WindowShape};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use ts_rs::TS;
use uuid::Uuid;

/// What the viewer shows of a DICOM file beside its picture.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DicomView {
    pub frames: u32,
    pub width: u32,
    pub height: u32,
    pub colour: bool,
    /// The file's own window, if it states one (the window "Reset" returns to).
    pub window: Option<Window>,
    /// The window the file's own display amounts to: its window, or the frame's whole range.
    pub start_window: Option<Window>,
    /// Lowest and highest value of the middle frame (grey images).
    pub value_low: Option<f32>,
    pub value_high: Option<f32>,
    pub details: DicomDetails,
    pub spacing_source: Option<SpacingSource>,
    /// Why the image cannot be drawn here, when it cannot (the file can still be downloaded).
    pub undisplayable: Option<String>,
}

/// The last frame decoded for the viewer: (document, frame) and its values.
#[derive(Default)]
pub struct DecodedFrames {
    last: Mutex<Option<(Uuid, u32, Arc<Decoded>)>>,
}

impl DecodedFrames {
    fn get(&self, id: Uuid, frame: u32) -> Option<Arc<Decoded>> {
        let last = self.last.lock().ok()?;
        last.as_ref().filter(|(d, f, _)| *d == id && *f == frame).map(|(_, _, v)| v.clone())
    }

    fn keep(&self, id: Uuid, frame: u32, decoded: Arc<Decoded>) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some((id, frame, decoded));
        }
    }

    /// Forgets the kept frame (signing out).
    pub fn clear(&self) {
        if let Ok(mut last) = self.last.lock() {
            *last = None;
        }
    }
}

fn failed(e: impl std::fmt::Display) -> CommandError {
    CommandError::local(LocalCode::PdfUnavailable, e.to_string())
}

async fn parsed(src: &Source<'_>, doc: &Document) -> CommandResult<Arc<DicomFile>> {
    let bytes = source::original(src, doc).await?;
    tokio::task::spawn_blocking(move || DicomFile::parse(&bytes).map(Arc::new).map_err(failed)).await.map_err(failed)?
}

/// The viewer's facts about a DICOM document.
pub async fn view(src: &Source<'_>, doc: &Document) -> CommandResult<DicomView> {
    let file = parsed(src, doc).await?;
    tokio::task::spawn_blocking(move || {
        let facts = file.image.as_ref();
        let mut view = DicomView {
            frames: facts.map_or(0, |f| f.frames),
            width: facts.map_or(0, |f| f.width),
            height: facts.map_or(0, |f| f.height),
            colour: facts.is_some_and(|f| f.samples_per_pixel == 3),
            window: facts.and_then(|f| f.window),
            start_window: None,
            value_low: None,
            value_high: None,
            details: file.details.clone(),
            spacing_source: facts.and_then(|f| f.spacing).map(|(_, s)| s),
            undisplayable: None,
        };
        match file.decode(file.thumbnail_frame()) {
            Ok(Decoded::Grey(g)) => {
                view.value_low = Some(g.range.0);
                view.value_high = Some(g.range.1);
                let (lo, hi) = (f64::from(g.range.0), f64::from(g.range.1));
                view.start_window = view.window.or(Some(Window { center: (lo + hi) / 2.0, width: (hi - lo).max(1.0) }));
            }
            Ok(Decoded::Colour(_)) => {}
            Err(e) => view.undisplayable = Some(e.to_string()),
        }
        view
    })
    .await
    .map_err(failed)
}

/// Frame `frame` (0-based) as a BMP, at `window` (or the file's own display).
pub async fn frame(
    src: &Source<'_>,
    frames: &DecodedFrames,
    doc: &Document,
    frame: u32,
    window: Option<Window>,
) -> CommandResult<Vec<u8>> {
    let decoded = match frames.get(doc.id, frame) {
        Some(d) => d,
        None => {
            let file = parsed(src, doc).await?;
            let (decoded, voi) = tokio::task::spawn_blocking(move || {
                file.decode(frame).map(|d| (Arc::new(d), file.default_voi())).map_err(failed)
            })
            .await
            .map_err(failed)??;
            frames.keep(doc.id, frame, decoded.clone());
            if window.is_none() {
                return draw(decoded, voi.unwrap_or(Voi::Range)).await;
            }
            decoded
        }
    };
    let voi = match window {
        Some(w) => Voi::Window(w, WindowShape::Linear),
        None => parsed(src, doc).await?.default_voi().unwrap_or(Voi::Range),
    };
    draw(decoded, voi).await
}

/// Which frame, at which window, an export draws: what the viewer shows.
#[derive(Debug, Clone, Copy, serde::Deserialize, TS)]
pub struct DicomAt {
    pub frame: u32,
    pub window: Option<Window>,
}

/// The frame the doctor is looking at, drawn at their window, and the scale its measures are
/// labelled in: what an export with marks paints on.
pub fn drawn_for_export(bytes: &[u8], at: DicomAt) -> CommandResult<(image::DynamicImage, ImageScale)> {
    let file = DicomFile::parse(bytes).map_err(failed)?;
    let decoded = file.decode(at.frame).map_err(failed)?;
    let voi =
        at.window.map(|w| Voi::Window(w, WindowShape::Linear)).or_else(|| file.default_voi()).unwrap_or(Voi::Range);
    let image = decoded.draw(&voi).image;
    let spacing = file.image.as_ref().and_then(|f| f.spacing).map(|(s, _)| s);
    let scale = ImageScale { width: f64::from(image.width()), height: f64::from(image.height()), spacing };
    Ok((image, scale))
}

async fn draw(decoded: Arc<Decoded>, voi: Voi) -> CommandResult<Vec<u8>> {
    tokio::task::spawn_blocking(move || {
        let image = decoded.draw(&voi).image;
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Bmp).map_err(failed)?;
        Ok(out.into_inner())
    })
    .await
    .map_err(failed)?
}
