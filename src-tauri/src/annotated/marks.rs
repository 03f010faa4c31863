//! How each kind of mark is drawn, as operations in page pixels (origin top-left): strokes,
//! fills, dots and text. Sizes follow the page, so an export at any resolution looks the same.

use crate::media::scale::{angle_label, length_label, ImageScale};
use clinicdocs_core::annotation::{Point, Shape};
use clinicdocs_core::api::Annotation;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba(pub u8, pub u8, pub u8, pub u8);

impl Rgba {
    /// `#rrggbb` or `#rrggbbaa`; anything else is red (the server validates colours).
    pub fn parse(s: &str) -> Rgba {
        let h = s.trim_start_matches('#');
        let byte = |i: usize| h.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok());
        match (byte(0), byte(2), byte(4)) {
            (Some(r), Some(g), Some(b)) => Rgba(r, g, b, if h.len() == 8 { byte(6).unwrap_or(255) } else { 255 }),
            _ => Rgba(229, 57, 53, 255),
        }
    }

    pub fn with_alpha(self, a: u8) -> Rgba {
        Rgba(self.0, self.1, self.2, a)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A round-capped line through the points.
    Stroke {
        points: Vec<(f32, f32)>,
        color: Rgba,
        width: f32,
    },
    /// A filled polygon.
    Fill {
        points: Vec<(f32, f32)>,
        color: Rgba,
    },
    Dot {
        center: (f32, f32),
        radius: f32,
        color: Rgba,
    },
    /// Text whose baseline starts at `at`; `centered` centres it on `at` instead.
    Text {
        at: (f32, f32),
        size: f32,
        text: String,
        color: Rgba,
        centered: bool,
    },
}

/// The operations that draw `marks` lying on `page` (1-based) of a page `w` × `h` pixels.
/// `scale` is what lengths are measured in (the picture's own pixels and spacing).
pub fn ops(marks: &[Annotation], page: i64, w: f32, h: f32, scale: &ImageScale) -> Vec<Op> {
    let at = |p: &Point| (p.x as f32 * w, p.y as f32 * h);
    let mut out = Vec::new();
    let mut number = 0;
    for m in marks.iter().filter(|m| m.page_number == page) {
        let color = Rgba::parse(&m.style.color);
        let width = (m.style.width as f32 * w).max(1.0);
        let text_size = (0.018 * w).max(11.0);
        match &m.shape {
            Shape::Marker(p) => {
                number += 1;
                let r = (0.012 * w).max(9.0);
                out.push(Op::Dot { center: at(p), radius: r + r * 0.15, color: Rgba(255, 255, 255, 255) });
                out.push(Op::Dot { center: at(p), radius: r, color });
                let c = at(p);
                out.push(Op::Text {
                    at: c,
                    size: r * 1.2,
                    text: number.to_string(),
                    color: Rgba(255, 255, 255, 255),
                    centered: true,
                });
                if let Some(t) = m.text.as_deref().filter(|t| !t.is_empty()) {
                    out.push(Op::Text {
                        at: (c.0 + r * 1.6, c.1 + r * 0.4),
                        size: text_size,
                        text: t.to_string(),
                        color,
                        centered: false,
                    });
                }
            }
            Shape::Drawing { points } => {
                out.push(Op::Stroke { points: points.iter().map(at).collect(), color, width });
            }
            Shape::Text(p) => {
                let text = m.text.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| "Note".into());
                out.push(Op::Text { at: at(p), size: text_size * 1.2, text, color, centered: false });
            }
            Shape::Highlight { x, y, w: hw, h: hh } => {
                let (x0, y0) = at(&Point { x: *x, y: *y });
                let (x1, y1) = at(&Point { x: x + hw, y: y + hh });
                let rect = vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
                out.push(Op::Fill { points: rect.clone(), color: color.with_alpha(77) });
                let mut outline = rect;
                outline.push((x0, y0));
                out.push(Op::Stroke { points: outline, color, width: (w * 0.0015).max(1.0) });
            }
            Shape::Arrow { from, to } => {
                let (f, t) = (at(from), at(to));
                out.push(Op::Stroke { points: vec![f, t], color, width });
                let ang = (t.1 - f.1).atan2(t.0 - f.0);
                let l = (width * 4.0).max(10.0);
                let side = |d: f32| (t.0 - l * (ang + d).cos(), t.1 - l * (ang + d).sin());
                out.push(Op::Fill { points: vec![t, side(-0.45), side(0.45)], color });
            }
            Shape::Measure { from, to } => {
                let (f, t) = (at(from), at(to));
                out.push(Op::Stroke { points: vec![f, t], color, width });
                let mid = ((f.0 + t.0) / 2.0 + 8.0, (f.1 + t.1) / 2.0 - 8.0);
                out.push(Op::Text {
                    at: mid,
                    size: text_size,
                    text: length_label(to.x - from.x, to.y - from.y, scale),
                    color,
                    centered: false,
                });
            }
            Shape::Angle { from, vertex, to } => {
                let (f, v, t) = (at(from), at(vertex), at(to));
                out.push(Op::Stroke { points: vec![f, v, t], color, width });
                out.push(Op::Stroke { points: arc(f, v, t), color, width });
                let xy = |p: &Point| (p.x, p.y);
                out.push(Op::Text {
                    at: (v.0 + 10.0, v.1 - 10.0),
                    size: text_size,
                    text: angle_label(xy(from), xy(vertex), xy(to), scale),
                    color,
                    centered: false,
                });
            }
        }
    }
    out.into_iter().map(|op| inside(op, w, h)).collect()
}

