//! Raster images: structural checks (truncation, data hidden after the end), a pixel budget
//! against decompression bombs, and JPEG thumbnails with EXIF orientation applied. HEIC photos
//! are read by [`super::heic`].

use super::{heic, FileKind, MediaError};
use crate::limits::{MAX_IMAGE_ALLOC_BYTES, MAX_IMAGE_PIXELS};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// JPEG quality of thumbnails and profile pictures: small files, no visible blocks at their size.
pub const THUMBNAIL_JPEG_QUALITY: u8 = 82;

fn format(kind: FileKind) -> Option<ImageFormat> {
    match kind {
        FileKind::Jpeg => Some(ImageFormat::Jpeg),
        FileKind::Png => Some(ImageFormat::Png),
        FileKind::Tiff => Some(ImageFormat::Tiff),
        FileKind::Webp => Some(ImageFormat::WebP),
        FileKind::Bmp => Some(ImageFormat::Bmp),
        _ => None,
    }
}

/// Refuses a BMP shorter than its header says (the size it states, or where its pixels start);
/// a stated size of 0, which some writers leave, is not held against it.
pub fn check_bmp_structure(bytes: &[u8]) -> Result<(), MediaError> {
    let word = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let ends_early = || MediaError::Corrupt("the BMP ends early".into());
    let (size, pixels) = (word(2).ok_or_else(ends_early)?, word(10).ok_or_else(ends_early)?);
    if size > bytes.len() || pixels >= bytes.len() {
        return Err(ends_early());
    }
    Ok(())
}

/// Walks a PNG's chunks: refuses a file cut short and one with bytes after `IEND`
/// (e.g. a ZIP appended to make a polyglot).
pub fn check_png_structure(bytes: &[u8]) -> Result<(), MediaError> {
    let mut pos = 8usize;
    loop {
        let header = bytes.get(pos..pos + 8).ok_or_else(|| MediaError::Corrupt("the PNG ends early".into()))?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let end = pos
            .checked_add(12)
            .and_then(|p| p.checked_add(len))
            .ok_or_else(|| MediaError::Corrupt("a PNG chunk is malformed".into()))?;
        if end > bytes.len() {
            return Err(MediaError::Corrupt("the PNG ends early".into()));
        }
        pos = end;
        if kind == b"IEND" {
            break;
        }
    }
    if pos < bytes.len() {
        return Err(MediaError::TrailingData);
    }
    Ok(())
}

/// A JPEG must end with its end-of-image marker (trailing zero padding allowed).
pub fn check_jpeg_structure(bytes: &[u8]) -> Result<(), MediaError> {
    let trimmed = bytes.iter().rposition(|&b| b != 0).map_or(&bytes[..0], |i| &bytes[..=i]);
    if trimmed.ends_with(&[0xff, 0xd9]) {
        Ok(())
    } else {
        Err(MediaError::Corrupt("the JPEG ends early".into()))
    }
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_alloc = Some(MAX_IMAGE_ALLOC_BYTES);
    l
}

/// Structure and size checks for any decodable image; returns its dimensions.
pub fn inspect(bytes: &[u8], kind: FileKind) -> Result<(u32, u32), MediaError> {
    match kind {
        FileKind::Png => check_png_structure(bytes)?,
        FileKind::Jpeg => check_jpeg_structure(bytes)?,
        FileKind::Bmp => check_bmp_structure(bytes)?,
        FileKind::Heic => return heic::dimensions(bytes),
        _ => {}
    }
    let Some(fmt) = format(kind) else {
        return Err(MediaError::Unsupported("an image format this server cannot read"));
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    reader.limits(limits());
    let (w, h) = reader.into_dimensions().map_err(|e| MediaError::Corrupt(short(&e.to_string())))?;
    if w == 0 || h == 0 {
        return Err(MediaError::Corrupt("the image has no pixels".into()));
    }
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(MediaError::TooManyPixels { width: w, height: h });
    }
    Ok((w, h))
}

/// Decodes (after [`inspect`]) and returns the upright image.
pub fn decode(bytes: &[u8], kind: FileKind) -> Result<DynamicImage, MediaError> {
    if kind == FileKind::Heic {
        return heic::decode(bytes);
    }
    let (w, h) = inspect(bytes, kind)?;
    let fmt = format(kind).ok_or(MediaError::Unsupported("an image format this server cannot read"))?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(e, w, h))?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, w, h))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

fn decode_error(e: image::ImageError, width: u32, height: u32) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels { width, height },
        other => MediaError::Corrupt(short(&other.to_string())),
    }
}

fn short(s: &str) -> String {
    let mut s = s.to_string();
    s.truncate(120);
    s
}

/// A JPEG no larger than `edge` on its longest side, aspect ratio kept.
pub fn thumbnail_jpeg(img: &DynamicImage, edge: u32) -> Result<Vec<u8>, MediaError> {
    fitted_jpeg(img, edge, THUMBNAIL_JPEG_QUALITY)
}

/// A JPEG no larger than `edge` on its longest side at `quality` (1–100), aspect ratio kept.
pub fn fitted_jpeg(img: &DynamicImage, edge: u32, quality: u8) -> Result<Vec<u8>, MediaError> {
    let small = if img.width() > edge || img.height() > edge { img.thumbnail(edge, edge) } else { img.clone() };
    let rgb = DynamicImage::ImageRgb8(small.to_rgb8());
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    rgb.write_with_encoder(enc).map_err(|e| MediaError::Corrupt(short(&e.to_string())))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128u8]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).expect("encode");
        out
    }

    #[test]
    fn thumbnail_keeps_aspect_ratio_within_the_edge() {
        let bytes = png(1000, 500);
        let img = decode(&bytes, FileKind::Png).expect("decode");
        let thumb = thumbnail_jpeg(&img, 256).expect("thumb");
        let t = image::load_from_memory(&thumb).expect("reload");
        assert_eq!((t.width(), t.height()), (256, 128));
    }

    #[test]
    fn png_with_appended_zip_is_refused() {
        let mut bytes = png(10, 10);
        bytes.extend_from_slice(b"PK\x03\x04 hidden archive");
        assert_eq!(inspect(&bytes, FileKind::Png), Err(MediaError::TrailingData));
    }

    #[test]
    fn truncated_png_is_corrupt() {
        let bytes = png(50, 50);
        assert!(matches!(inspect(&bytes[..bytes.len() - 20], FileKind::Png), Err(MediaError::Corrupt(_))));
    }
}
