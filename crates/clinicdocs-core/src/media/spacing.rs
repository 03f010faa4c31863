//! How far apart an image's pixels are, when the file says so: PNG `pHYs` (pixels per metre),
//! JPEG JFIF density or EXIF resolution (per inch or per centimetre), TIFF resolution tags. A
//! length measured on an X-ray scanned at a stated resolution can then be given in millimetres.
//! The placeholder values programs write when they know nothing (72 or 96 dpi, 1 pixel per
//! unit, aspect ratio only) are not taken for a measurement: a wrong millimetre figure on a
//! clinical image is worse than none.

use super::ifd::{jpeg_exif, jpeg_segment, Ifd};
use super::FileKind;
use serde::{Deserialize, Serialize};

/// Millimetres per pixel, across and down.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PixelSpacing {
    pub x: f64,
    pub y: f64,
}

/// The spacing the file states, if it states a believable one.
pub fn pixel_spacing(bytes: &[u8], kind: FileKind) -> Option<PixelSpacing> {
    let s = match kind {
        FileKind::Png => png_phys(bytes),
        FileKind::Jpeg => jfif_density(bytes).or_else(|| resolution(&Ifd::first(jpeg_exif(bytes)?)?)),
        FileKind::Tiff => resolution(&Ifd::first(bytes)?),
        _ => None,
    }?;
    (believable(s.x) && believable(s.y)).then_some(s)
}

/// Not a placeholder (72 or 96 dpi) and between 10 dpi and 0.1 µm per pixel.
fn believable(mm: f64) -> bool {
    let dpi = 25.4 / mm;
    mm.is_finite() && (10.0..=254_000.0).contains(&dpi) && (dpi - 72.0).abs() > 0.5 && (dpi - 96.0).abs() > 0.5
}

fn png_phys(png: &[u8]) -> Option<PixelSpacing> {
    let mut i = 8; // after the signature
    while i + 8 <= png.len() {
        let len = usize::try_from(u32::from_be_bytes(png[i..i + 4].try_into().ok()?)).ok()?;
        let kind = &png[i + 4..i + 8];
        if kind == b"IDAT" || kind == b"IEND" {
            return None; // pHYs comes before the image data
        }
        if kind == b"pHYs" && len == 9 {
            let d = png.get(i + 8..i + 17)?;
            let x = u32::from_be_bytes(d[0..4].try_into().ok()?);
            let y = u32::from_be_bytes(d[4..8].try_into().ok()?);
            // Unit 1 is the metre; unit 0 only states the aspect ratio.
            return (d[8] == 1 && x > 1 && y > 1)
                .then(|| PixelSpacing { x: 1000.0 / f64::from(x), y: 1000.0 / f64::from(y) });
        }
        i = i.checked_add(12)?.checked_add(len)?;
    }
    None
}

fn jfif_density(jpeg: &[u8]) -> Option<PixelSpacing> {
    let j = jpeg_segment(jpeg, 0xE0, b"JFIF\0")?;
    let (units, x, y) =
        (*j.get(2)?, u16::from_be_bytes([*j.get(3)?, *j.get(4)?]), u16::from_be_bytes([*j.get(5)?, *j.get(6)?]));
    let per = match units {
        1 => 25.4, // dots per inch
        2 => 10.0, // dots per centimetre
        _ => return None,
    };
    (x > 1 && y > 1).then(|| PixelSpacing { x: per / f64::from(x), y: per / f64::from(y) })
}

