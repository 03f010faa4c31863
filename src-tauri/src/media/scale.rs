//! What a length drawn on a picture is measured in: the picture's own pixel size as shown
//! (upright, after its EXIF orientation) and, when the file states a believable one, its pixel
//! spacing in millimetres ([`clinicdocs_core::media::spacing`]). The viewer and the export both
//! label measurements from this, whatever size the picture is drawn at.

use super::exif::jpeg_orientation;
use clinicdocs_core::media::dicom::DicomFile;
use clinicdocs_core::media::image_file::inspect;
use clinicdocs_core::media::spacing::{pixel_spacing, PixelSpacing};
use clinicdocs_core::media::FileKind;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct ImageScale {
    /// Pixels across and down, upright.
    pub width: f64,
    pub height: f64,
    /// Millimetres per pixel across and down, upright; `None` when the file does not say.
    pub spacing: Option<PixelSpacing>,
}

/// The scale of a picture; `None` for what is not a readable picture.
pub fn image_scale(bytes: &[u8], kind: FileKind) -> Option<ImageScale> {
    if kind == FileKind::Dicom {
        // Pixel Spacing, else Imager Pixel Spacing (the viewer says which).
        let facts = DicomFile::parse(bytes).ok()?.image?;
        return Some(ImageScale {
            width: f64::from(facts.width),
            height: f64::from(facts.height),
            spacing: facts.spacing.map(|(s, _)| s),
        });
    }
    if !kind.is_decodable_image() {
        return None;
    }
    let (w, h) = inspect(bytes, kind).ok()?;
    let spacing = pixel_spacing(bytes, kind);
    // EXIF orientations 5–8 turn the picture a quarter: across becomes down.
    let turned = kind == FileKind::Jpeg && jpeg_orientation(bytes).is_some_and(|o| o >= 5);
    Some(if turned {
        ImageScale {
            width: f64::from(h),
            height: f64::from(w),
            spacing: spacing.map(|s| PixelSpacing { x: s.y, y: s.x }),
        }
    } else {
        ImageScale { width: f64::from(w), height: f64::from(h), spacing }
    })
}

/// "45.2 mm (123 px)", or "123 px" without a spacing: the measure label of a line from `from`
/// to `to` (page fractions). The viewer's `lengthLabel` says the same.
pub fn length_label(dx: f64, dy: f64, scale: &ImageScale) -> String {
    let (px, py) = (dx * scale.width, dy * scale.height);
    let pixels = format!("{} px", px.hypot(py).round());
    match scale.spacing {
        Some(s) => format!("{:.1} mm ({pixels})", (px * s.x).hypot(py * s.y)),
        None => pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measure_reads_in_millimetres_only_when_the_picture_states_its_spacing() {
        let s = ImageScale { width: 1000.0, height: 500.0, spacing: Some(PixelSpacing { x: 0.1, y: 0.1 }) };
        // 0.3 of 1000 px across, 0.8 of 500 px down: 300 × 400 px = 500 px = 50 mm.
        assert_eq!(length_label(0.3, 0.8, &s), "50.0 mm (500 px)");
        assert_eq!(length_label(0.3, 0.8, &ImageScale { spacing: None, ..s }), "500 px");
    }
}
