//! HEIC/HEIF photos, as phones take them: the file's structure checked without decoding (every
//! top-level box lies within the file, so a photo cut short is refused before it is stored),
//! the primary image's size held to the pixel budget, and its decode through libheif (the
//! file's rotation, mirroring and cropping applied) into an 8-bit picture.
//!
//! libheif is a C++ library: the server calls [`decode`] only in a child process of its own
//! (`clinicdocs-server draw-photo`); the desktop app decodes its own clinic's photos in place.

use super::MediaError;
use crate::limits::MAX_IMAGE_PIXELS;
use image::{DynamicImage, RgbImage, RgbaImage};
use libheif_rs::{ColorSpace, HeifContext, ImageHandle, LibHeif, RgbChroma};

/// Walks the top-level boxes of the ISO base media file: each must be whole and lie within the
/// file (a box of size 0 runs to the end of the file).
pub fn check_structure(bytes: &[u8]) -> Result<(), MediaError> {
    let ends_early = || MediaError::Corrupt("the HEIC photo ends early".into());
    let malformed = || MediaError::Corrupt("a part of the HEIC photo is malformed".into());
    let mut pos = 0usize;
    while pos < bytes.len() {
        let head = bytes.get(pos..pos + 8).ok_or_else(ends_early)?;
        let size = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
            0 => (bytes.len() - pos) as u64,
            1 => {
                let large = bytes.get(pos + 8..pos + 16).ok_or_else(ends_early)?;
                let mut b = [0u8; 8];
                b.copy_from_slice(large);
                let n = u64::from_be_bytes(b);
                if n < 16 {
                    return Err(malformed());
                }
                n
            }
            n if n < 8 => return Err(malformed()),
            n => u64::from(n),
        };
        let end = (pos as u64).checked_add(size).ok_or_else(malformed)?;
        if end > bytes.len() as u64 {
            return Err(ends_early());
        }
        pos = end as usize;
    }
    Ok(())
}

fn unreadable(e: &libheif_rs::HeifError) -> MediaError {
    let mut why = e.message.clone();
    why.truncate(120);
    MediaError::Corrupt(format!("the HEIC photo cannot be read: {why}"))
}

/// The primary image of a HEIC file whose structure passed, within the pixel budget.
fn primary(ctx: &HeifContext<'_>) -> Result<(ImageHandle, u32, u32), MediaError> {
    let handle = ctx.primary_image_handle().map_err(|e| unreadable(&e))?;
    let (w, h) = (handle.width(), handle.height());
    if w == 0 || h == 0 {
        return Err(MediaError::Corrupt("the image has no pixels".into()));
    }
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(MediaError::TooManyPixels { width: w, height: h });
    }
    Ok((handle, w, h))
}

/// The pixel size of the photo (as shown: after its rotation), without decoding it.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    check_structure(bytes)?;
    let ctx = HeifContext::read_from_bytes(bytes).map_err(|e| unreadable(&e))?;
    let (_, w, h) = primary(&ctx)?;
    Ok((w, h))
}

/// Decodes the photo's primary image, upright, as 8-bit RGB (RGBA when it has transparency).
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, MediaError> {
    check_structure(bytes)?;
    let ctx = HeifContext::read_from_bytes(bytes).map_err(|e| unreadable(&e))?;
    let (handle, _, _) = primary(&ctx)?;
    let alpha = handle.has_alpha_channel();
    let (chroma, channels) = if alpha { (RgbChroma::Rgba, 4) } else { (RgbChroma::Rgb, 3) };
    let lib = LibHeif::new();
    let image = lib.decode(&handle, ColorSpace::Rgb(chroma), None).map_err(|e| unreadable(&e))?;
    let planes = image.planes();
    let plane = planes.interleaved.ok_or_else(|| MediaError::Corrupt("the HEIC photo has no picture".into()))?;
    let (w, h) = (plane.width, plane.height);
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(MediaError::TooManyPixels { width: w, height: h });
    }
    let row = w as usize * channels;
    let mut pixels = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        let start = y * plane.stride;
        let line = plane
            .data
            .get(start..start + row)
            .ok_or_else(|| MediaError::Corrupt("the HEIC photo decoded short".into()))?;
        pixels.extend_from_slice(line);
    }
    let wrong_size = || MediaError::Corrupt("the HEIC photo decoded to an unexpected size".into());
    Ok(if alpha {
        DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, pixels).ok_or_else(wrong_size)?)
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(wrong_size)?)
    })
}

