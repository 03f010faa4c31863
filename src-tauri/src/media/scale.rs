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

/// "37.5°": the angle at `vertex` between the arms to `from` and `to` (page fractions), in the
/// picture's real proportions: its pixels across and down, each as wide as its spacing says.
/// The viewer's `angleLabel` says the same.
pub fn angle_label(from: (f64, f64), vertex: (f64, f64), to: (f64, f64), scale: &ImageScale) -> String {
    let (sx, sy) = scale.spacing.map_or((1.0, 1.0), |s| (s.x, s.y));
    let arm = |p: (f64, f64)| ((p.0 - vertex.0) * scale.width * sx, (p.1 - vertex.1) * scale.height * sy);
    let (a, b) = (arm(from), arm(to));
    let degrees = (a.0 * b.1 - a.1 * b.0).abs().atan2(a.0 * b.0 + a.1 * b.1).to_degrees();
    format!("{degrees:.1}°")
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

    #[test]
    fn an_angle_is_read_in_the_pictures_real_proportions() {
        // Arms along the page's diagonals of a 2:1 page: 0.5 across is 1000 px, 0.5 down 500 px.
        let s = ImageScale { width: 2000.0, height: 1000.0, spacing: None };
        let (f, v, t) = ((0.0, 0.0), (0.5, 0.5), (1.0, 0.0));
        // Arms (-1000, -500) and (1000, -500): 2 × atan(1000 / 500) = 126.9°.
        assert_eq!(angle_label(f, v, t, &s), "126.9°");
        // Pixels twice as tall as wide make the same arms (-1000, -1000) and (1000, -1000): 90°.
        let tall = ImageScale { spacing: Some(PixelSpacing { x: 0.1, y: 0.2 }), ..s };
        assert_eq!(angle_label(f, v, t, &tall), "90.0°");
        assert_eq!(angle_label((0.1, 0.5), (0.5, 0.5), (0.9, 0.5), &s), "180.0°");
    }
}