/// The arc between an angle's arms, a quarter of the shorter arm out from the vertex, the short
/// way round (as the viewer draws it).
fn arc(f: (f32, f32), v: (f32, f32), t: (f32, f32)) -> Vec<(f32, f32)> {
    let (a0, a1) = ((f.1 - v.1).atan2(f.0 - v.0), (t.1 - v.1).atan2(t.0 - v.0));
    let r = 0.25 * (f.0 - v.0).hypot(f.1 - v.1).min((t.0 - v.0).hypot(t.1 - v.1));
    let mut d = a1 - a0;
    while d > std::f32::consts::PI {
        d -= std::f32::consts::TAU;
    }
    while d < -std::f32::consts::PI {
        d += std::f32::consts::TAU;
    }
    (0..=24).map(|i| a0 + d * i as f32 / 24.0).map(|a| (v.0 + r * a.cos(), v.1 + r * a.sin())).collect()
}

/// A label moved back onto the picture when it would run off its edge (a length near the
/// right side of a small X-ray), judged by a generous width per character.
fn inside(op: Op, w: f32, h: f32) -> Op {
    match op {
        Op::Text { at, size, text, color, centered: false } => {
            let width = 0.62 * size * text.chars().count() as f32;
            let x = at.0.min(w - width - 2.0).max(2.0);
            let y = at.1.min(h - 2.0).max(size);
            Op::Text { at: (x, y), size, text, color, centered: false }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_near_the_edge_of_a_small_picture_stays_on_it() {
        let label = |op: Op| match op {
            Op::Text { at, size, text, .. } => (at, 0.62 * size * text.chars().count() as f32),
            _ => panic!("a label"),
        };
        let (at, width) = label(inside(
            Op::Text {
                at: (100.0, 5.0),
                size: 11.0,
                text: "42.3 mm (64 px)".into(),
                color: Rgba(0, 0, 0, 255),
                centered: false,
            },
            128.0,
            128.0,
        ));
        assert!(at.0 >= 2.0 && at.0 + width <= 126.0, "inside across: {at:?}");
        assert_eq!(at.1, 11.0, "its top inside too");
    }

    #[test]
    fn colours_parse_with_and_without_alpha() {
        assert_eq!(Rgba::parse("#ff8000"), Rgba(255, 128, 0, 255));
        assert_eq!(Rgba::parse("#0000ff80"), Rgba(0, 0, 255, 128));
        assert_eq!(Rgba::parse("nonsense"), Rgba(229, 57, 53, 255));
    }
}
