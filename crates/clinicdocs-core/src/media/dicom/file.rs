//! A DICOM file read from memory: what it says about itself (size, frames, window, spacing,
//! the patient and study it names) and whether its image can be decoded here. A file that
//! says `DICM` but does not parse, or whose uncompressed image ends early, is refused.

use super::voi::{VoiTable, Window, WindowShape};
use crate::limits::MAX_IMAGE_PIXELS;
use crate::media::spacing::PixelSpacing;
use crate::media::MediaError;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use serde::{Deserialize, Serialize};
use std::io::Cursor;

/// What the file says of the patient and study, shown beside the clinic's own patient so a
/// mismatch is visible. Empty fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DicomDetails {
    /// As written, e.g. `GARCIA^MARIA`.
    pub patient_name: Option<String>,
    pub patient_id: Option<String>,
    /// `YYYYMMDD` as written.
    pub study_date: Option<String>,
    pub modality: Option<String>,
    pub body_part: Option<String>,
    pub study_description: Option<String>,
    pub series_description: Option<String>,
    /// The transfer syntax's name (how the image is encoded).
    pub encoding: String,
}

/// Where a millimetre figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SpacingSource {
    /// Pixel Spacing: in the patient.
    Patient,
    /// Imager Pixel Spacing: at the detector (a projection X-ray's magnification not removed).
    Detector,
}

/// The image a DICOM file holds, as its header describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DicomImageFacts {
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub samples_per_pixel: u16,
    pub bits_allocated: u16,
    pub photometric: String,
    /// The file's first window, if it states one.
    pub window: Option<Window>,
    pub shape: WindowShape,
    /// The file's first VOI LUT, if it has one (it wins over the window).
    pub voi_table: Option<VoiTable>,
    pub spacing: Option<(PixelSpacing, SpacingSource)>,
}

/// A parsed DICOM file.
pub struct DicomFile {
    pub(super) obj: DefaultDicomObject,
    pub details: DicomDetails,
    /// `None` for DICOM without an image (a structured report, a plan).
    pub image: Option<DicomImageFacts>,
    pub transfer_syntax: String,
}

/// Uncompressed encodings, whose pixel data length can be checked against the header.
pub(super) const NATIVE: &[&str] =
    &["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"];

impl DicomFile {
    /// Parses a whole file (preamble, `DICM`, meta group, data set).
    pub fn parse(bytes: &[u8]) -> Result<DicomFile, MediaError> {
        let obj = OpenFileOptions::new()
            .read_preamble(ReadPreamble::Always)
            .from_reader(Cursor::new(bytes))
            .map_err(|_| not_dicom())?;
        let transfer_syntax = obj.meta().transfer_syntax().trim_end_matches('\0').to_string();
        let details = DicomDetails {
            patient_name: text(&obj, tags::PATIENT_NAME),
            patient_id: text(&obj, tags::PATIENT_ID),
            study_date: text(&obj, tags::STUDY_DATE),
            modality: text(&obj, tags::MODALITY),
            body_part: text(&obj, tags::BODY_PART_EXAMINED),
            study_description: text(&obj, tags::STUDY_DESCRIPTION),
            series_description: text(&obj, tags::SERIES_DESCRIPTION),
            encoding: encoding_name(&transfer_syntax).to_string(),
        };
        let image = if obj.get(tags::PIXEL_DATA).is_some() { Some(image_facts(&obj, &transfer_syntax)?) } else { None };
        Ok(DicomFile { obj, details, image, transfer_syntax })
    }
}

fn not_dicom() -> MediaError {
    MediaError::Corrupt("it says DICOM but cannot be read as DICOM".into())
}

fn text(obj: &DefaultDicomObject, tag: dicom_core::Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then(|| s.chars().take(200).collect())
}

fn number(obj: &DefaultDicomObject, tag: dicom_core::Tag) -> Option<f64> {
    obj.get(tag)?.to_float64().ok().filter(|v| v.is_finite())
}

fn numbers(obj: &DefaultDicomObject, tag: dicom_core::Tag) -> Option<Vec<f64>> {
    obj.get(tag)?.to_multi_float64().ok()
}

