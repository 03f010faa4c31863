//! Raster images: structural checks (truncation, data hidden after the end), a pixel budget
//! against decompression bombs, and JPEG thumbnails with EXIF orientation applied. HEIC photos
//! are read by [`super::heic`]; a TIFF's later pages through [`super::tiff_pages`].

use super::{heic, tiff_pages, FileKind, MediaError};
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
        // Every page within the budget, not only the first; the size is the first page's.
        FileKind::Tiff => {
            let first = tiff_pages::pages(bytes)?[0];
            return Ok((first.width, first.height));
        }
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
    match kind {
        FileKind::Heic => return heic::decode(bytes),
        FileKind::Tiff => return decode_page(bytes, kind, 0),
        _ => {}
    }
    let (w, h) = inspect(bytes, kind)?;
    let fmt = format(kind).ok_or(MediaError::Unsupported("an image format this server cannot read"))?;
    decode_from(ImageReader::with_format(Cursor::new(bytes), fmt), w, h)
}

/// Page `index` (from 0) of a multi-page TIFF, upright (reduced-resolution copies are not
/// pages); the picture itself for any other kind.
pub fn decode_page(bytes: &[u8], kind: FileKind, index: usize) -> Result<DynamicImage, MediaError> {
    if kind != FileKind::Tiff {
        return decode(bytes, kind);
    }
    let pages = tiff_pages::pages(bytes)?;
    let page = pages
        .get(index)
        .ok_or_else(|| MediaError::Corrupt(format!("the TIFF has {} pages, not {}", pages.len(), index + 1)))?;
    let Some(palette) = &page.palette else {
        let view = std::io::BufReader::new(tiff_pages::PageFirst::new(bytes, page)?);
        return decode_from(ImageReader::with_format(view, ImageFormat::Tiff), page.width, page.height);
    };
    // Palette colours (some scanners save so; the image decoder reads none): the TIFF decoder
    // reads the indices as if they were grey levels, and the page's colour map colours them.
    let tiff_error = |e: tiff::TiffError| match e {
        tiff::TiffError::UnsupportedError(u) => MediaError::UnsupportedEncoding(short(&u.to_string())),
        tiff::TiffError::LimitsExceeded => MediaError::TooManyPixels { width: page.width, height: page.height },
        other => MediaError::Corrupt(short(&other.to_string())),
    };
    let mut decoder = tiff::decoder::Decoder::new(tiff_pages::PageFirst::indices(bytes, page)?).map_err(tiff_error)?;
    let (w, h) = decoder.dimensions().map_err(tiff_error)?;
    let tiff::decoder::DecodingResult::U8(packed) = decoder.read_image().map_err(tiff_error)? else {
        return Err(MediaError::UnsupportedEncoding("palette indices wider than 8 bits".into()));
    };
    let colours = tiff_pages::palette_colours(bytes, palette)?;
    // Rows are padded to whole bytes; an index of `bits` bits, the first in the high bits.
    let bits = usize::from(palette.bits);
    let row = (w as usize * bits).div_ceil(8);
    if packed.len() < row * h as usize {
        return Err(MediaError::Corrupt("the TIFF's picture ends early".into()));
    }
    let mask = (1u16 << bits) - 1;
    let rgb = image::RgbImage::from_fn(w, h, |x, y| {
        let at = x as usize * bits;
        let byte = u16::from(packed[y as usize * row + at / 8]);
        let index = (byte >> (8 - bits - at % 8)) & mask;
        image::Rgb(colours.get(usize::from(index)).copied().unwrap_or([0, 0, 0]))
    });
    Ok(DynamicImage::ImageRgb8(rgb))
}

/// How many pages a picture has: a TIFF's full-resolution pages, 1 for the others.
pub fn page_count(bytes: &[u8], kind: FileKind) -> Result<usize, MediaError> {
    match kind {
        FileKind::Tiff => Ok(tiff_pages::pages(bytes)?.len()),
        _ => Ok(1),
    }
}

