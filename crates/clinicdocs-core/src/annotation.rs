//! Annotation shapes in normalised page coordinates (0..1 on both axes, origin top-left), so a
//! mark stays on its spot at any zoom or render resolution, and their validation.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

/// A point on a page, each axis in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A shape and its geometry; on the wire `{"kind": "...", "geometry": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "geometry", rename_all = "lowercase")]
pub enum Shape {
    /// A numbered pin.
    Marker(Point),
    /// A free-hand path.
    Drawing {
        points: Vec<Point>,
    },
    /// A text note anchored at a point.
    Text(Point),
    /// A translucent rectangle: top-left corner and size.
    Highlight {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
    },
    Arrow {
        from: Point,
        to: Point,
    },
    /// A length measurement between two points.
    Measure {
        from: Point,
        to: Point,
    },
    /// An angle measurement: two arms meeting at `vertex`, read in degrees in the picture's real
    /// proportions (its pixels' shape and spacing, not page fractions).
    Angle {
        from: Point,
        vertex: Point,
        to: Point,
    },
}

/// Colour and stroke width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Style {
    /// `#rrggbb` or `#rrggbbaa`.
    pub color: String,
    /// Stroke width as a fraction of the page width (0..=0.1).
    pub width: f64,
}

pub const MAX_DRAWING_POINTS: usize = 10_000;
pub const MAX_ANNOTATION_TEXT: usize = 4000;

#[derive(Debug, Error, PartialEq)]
pub enum AnnotationError {
    #[error("Annotation coordinates must lie on the page (between 0 and 1); got {0}.")]
    OutOfPage(f64),
    #[error("A drawing needs between 2 and {MAX_DRAWING_POINTS} points.")]
    BadPointCount,
    #[error("A highlight needs a positive width and height inside the page.")]
    BadRectangle,
    #[error("The colour must look like #rrggbb or #rrggbbaa.")]
    BadColor,
    #[error("The stroke width must be between 0 and 0.1 of the page width.")]
    BadWidth,
    #[error("An angle needs two arms of some length: its ends must not lie on its vertex.")]
    EmptyArm,
    #[error("Page numbers start at 1.")]
    BadPage,
    #[error("The annotation text is too long (keep it under {MAX_ANNOTATION_TEXT} characters).")]
    TextTooLong,
}

fn unit(v: f64) -> Result<(), AnnotationError> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(AnnotationError::OutOfPage(v))
    }
}

fn point(p: &Point) -> Result<(), AnnotationError> {
    unit(p.x)?;
    unit(p.y)
}

impl Shape {
    pub fn kind(&self) -> &'static str {
        match self {
            Shape::Marker(_) => "marker",
            Shape::Drawing { .. } => "drawing",
            Shape::Text(_) => "text",
            Shape::Highlight { .. } => "highlight",
            Shape::Arrow { .. } => "arrow",
            Shape::Measure { .. } => "measure",
            Shape::Angle { .. } => "angle",
        }
    }

    pub fn validate(&self) -> Result<(), AnnotationError> {
        match self {
            Shape::Marker(p) | Shape::Text(p) => point(p),
            Shape::Drawing { points } => {
                if points.len() < 2 || points.len() > MAX_DRAWING_POINTS {
                    return Err(AnnotationError::BadPointCount);
                }
                points.iter().try_for_each(point)
            }
            Shape::Highlight { x, y, w, h } => {
                unit(*x)?;
                unit(*y)?;
                if !(w.is_finite() && h.is_finite() && *w > 0.0 && *h > 0.0) {
                    return Err(AnnotationError::BadRectangle);
                }
                unit(x + w)?;
                unit(y + h)
            }
            Shape::Arrow { from, to } | Shape::Measure { from, to } => {
                point(from)?;
                point(to)
            }
            Shape::Angle { from, vertex, to } => {
                point(from)?;
                point(vertex)?;
                point(to)?;
                if from == vertex || to == vertex {
                    return Err(AnnotationError::EmptyArm);
                }
                Ok(())
            }
        }
    }
}

impl Style {
    pub fn validate(&self) -> Result<(), AnnotationError> {
        let hex = self.color.strip_prefix('#').unwrap_or("");
        if !(hex.len() == 6 || hex.len() == 8) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(AnnotationError::BadColor);
        }
        if !(self.width.is_finite() && self.width > 0.0 && self.width <= 0.1) {
            return Err(AnnotationError::BadWidth);
        }
        Ok(())
    }
}

/// Validates everything a client sends for one annotation.
pub fn validate(page: i64, shape: &Shape, style: &Style, text: Option<&str>) -> Result<(), AnnotationError> {
    if page < 1 {
        return Err(AnnotationError::BadPage);
    }
    shape.validate()?;
    style.validate()?;
    if text.is_some_and(|t| t.chars().count() > MAX_ANNOTATION_TEXT) {
        return Err(AnnotationError::TextTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_kind_plus_geometry() {
        let s: Shape = serde_json::from_str(r#"{"kind":"highlight","geometry":{"x":0.1,"y":0.2,"w":0.3,"h":0.4}}"#)
            .expect("parse");
        assert_eq!(s, Shape::Highlight { x: 0.1, y: 0.2, w: 0.3, h: 0.4 });
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn geometry_outside_the_page_is_refused() {
        let s = Shape::Marker(Point { x: 1.2, y: 0.5 });
        assert_eq!(s.validate(), Err(AnnotationError::OutOfPage(1.2)));
        let s = Shape::Highlight { x: 0.9, y: 0.1, w: 0.2, h: 0.1 };
        assert!(s.validate().is_err());
        let s = Shape::Drawing { points: vec![Point { x: 0.1, y: f64::NAN }, Point { x: 0.2, y: 0.2 }] };
        assert!(s.validate().is_err());
    }

    #[test]
    fn an_angle_is_three_points_on_the_page_with_arms_of_some_length() {
        let s: Shape = serde_json::from_str(
            r#"{"kind":"angle","geometry":{"from":{"x":0.1,"y":0.2},"vertex":{"x":0.5,"y":0.5},"to":{"x":0.9,"y":0.2}}}"#,
        )
        .expect("parse");
        assert_eq!(s.kind(), "angle");
        assert_eq!(s.validate(), Ok(()));
        let v = Point { x: 0.5, y: 0.5 };
        let on_vertex = Shape::Angle { from: v, vertex: v, to: Point { x: 0.9, y: 0.2 } };
        assert_eq!(on_vertex.validate(), Err(AnnotationError::EmptyArm));
        let off_page = Shape::Angle { from: Point { x: 0.1, y: 0.2 }, vertex: Point { x: 0.5, y: -0.1 }, to: v };
        assert_eq!(off_page.validate(), Err(AnnotationError::OutOfPage(-0.1)));
    }

    #[test]
    fn style_must_be_a_colour_and_a_sane_width() {
        assert!(Style { color: "#ff0000".into(), width: 0.01 }.validate().is_ok());
        assert_eq!(Style { color: "red".into(), width: 0.01 }.validate(), Err(AnnotationError::BadColor));
        assert_eq!(Style { color: "#ff0000".into(), width: 0.0 }.validate(), Err(AnnotationError::BadWidth));
    }
}