/// XResolution / YResolution with ResolutionUnit (2 inch, the default; 3 centimetre).
fn resolution(ifd: &Ifd<'_>) -> Option<PixelSpacing> {
    let per = match ifd.number(0x0128).unwrap_or(2) {
        2 => 25.4,
        3 => 10.0,
        _ => return None,
    };
    let (x, y) = (ifd.rational(0x011A)?, ifd.rational(0x011B)?);
    (x > 1.0 && y > 1.0).then(|| PixelSpacing { x: per / x, y: per / y })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_with(phys: Option<(u32, u32, u8)>) -> Vec<u8> {
        let img = image::RgbImage::new(4, 3);
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).expect("png");
        let plain = out.into_inner();
        let Some((x, y, unit)) = phys else { return plain };
        // pHYs goes right after IHDR (8 signature + 25 IHDR bytes).
        let mut data = Vec::new();
        data.extend_from_slice(&x.to_be_bytes());
        data.extend_from_slice(&y.to_be_bytes());
        data.push(unit);
        let mut chunk = 9u32.to_be_bytes().to_vec();
        chunk.extend_from_slice(b"pHYs");
        chunk.extend_from_slice(&data);
        chunk.extend_from_slice(&[0, 0, 0, 0]); // CRC, not checked here
        [&plain[..33], &chunk[..], &plain[33..]].concat()
    }

    fn jpeg_with_jfif(units: u8, x: u16, y: u16) -> Vec<u8> {
        let mut app0 = b"JFIF\0\x01\x02".to_vec();
        app0.push(units);
        app0.extend_from_slice(&x.to_be_bytes());
        app0.extend_from_slice(&y.to_be_bytes());
        app0.extend_from_slice(&[0, 0]);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
        out.extend_from_slice(&u16::try_from(app0.len() + 2).expect("len").to_be_bytes());
        out.extend_from_slice(&app0);
        out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        out
    }

    /// A little-endian TIFF header and one directory with X/YResolution and ResolutionUnit.
    fn tiff_with_resolution(x: u32, y: u32, unit: u16) -> Vec<u8> {
        let mut t = b"II\x2a\0\x08\0\0\0".to_vec();
        t.extend_from_slice(&3u16.to_le_bytes());
        let data_at = 8 + 2 + 3 * 12 + 4;
        for (tag, kind, value) in
            [(0x011Au16, 5u16, data_at as u32), (0x011B, 5, data_at as u32 + 8), (0x0128, 3, u32::from(unit))]
        {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&1u32.to_le_bytes());
            t.extend_from_slice(&value.to_le_bytes());
        }
        t.extend_from_slice(&0u32.to_le_bytes());
        for v in [x, y] {
            t.extend_from_slice(&v.to_le_bytes());
            t.extend_from_slice(&1u32.to_le_bytes());
        }
        t
    }

    fn close(s: Option<PixelSpacing>, x: f64, y: f64) -> bool {
        s.is_some_and(|s| (s.x - x).abs() < 1e-9 && (s.y - y).abs() < 1e-9)
    }

    #[test]
    fn a_png_scanned_at_a_stated_resolution_gives_millimetres_per_pixel() {
        // 10,000 pixels per metre = 0.1 mm per pixel (254 dpi); not square: 0.1 × 0.2 mm.
        assert!(close(pixel_spacing(&png_with(Some((10_000, 5_000, 1))), FileKind::Png), 0.1, 0.2));
        assert_eq!(pixel_spacing(&png_with(None), FileKind::Png), None, "no pHYs");
        assert_eq!(pixel_spacing(&png_with(Some((10_000, 10_000, 0))), FileKind::Png), None, "aspect only");
        assert_eq!(pixel_spacing(&png_with(Some((2835, 2835, 1))), FileKind::Png), None, "72 dpi is a placeholder");
        assert_eq!(pixel_spacing(&png_with(Some((3780, 3780, 1))), FileKind::Png), None, "96 dpi is a placeholder");
    }

    #[test]
    fn a_jpeg_states_it_in_jfif_or_exif_and_placeholders_are_not_trusted() {
        assert!(close(pixel_spacing(&jpeg_with_jfif(1, 300, 300), FileKind::Jpeg), 25.4 / 300.0, 25.4 / 300.0));
        assert!(close(pixel_spacing(&jpeg_with_jfif(2, 50, 50), FileKind::Jpeg), 0.2, 0.2));
        assert_eq!(pixel_spacing(&jpeg_with_jfif(1, 72, 72), FileKind::Jpeg), None);
        assert_eq!(pixel_spacing(&jpeg_with_jfif(0, 1, 1), FileKind::Jpeg), None);
        let tiff = tiff_with_resolution(600, 600, 2);
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&tiff);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend_from_slice(&u16::try_from(exif.len() + 2).expect("len").to_be_bytes());
        jpeg.extend_from_slice(&exif);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        assert!(close(pixel_spacing(&jpeg, FileKind::Jpeg), 25.4 / 600.0, 25.4 / 600.0));
    }

    #[test]
    fn a_tiff_states_it_in_its_resolution_tags() {
        assert!(close(pixel_spacing(&tiff_with_resolution(40, 40, 3), FileKind::Tiff), 0.25, 0.25));
        assert_eq!(pixel_spacing(&tiff_with_resolution(96, 96, 2), FileKind::Tiff), None);
        assert_eq!(pixel_spacing(&tiff_with_resolution(300, 300, 1), FileKind::Tiff), None, "no unit");
    }

    #[test]
    fn broken_or_hostile_headers_give_nothing_and_do_not_panic() {
        let mut cut = png_with(Some((10_000, 10_000, 1)));
        cut.truncate(40);
        assert_eq!(pixel_spacing(&cut, FileKind::Png), None);
        let mut huge = png_with(None);
        huge[33..37].copy_from_slice(&u32::MAX.to_be_bytes()); // a chunk length past the end
        assert_eq!(pixel_spacing(&huge, FileKind::Png), None);
        assert_eq!(pixel_spacing(b"II\x2a\0\xff\xff\xff\x7f", FileKind::Tiff), None);
        assert_eq!(pixel_spacing(&[0xFF, 0xD8], FileKind::Jpeg), None);
        assert_eq!(pixel_spacing(b"%PDF-1.4", FileKind::Pdf), None);
    }
}