/// Test pictures (for this workspace's tests; the `fixtures` feature).
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures {
    use libheif_rs::{Channel, ColorSpace, CompressionFormat, EncoderQuality, HeifContext, Image, LibHeif, RgbChroma};

    /// A HEIC photo of `w`×`h`: left half red, right half blue, a white square in the top-left
    /// corner (so rotation and mirroring would show), encoded with libheif's HEVC encoder.
    pub fn heic(w: u32, h: u32) -> Vec<u8> {
        let lib = LibHeif::new();
        let mut image = Image::new(w, h, ColorSpace::Rgb(RgbChroma::Rgb)).expect("image");
        image.create_plane(Channel::Interleaved, w, h, 8).expect("plane");
        let planes = image.planes_mut();
        let plane = planes.interleaved.expect("interleaved");
        for y in 0..h as usize {
            for x in 0..w as usize {
                let px = &mut plane.data[y * plane.stride + x * 3..][..3];
                let corner = x < w as usize / 4 && y < h as usize / 4;
                px.copy_from_slice(match (corner, x < w as usize / 2) {
                    (true, _) => &[255, 255, 255],
                    (false, true) => &[220, 20, 20],
                    (false, false) => &[20, 20, 220],
                });
            }
        }
        let mut ctx = HeifContext::new().expect("context");
        let mut encoder = lib.encoder_for_format(CompressionFormat::Hevc).expect("HEVC encoder (libheif with x265)");
        encoder.set_quality(EncoderQuality::Lossy(90)).expect("quality");
        ctx.encode_image(&image, &mut encoder, None).expect("encode");
        ctx.write_to_bytes().expect("write")
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::heic;
    use super::*;

    #[test]
    fn a_phone_photo_decodes_upright_in_its_colours() {
        let bytes = heic(320, 240);
        assert_eq!(dimensions(&bytes), Ok((320, 240)));
        let img = decode(&bytes).expect("decodes").to_rgb8();
        assert_eq!(img.dimensions(), (320, 240));
        let near = |p: &image::Rgb<u8>, want: [u8; 3]| p.0.iter().zip(want).all(|(a, b)| a.abs_diff(b) < 40);
        assert!(near(img.get_pixel(10, 10), [255, 255, 255]), "corner {:?}", img.get_pixel(10, 10));
        assert!(near(img.get_pixel(120, 200), [220, 20, 20]), "left {:?}", img.get_pixel(120, 200));
        assert!(near(img.get_pixel(280, 200), [20, 20, 220]), "right {:?}", img.get_pixel(280, 200));
    }

    #[test]
    fn a_photo_cut_short_or_mangled_is_refused_as_damaged() {
        let bytes = heic(64, 64);
        for cut in [bytes.len() - 1, bytes.len() / 2, 40, 7] {
            let err = decode(&bytes[..cut]).expect_err("cut short");
            assert!(matches!(err, MediaError::Corrupt(_)), "{cut}: {err:?}");
            assert!(matches!(dimensions(&bytes[..cut]), Err(MediaError::Corrupt(_))), "{cut}");
        }
        // Cut inside the picture's data, with the data box's size made to fit: the boxes are
        // whole, but the picture they point at is not there.
        let mut pos = 0;
        let mdat = loop {
            let size = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]) as usize;
            if &bytes[pos + 4..pos + 8] == b"mdat" {
                break pos;
            }
            pos += size;
        };
        let mut cut = bytes[..mdat + (bytes.len() - mdat) / 2].to_vec();
        let size = ((cut.len() - mdat) as u32).to_be_bytes();
        cut[mdat..mdat + 4].copy_from_slice(&size);
        assert_eq!(check_structure(&cut), Ok(()));
        assert!(matches!(decode(&cut), Err(MediaError::Corrupt(_))), "{:?}", decode(&cut).map(|i| i.width()));
        // Only a file-type box: no picture in it.
        let only_ftyp = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert!(matches!(decode(only_ftyp), Err(MediaError::Corrupt(_))));
    }

    #[test]
    fn boxes_are_walked_to_the_end_of_the_file() {
        assert_eq!(check_structure(b"\0\0\0\x08free\0\0\0\0rest"), Ok(()), "size 0 runs to the end");
        assert!(check_structure(b"\0\0\0\x04free").is_err(), "a box smaller than its header");
        assert!(check_structure(b"\0\0\0\x01free\0\0\0\0\0\0\0\x08").is_err(), "a large size below 16");
        assert!(check_structure(b"\0\0\0\x01free\xff\xff\xff\xff\xff\xff\xff\xff").is_err(), "past the end");
    }
}