fn decode_from<R: std::io::BufRead + std::io::Seek>(
    mut reader: ImageReader<R>,
    w: u32,
    h: u32,
) -> Result<DynamicImage, MediaError> {
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
        image::ImageError::Unsupported(u) => MediaError::UnsupportedEncoding(short(&u.to_string())),
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

    #[test]
    fn every_page_of_a_multipage_tiff_decodes_and_counts() {
        use crate::media::tiff_pages::fixtures::{grey, multipage};
        let file = multipage(&[grey(40, 30, 10), grey(50, 20, 128), grey(60, 70, 240)]);
        assert_eq!(page_count(&file, FileKind::Tiff), Ok(3));
        let inspected = crate::media::inspect_document(&file).expect("accepted");
        assert_eq!((inspected.dimensions, inspected.page_count), (Some((40, 30)), Some(3)));
        for (i, (w, h, level)) in [(40, 30, 10), (50, 20, 128), (60, 70, 240)].into_iter().enumerate() {
            let img = decode_page(&file, FileKind::Tiff, i).expect("page");
            assert_eq!(
                (img.width(), img.height(), img.to_luma8().get_pixel(1, 1).0[0]),
                (w, h, level),
                "page {}",
                i + 1
            );
        }
        assert!(matches!(decode_page(&file, FileKind::Tiff, 3), Err(MediaError::Corrupt(_))), "no page 4");
    }

    #[test]
    fn a_palette_tiff_is_shown_in_its_colours() {
        use crate::media::tiff_pages::fixtures::palette;
        let file = palette(40, 20, |x, _| u8::from(x >= 20), &[[200, 30, 30], [20, 40, 220]]);
        assert_eq!(inspect(&file, FileKind::Tiff), Ok((40, 20)));
        let img = decode(&file, FileKind::Tiff).expect("decodes").to_rgb8();
        assert_eq!((img.get_pixel(5, 10).0, img.get_pixel(35, 10).0), ([200, 30, 30], [20, 40, 220]));
    }

    #[test]
    fn a_tiff_in_an_encoding_the_decoder_lacks_is_refused_as_unsupported_not_damaged() {
        use crate::media::tiff_pages::fixtures::palette;
        // A CCITT Group 3 fax (compression 3), which the decoder does not read.
        let mut file = palette(16, 8, |_, _| 0, &[[0, 0, 0]]);
        let compression = 8 + 2 + 3 * 12 + 8; // the fourth entry's value
        file[compression..compression + 2].copy_from_slice(&3u16.to_le_bytes());
        let err = decode(&file, FileKind::Tiff).expect_err("refused");
        assert!(matches!(err, MediaError::UnsupportedEncoding(_)), "{err:?}");
        assert!(err.to_string().contains("Save it again"), "{err}");
    }

    #[test]
    fn palette_tiffs_as_imagemagick_writes_them_are_drawn_as_it_draws_them() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for name in ["palette-1bit-lzw", "palette-4bit-lzw", "palette-8bit-zip"] {
            let tiff = std::fs::read(fixtures.join(format!("{name}.tif"))).expect("fixture");
            let reference = image::open(fixtures.join(format!("{name}.reference.png"))).expect("reference").to_rgb8();
            let ours = decode(&tiff, FileKind::Tiff).unwrap_or_else(|e| panic!("{name}: {e}")).to_rgb8();
            assert_eq!(ours.dimensions(), reference.dimensions(), "{name}");
            // Within one level: the 8-bit map's 16-bit values are rounded to 8 bits a little
            // differently by ImageMagick; a wrong index or a wrong unpacking is far off.
            let off = |a: &image::Rgb<u8>, b: &image::Rgb<u8>| a.0.iter().zip(b.0).map(|(x, y)| x.abs_diff(y)).max();
            let worst = ours.pixels().zip(reference.pixels()).filter_map(|(a, b)| off(a, b)).max();
            assert!(worst <= Some(1), "{name}: a pixel differs from ImageMagick's by {worst:?} levels");
        }
    }
}
