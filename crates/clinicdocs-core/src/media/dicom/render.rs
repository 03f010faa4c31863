//! A DICOM frame as a picture: decoded (uncompressed, RLE, JPEG, JPEG-LS, JPEG 2000), grey
//! images through the modality LUT and a VOI (the file's, or a window the doctor chose),
//! colour images (RGB, YBR) as colour. Encodings that cannot be decoded here say so.

use super::file::{encoding_name, DicomFile, DicomImageFacts};
use super::voi::{range, to_grey8, Voi, Window};
use crate::media::{image_file, MediaError};
use dicom_pixeldata::{ConvertOptions, ModalityLutOption, PixelDecoder, VoiLutOption};
use image::{DynamicImage, GrayImage, RgbImage};
use thiserror::Error;

/// Why a frame could not be drawn. The file is kept; staff can still download it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("This DICOM file holds no image.")]
    NoImage,
    #[error("Frame {0} does not exist.")]
    NoSuchFrame(u32),
    #[error(
        "This X-ray is stored as {0}, which this app cannot display yet. Download it to open it in a radiology viewer."
    )]
    Undecodable(String),
}

/// A drawn frame and the grey-scale values behind it (for the window the viewer shows).
pub struct Rendered {
    pub image: DynamicImage,
    /// The window used (`None` for colour images and VOI tables).
    pub window: Option<Window>,
    /// The frame's modality value range (grey images), for the window tool's speed.
    pub value_range: Option<(f32, f32)>,
}

impl DicomFile {
    /// The file's own display: its VOI LUT, else its window, else the frame's range.
    pub fn default_voi(&self) -> Option<Voi> {
        let facts = self.image.as_ref()?;
        Some(if let Some(t) = &facts.voi_table {
            Voi::Table(t.clone())
        } else if let Some(w) = facts.window {
            Voi::Window(w, facts.shape)
        } else {
            Voi::Range
        })
    }

    /// The frame shown on a tile: the middle one.
    pub fn thumbnail_frame(&self) -> u32 {
        self.image.as_ref().map_or(0, |f| (f.frames - 1) / 2)
    }

    /// The tile's picture: the middle frame at the file's own window, as a JPEG no larger than
    /// `edge`; `None` when the image cannot be decoded here (the file is still accepted).
    pub fn thumbnail_jpeg(&self, edge: u32) -> Result<Option<Vec<u8>>, MediaError> {
        match self.render(self.thumbnail_frame(), None) {
            Ok(r) => Ok(Some(image_file::thumbnail_jpeg(&r.image, edge)?)),
            Err(_) => Ok(None),
        }
    }

    /// Draws `frame` (0-based) with `voi`, or the file's own display when `None`.
    pub fn render(&self, frame: u32, voi: Option<&Voi>) -> Result<Rendered, RenderError> {
        let decoded = self.decode(frame)?;
        let own = self.default_voi();
        Ok(decoded.draw(voi.or(own.as_ref()).unwrap_or(&Voi::Range)))
    }

    /// Decodes `frame` (0-based): grey frames as modality values, to be drawn at any window
    /// (the viewer keeps one while the doctor drags the window), colour frames as RGB.
    pub fn decode(&self, frame: u32) -> Result<Decoded, RenderError> {
        let facts = self.image.as_ref().ok_or(RenderError::NoImage)?;
        if frame >= facts.frames {
            return Err(RenderError::NoSuchFrame(frame));
        }
        let name = encoding_name(&self.transfer_syntax);
        let undecodable = |detail: &str| {
            RenderError::Undecodable(if detail.is_empty() { name.to_string() } else { format!("{name}, {detail}") })
        };
        let short_image = || undecodable("the image is shorter than stated");
        if facts.bits_allocated > 16 {
            return Err(undecodable(&format!("{} bits per value", facts.bits_allocated)));
        }
        if facts.photometric == "YBR_FULL_422" && is_native(&self.transfer_syntax) {
            return self.native_ybr_422(frame, facts).map(Decoded::Colour).ok_or_else(short_image);
        }
        // The decoder's own words stay in the log: staff get the encoding's name.
        let failed = |e: dicom_pixeldata::Error| {
            note_decoder_reason(&e.to_string());
            undecodable("")
        };
        let px = self.obj.decode_pixel_data_frame(frame).map_err(failed)?;
        let (width, height) = (px.columns(), px.rows());
        match px.samples_per_pixel() {
            1 => {
                let values: Vec<f32> = px
                    .to_vec_frame_with_options(
                        0,
                        &ConvertOptions::new()
                            .with_modality_lut(ModalityLutOption::Default)
                            .with_voi_lut(VoiLutOption::Identity),
                    )
                    .map_err(failed)?;
                if values.len() != width as usize * height as usize {
                    return Err(short_image());
                }
                let invert = facts.photometric == "MONOCHROME1";
                Ok(Decoded::Grey(GreyFrame { width, height, range: range(&values), values, invert }))
            }
            3 => {
                let rgb = colour(&px).map_err(|d| undecodable(&d))?;
                RgbImage::from_raw(width, height, rgb).map(Decoded::Colour).ok_or_else(short_image)
            }
            _ => Err(undecodable("an unusual number of samples per pixel")),
        }
    }
}

