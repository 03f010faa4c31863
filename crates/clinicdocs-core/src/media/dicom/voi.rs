//! The grey-scale display pipeline of radiology viewers, after the modality LUT has turned
//! stored values into modality values (e.g. Hounsfield units): a VOI transform chosen as
//! DICOM says (the file's VOI LUT, else its window, else the frame's own range), then
//! MONOCHROME1 inverted. Pure functions over `f32` samples, shared by thumbnails, the viewer's
//! window/level and exports, so all three show the same picture.

use serde::{Deserialize, Serialize};

/// A window: centre and width in modality units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Window {
    pub center: f64,
    pub width: f64,
}

/// How a window maps values (DICOM VOI LUT Function, PS3.3 C.11.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowShape {
    #[default]
    Linear,
    LinearExact,
    Sigmoid,
}

impl WindowShape {
    /// From the file's VOI LUT Function value; unknown names fall back to linear.
    pub fn from_dicom(name: &str) -> WindowShape {
        match name.trim() {
            "LINEAR_EXACT" => WindowShape::LinearExact,
            "SIGMOID" => WindowShape::Sigmoid,
            _ => WindowShape::Linear,
        }
    }
}

/// A VOI lookup table from the file (VOI LUT Sequence).
#[derive(Debug, Clone, PartialEq)]
pub struct VoiTable {
    /// The modality value the first entry maps.
    pub first_mapped: i32,
    /// Bits per entry (entries run 0 ..= 2^bits − 1).
    pub bits: u8,
    pub entries: Vec<u16>,
}

/// Which values of interest a picture shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Voi {
    Window(Window, WindowShape),
    Table(VoiTable),
    /// The frame's lowest value black, its highest white.
    Range,
}

/// Modality values to 8-bit grey through `voi`; `invert` for MONOCHROME1 (low values white).
pub fn to_grey8(values: &[f32], voi: &Voi, invert: bool) -> Vec<u8> {
    let map: Box<dyn Fn(f32) -> f64> = match voi {
        Voi::Window(w, shape) => window_fn(*w, *shape),
        Voi::Table(t) => {
            let top = f64::from((1u32 << t.bits.clamp(1, 16)) - 1);
            let last = t.entries.len().saturating_sub(1);
            Box::new(move |v| {
                let i = (f64::from(v).round() - f64::from(t.first_mapped)).clamp(0.0, last as f64) as usize;
                t.entries.get(i).map_or(0.0, |&e| f64::from(e) / top)
            })
        }
        Voi::Range => {
            let (lo, hi) = range(values);
            let span = f64::from(hi) - f64::from(lo);
            Box::new(move |v| if span > 0.0 { (f64::from(v) - f64::from(lo)) / span } else { 0.0 })
        }
    };
    values
        .iter()
        .map(|&v| {
            let unit = map(v).clamp(0.0, 1.0);
            let unit = if invert { 1.0 - unit } else { unit };
            (unit * 255.0).round() as u8
        })
        .collect()
}

/// The lowest and highest finite value (0, 0 when there are none).
pub fn range(values: &[f32]) -> (f32, f32) {
    let mut it = values.iter().copied().filter(|v| v.is_finite());
    let Some(first) = it.next() else { return (0.0, 0.0) };
    it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// A window function returning 0..=1, per PS3.3 C.11.2.1.2 (linear), C.11.2.1.3.2 (exact)
/// and C.11.2.1.3.1 (sigmoid).
fn window_fn(w: Window, shape: WindowShape) -> Box<dyn Fn(f32) -> f64> {
    let c = w.center;
    match shape {
        WindowShape::Linear => {
            let width = w.width.max(1.0);
            Box::new(move |v| {
                let x = f64::from(v);
                if x <= c - 0.5 - (width - 1.0) / 2.0 {
                    0.0
                } else if x > c - 0.5 + (width - 1.0) / 2.0 {
                    // (A width of 1 leaves nothing between the two edges.)
                    1.0
                } else {
                    (x - (c - 0.5)) / (width - 1.0) + 0.5
                }
            })
        }
        WindowShape::LinearExact => {
            let width = w.width.max(f64::MIN_POSITIVE);
            Box::new(move |v| (f64::from(v) - c) / width + 0.5)
        }
        WindowShape::Sigmoid => {
            let width = w.width.max(f64::MIN_POSITIVE);
            Box::new(move |v| 1.0 / (1.0 + (-4.0 * (f64::from(v) - c) / width).exp()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_window_maps_its_edges_to_black_and_white() {
        let w = Voi::Window(Window { center: 40.0, width: 400.0 }, WindowShape::Linear);
        assert_eq!(to_grey8(&[-1000.0, -160.0, 40.0, 240.0, 3000.0], &w, false), vec![0, 0, 128, 255, 255]);
    }

    #[test]
    fn monochrome1_is_inverted_after_the_window() {
        let w = Voi::Window(Window { center: 40.0, width: 400.0 }, WindowShape::Linear);
        assert_eq!(to_grey8(&[-1000.0, 3000.0], &w, true), vec![255, 0]);
    }

    #[test]
    fn without_a_window_the_frame_range_fills_black_to_white() {
        assert_eq!(to_grey8(&[100.0, 150.0, 200.0], &Voi::Range, false), vec![0, 128, 255]);
        assert_eq!(to_grey8(&[7.0, 7.0], &Voi::Range, false), vec![0, 0], "a flat frame is black, not NaN");
    }

    #[test]
    fn a_voi_table_clamps_below_and_above_its_entries() {
        let t = Voi::Table(VoiTable { first_mapped: 10, bits: 8, entries: vec![0, 51, 255] });
        assert_eq!(to_grey8(&[0.0, 11.0, 12.0, 900.0], &t, false), vec![0, 51, 255, 255]);
    }

    #[test]
    fn exact_and_sigmoid_windows_are_centred() {
        let w = Window { center: 0.0, width: 100.0 };
        assert_eq!(to_grey8(&[-50.0, 0.0, 50.0], &Voi::Window(w, WindowShape::LinearExact), false), vec![0, 128, 255]);
        assert_eq!(to_grey8(&[0.0], &Voi::Window(w, WindowShape::Sigmoid), false), vec![128]);
    }
}