fn image_facts(obj: &DefaultDicomObject, ts: &str) -> Result<DicomImageFacts, MediaError> {
    let int = |tag| number(obj, tag).map(|v| v as i64);
    let width = int(tags::COLUMNS).filter(|&v| v > 0).ok_or_else(|| corrupt("it states no image width"))?;
    let height = int(tags::ROWS).filter(|&v| v > 0).ok_or_else(|| corrupt("it states no image height"))?;
    let (width, height) = (width as u32, height as u32);
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(MediaError::TooManyPixels { width, height });
    }
    let frames = text(obj, tags::NUMBER_OF_FRAMES).map_or(Some(1), |s| s.trim().parse::<u32>().ok());
    let frames = frames.filter(|&f| f >= 1).ok_or_else(|| corrupt("its number of frames is not a number"))?;
    let samples_per_pixel = int(tags::SAMPLES_PER_PIXEL).unwrap_or(1).clamp(0, 4) as u16;
    let bits_allocated = int(tags::BITS_ALLOCATED).unwrap_or(0);
    let photometric = text(obj, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_default();
    if NATIVE.contains(&ts) {
        let bits = u64::try_from(bits_allocated).unwrap_or(0);
        // Saturating: a hostile header's frame count or bit depth must not overflow.
        let mut samples =
            (u64::from(width) * u64::from(height) * u64::from(samples_per_pixel)).saturating_mul(u64::from(frames));
        if photometric == "YBR_FULL_422" {
            samples = samples / 3 * 2;
        }
        let needed = samples.saturating_mul(bits).div_ceil(8);
        let have = obj.get(tags::PIXEL_DATA).and_then(|e| e.value().primitive().map(|p| p.calculate_byte_len()));
        if have.is_some_and(|h| (h as u64) < needed) {
            return Err(corrupt("the image data ends early"));
        }
    }
    let window = match (numbers(obj, tags::WINDOW_CENTER), numbers(obj, tags::WINDOW_WIDTH)) {
        (Some(c), Some(w)) => c.first().zip(w.first()).map(|(&center, &width)| Window { center, width }),
        _ => None,
    }
    .filter(|w| w.center.is_finite() && w.width.is_finite() && w.width > 0.0);
    let shape = text(obj, tags::VOILUT_FUNCTION).map_or(WindowShape::Linear, |s| WindowShape::from_dicom(&s));
    Ok(DicomImageFacts {
        width,
        height,
        frames,
        samples_per_pixel,
        bits_allocated: u16::try_from(bits_allocated).unwrap_or(0),
        photometric,
        window,
        shape,
        voi_table: voi_table(obj),
        spacing: spacing(obj),
    })
}

fn corrupt(why: &str) -> MediaError {
    MediaError::Corrupt(why.into())
}

/// The first item of the VOI LUT Sequence: descriptor (entries, first value mapped, bits) and data.
fn voi_table(obj: &DefaultDicomObject) -> Option<VoiTable> {
    let item = obj.get(tags::VOILUT_SEQUENCE)?.items()?.first()?;
    let desc = item.get(tags::LUT_DESCRIPTOR)?.to_multi_int::<i64>().ok()?;
    let (count, first, bits) = (*desc.first()?, *desc.get(1)?, *desc.get(2)?);
    let count = if count == 0 { 65_536 } else { count as usize };
    // The first value mapped is US or SS by the pixel representation; read as 16 bits.
    let first_mapped = if first > i64::from(i16::MAX) && first <= i64::from(u16::MAX) {
        if number(obj, tags::PIXEL_REPRESENTATION) == Some(1.0) {
            i32::from(first as u16 as i16)
        } else {
            first as i32
        }
    } else {
        first as i32
    };
    let data = item.get(tags::LUT_DATA)?;
    let entries: Vec<u16> = match data.value().primitive()? {
        dicom_core::PrimitiveValue::U16(v) => v.to_vec(),
        dicom_core::PrimitiveValue::U8(v) => v.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect(),
        other => other.to_multi_int::<u16>().ok()?,
    };
    let bits = u8::try_from(bits).ok().filter(|b| (1..=16).contains(b))?;
    (entries.len() >= count.min(2)).then_some(VoiTable { first_mapped, bits, entries })
}

fn spacing(obj: &DefaultDicomObject) -> Option<(PixelSpacing, SpacingSource)> {
    let read = |tag| {
        let v = numbers(obj, tag)?;
        // DICOM gives row spacing (down) first, then column spacing (across).
        let (down, across) = (*v.first()?, *v.get(1).or(v.first())?);
        (down.is_finite() && across.is_finite() && down > 0.0 && across > 0.0 && down < 100.0 && across < 100.0)
            .then_some(PixelSpacing { x: across, y: down })
    };
    read(tags::PIXEL_SPACING)
        .map(|s| (s, SpacingSource::Patient))
        .or_else(|| read(tags::IMAGER_PIXEL_SPACING).map(|s| (s, SpacingSource::Detector)))
}

/// A transfer syntax's name, for the details panel and messages.
pub fn encoding_name(uid: &str) -> &'static str {
    match uid {
        "1.2.840.10008.1.2" => "uncompressed (implicit VR)",
        "1.2.840.10008.1.2.1" => "uncompressed",
        "1.2.840.10008.1.2.2" => "uncompressed (big endian)",
        "1.2.840.10008.1.2.1.99" => "deflated",
        "1.2.840.10008.1.2.5" => "RLE lossless",
        "1.2.840.10008.1.2.4.50" => "JPEG baseline",
        "1.2.840.10008.1.2.4.51" => "JPEG extended (12-bit lossy)",
        "1.2.840.10008.1.2.4.57" | "1.2.840.10008.1.2.4.70" => "JPEG lossless",
        "1.2.840.10008.1.2.4.80" => "JPEG-LS lossless",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS near-lossless",
        "1.2.840.10008.1.2.4.90" => "JPEG 2000 lossless",
        "1.2.840.10008.1.2.4.91" => "JPEG 2000",
        "1.2.840.10008.1.2.4.201" | "1.2.840.10008.1.2.4.202" | "1.2.840.10008.1.2.4.203" => {
            "High-Throughput JPEG 2000"
        }
        "1.2.840.10008.1.2.4.100"
        | "1.2.840.10008.1.2.4.101"
        | "1.2.840.10008.1.2.4.102"
        | "1.2.840.10008.1.2.4.103" => "MPEG video",
        _ => "an encoding this app does not know",
    }
}