/// A decoded frame.
pub enum Decoded {
    Grey(GreyFrame),
    Colour(RgbImage),
}

/// A grey frame's modality values (e.g. Hounsfield units), row by row.
pub struct GreyFrame {
    pub width: u32,
    pub height: u32,
    pub values: Vec<f32>,
    /// Lowest and highest value, for the window tool's speed and the range display.
    pub range: (f32, f32),
    /// MONOCHROME1: low values are shown white.
    pub invert: bool,
}

impl Decoded {
    /// The frame as a picture through `voi` (colour frames ignore it).
    pub fn draw(&self, voi: &Voi) -> Rendered {
        match self {
            Decoded::Grey(g) => {
                let grey = to_grey8(&g.values, voi, g.invert);
                let image = GrayImage::from_raw(g.width, g.height, grey)
                    .map_or_else(|| DynamicImage::new_luma8(g.width, g.height), DynamicImage::ImageLuma8);
                let window = match voi {
                    Voi::Window(w, _) => Some(*w),
                    _ => None,
                };
                Rendered { image, window, value_range: Some(g.range) }
            }
            Decoded::Colour(rgb) => {
                Rendered { image: DynamicImage::ImageRgb8(rgb.clone()), window: None, value_range: None }
            }
        }
    }
}

impl DicomFile {
    /// Uncompressed YBR_FULL_422 (Y1 Y2 Cb Cr for each pair of pixels), read straight from the
    /// pixel data: its frames are two thirds the size the decoder assumes.
    fn native_ybr_422(&self, frame: u32, facts: &DicomImageFacts) -> Option<RgbImage> {
        let data = self.obj.get(dicom_dictionary_std::tags::PIXEL_DATA)?.value().primitive()?.to_bytes();
        let n = facts.width as usize * facts.height as usize;
        let size = n.div_ceil(2) * 4;
        let start = size.checked_mul(frame as usize)?;
        let rgb = ybr_422_to_rgb(data.get(start..start.checked_add(size)?)?, n)?;
        RgbImage::from_raw(facts.width, facts.height, rgb)
    }
}

fn is_native(ts: &str) -> bool {
    super::file::NATIVE.contains(&ts)
}

/// 4:2:2 samples (Y1 Y2 Cb Cr per pair) to interleaved RGB for `n` pixels.
fn ybr_422_to_rgb(samples: &[u8], n: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(n * 3 + 3);
    for quad in samples.chunks_exact(4).take(n.div_ceil(2)) {
        for y in [quad[0], quad[1]] {
            out.extend_from_slice(&ybr_to_rgb(y, quad[2], quad[3]));
        }
    }
    out.truncate(n * 3);
    (out.len() == n * 3).then_some(out)
}

/// Interleaved 8-bit RGB from a colour frame (RGB or YBR_FULL / YBR_FULL_422, either planar
/// configuration, 8 or 16 bits).
fn colour(px: &dicom_pixeldata::DecodedPixelData<'_>) -> Result<Vec<u8>, String> {
    let n = px.columns() as usize * px.rows() as usize;
    let pi = px.photometric_interpretation().as_str().to_string();
    let samples: Vec<u8> = match px.bits_allocated() {
        8 => px.frame_data(0).map_err(|e| short(&e.to_string()))?.to_vec(),
        16 => {
            let shift = px.bits_stored().saturating_sub(8).min(8);
            px.frame_data_ow(0).map_err(|e| short(&e.to_string()))?.iter().map(|v| (v >> shift) as u8).collect()
        }
        _ => return Err(format!("{}-bit colour", px.bits_allocated())),
    };
    if pi == "YBR_FULL_422" {
        return ybr_422_to_rgb(&samples, n).ok_or_else(|| "the image is shorter than stated".into());
    }
    if samples.len() < n * 3 {
        return Err("the image is shorter than stated".into());
    }
    let planar = px.planar_configuration() == dicom_pixeldata::PlanarConfiguration::PixelFirst;
    let at = |i: usize, c: usize| if planar { samples[c * n + i] } else { samples[i * 3 + c] };
    let mut out = Vec::with_capacity(n * 3);
    for i in 0..n {
        let (a, b, c) = (at(i, 0), at(i, 1), at(i, 2));
        match pi.as_str() {
            "RGB" => out.extend_from_slice(&[a, b, c]),
            "YBR_FULL" => out.extend_from_slice(&ybr_to_rgb(a, b, c)),
            other => return Err(format!("{} colour", other.to_lowercase())),
        }
    }
    Ok(out)
}

/// YBR_FULL to RGB (PS3.3 C.7.6.3.1.2, full range).
fn ybr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (f32::from(y), f32::from(cb) - 128.0, f32::from(cr) - 128.0);
    let c = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [c(y + 1.402 * cr), c(y - 0.344_136 * cb - 0.714_136 * cr), c(y + 1.772 * cb)]
}

fn short(s: &str) -> String {
    s.chars().take(100).collect()
}

/// The decoder's reason, for developers (stderr in debug builds; the core crate has no logger).
fn note_decoder_reason(reason: &str) {
    if cfg!(debug_assertions) {
        eprintln!("DICOM decode: {}", short(reason));
    }
}
