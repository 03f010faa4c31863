//! Thumbnails made on the workstation. JPEGs are decoded at 1/2, 1/4 or 1/8 scale by
//! libjpeg-turbo (DCT scale-on-decode) so a 12-megapixel photo is never fully decoded, then
//! resized with a Lanczos3 filter and turned upright per EXIF. Other raster formats go through
//! the shared crate's guarded decoder; PDFs through pdfium (first page); DICOM through the
//! shared crate's display pipeline (middle frame, the file's window).

use super::{exif, pdf};
use clinicdocs_core::media::dicom::DicomFile;
use clinicdocs_core::media::{image_file, FileKind, MediaError};
use fast_image_resize as fr;
use image::{DynamicImage, RgbImage};

/// JPEG quality of thumbnails and converted pictures: the shared crate's, as the server's.
pub const JPEG_QUALITY: i32 = image_file::THUMBNAIL_JPEG_QUALITY as i32;

#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("{0}")]
    Pdf(#[from] pdf::PdfError),
    #[error("image processing failed: {0}")]
    Process(String),
    #[error("no preview for this type of file")]
    NoPreview,
}

fn process<E: std::fmt::Display>(e: E) -> ThumbError {
    ThumbError::Process(e.to_string())
}

/// A JPEG of at most `edge` pixels on its longest side.
pub fn thumbnail(bytes: &[u8], kind: FileKind, edge: u32) -> Result<Vec<u8>, ThumbError> {
    match kind {
        FileKind::Jpeg => jpeg_thumbnail(bytes, edge).or_else(|_| generic(bytes, kind, edge)),
        k if k.is_decodable_image() => generic(bytes, kind, edge),
        FileKind::Pdf => Ok(pdf::render_page(bytes, 0, pdf::Size::LongEdge(edge))?),
        FileKind::Dicom => {
            let file = DicomFile::parse(bytes)?;
            let drawn = file.render(file.thumbnail_frame(), None).map_err(process)?;
            Ok(image_file::thumbnail_jpeg(&drawn.image, edge)?)
        }
        _ => Err(ThumbError::NoPreview),
    }
}

/// Scale-on-decode, then Lanczos3, upright per EXIF, encoded.
pub fn jpeg_thumbnail(bytes: &[u8], edge: u32) -> Result<Vec<u8>, ThumbError> {
    let rgb = decode_scaled(bytes, edge)?;
    let mut small = resize_rgb(rgb, edge)?;
    if let Some(o) = exif::jpeg_orientation(bytes).and_then(image::metadata::Orientation::from_exif) {
        let mut dynimg = DynamicImage::ImageRgb8(small);
        dynimg.apply_orientation(o);
        small = dynimg.into_rgb8();
    }
    encode_rgb(&small, JPEG_QUALITY)
}

/// A JPEG decoded at the smallest libjpeg-turbo scale (1/8, 1/4, 1/2 or whole) whose result
/// still covers `edge`, within the pixel budget: the floor of the JPEG path, which the media
/// benchmark measures on its own.
pub fn decode_scaled(bytes: &[u8], edge: u32) -> Result<RgbImage, ThumbError> {
    let (w, h) = image_file::inspect(bytes, FileKind::Jpeg)?; // pixel budget first
    let mut d = turbojpeg::Decompressor::new().map_err(process)?;
    let long = w.max(h);
    let den = [8u32, 4, 2, 1].into_iter().find(|d| long / d >= edge).unwrap_or(1);
    let factor = turbojpeg::ScalingFactor::new(1, den as usize);
    d.set_scaling_factor(factor).map_err(process)?;
    let header = d.read_header(bytes).map_err(process)?.scaled(factor);
    let mut img = turbojpeg::Image {
        pixels: vec![0u8; header.width * header.height * 3],
        width: header.width,
        pitch: header.width * 3,
        height: header.height,
        format: turbojpeg::PixelFormat::RGB,
    };
    d.decompress(bytes, img.as_deref_mut()).map_err(process)?;
    RgbImage::from_raw(to_u32(header.width)?, to_u32(header.height)?, img.pixels)
        .ok_or_else(|| process("decoded size mismatch"))
}

fn to_u32(n: usize) -> Result<u32, ThumbError> {
    u32::try_from(n).map_err(process)
}

fn generic(bytes: &[u8], kind: FileKind, edge: u32) -> Result<Vec<u8>, ThumbError> {
    let img = image_file::decode(bytes, kind)?;
    let small = resize_rgb(img.into_rgb8(), edge)?;
    encode_rgb(&small, JPEG_QUALITY)
}

/// Lanczos3 down to `edge` on the longest side; smaller images are returned as they are.
pub fn resize_rgb(src: RgbImage, edge: u32) -> Result<RgbImage, ThumbError> {
    let (w, h) = src.dimensions();
    if w <= edge && h <= edge {
        return Ok(src);
    }
    let scaled = |a: u32, b: u32| ((u64::from(a) * u64::from(edge) + u64::from(b) / 2) / u64::from(b)).max(1) as u32;
    let (tw, th) = if w >= h { (edge, scaled(h, w)) } else { (scaled(w, h), edge) };
    let src_img = fr::images::Image::from_vec_u8(w, h, src.into_raw(), fr::PixelType::U8x3).map_err(process)?;
    let mut dst = fr::images::Image::new(tw, th, fr::PixelType::U8x3);
    let opts = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    fr::Resizer::new().resize(&src_img, &mut dst, &opts).map_err(process)?;
    RgbImage::from_raw(tw, th, dst.into_vec()).ok_or_else(|| process("resized size mismatch"))
}

pub fn encode_rgb(img: &RgbImage, quality: i32) -> Result<Vec<u8>, ThumbError> {
    let (w, h) = img.dimensions();
    let view = turbojpeg::Image {
        pixels: img.as_raw().as_slice(),
        width: w as usize,
        pitch: w as usize * 3,
        height: h as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    let out = turbojpeg::compress(view, quality, turbojpeg::Subsamp::Sub2x2).map_err(process)?;
    Ok(out.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};
    use std::io::Cursor;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img: RgbImage = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg).expect("encode");
        out
    }

    fn dims(jpeg: &[u8]) -> (u32, u32) {
        let img = image::load_from_memory(jpeg).expect("decode");
        (img.width(), img.height())
    }

    #[test]
    fn a_large_jpeg_becomes_256_on_its_longest_side_keeping_the_aspect_ratio() {
        let t = thumbnail(&jpeg(2000, 1500), FileKind::Jpeg, 256).expect("thumb");
        assert_eq!(dims(&t), (256, 192));
        let t = thumbnail(&jpeg(900, 3000), FileKind::Jpeg, 256).expect("thumb");
        assert_eq!(dims(&t), (77, 256));
    }

    #[test]
    fn small_images_are_not_enlarged() {
        assert_eq!(dims(&thumbnail(&jpeg(120, 80), FileKind::Jpeg, 256).expect("thumb")), (120, 80));
    }

    #[test]
    fn a_corrupt_jpeg_is_an_error_not_a_panic() {
        let mut bytes = jpeg(600, 400);
        bytes.truncate(300);
        assert!(thumbnail(&bytes, FileKind::Jpeg, 256).is_err());
    }

    #[test]
    fn a_heic_photo_is_drawn_upright_for_the_tile_and_the_viewer() {
        let photo = clinicdocs_core::media::heic::fixtures::heic(1200, 900);
        let kind = clinicdocs_core::media::inspect_document(&photo).expect("accepted").kind;
        assert_eq!(kind, FileKind::Heic);
        let t = image::load_from_memory(&thumbnail(&photo, kind, 256).expect("thumb")).expect("decode").to_rgb8();
        assert_eq!(t.dimensions(), (256, 192));
        let (corner, right) = (t.get_pixel(20, 20).0, t.get_pixel(200, 150).0);
        assert!(corner.iter().all(|&c| c > 200), "white corner top left: {corner:?}");
        assert!(right[2] > 150 && right[0] < 90, "blue right half: {right:?}");
        let cut = &photo[..photo.len() / 2];
        assert!(clinicdocs_core::media::inspect_document(cut).is_err(), "a photo cut short is refused before sending");
    }
}
