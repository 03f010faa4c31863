//! Marks written into a PDF's pages as page objects (paths and Helvetica text) through pdfium,
//! so every PDF reader shows them. Page coordinates are those the viewer showed: a page with a
//! /Rotate is drawn turned, so marks are turned back into the page's own space first.

use super::marks::{ops, Op, Rgba};
use crate::media::pdf::{edit, PdfError};
use crate::media::scale::ImageScale;
use clinicdocs_core::api::Annotation;
use pdfium_render::prelude::*;

fn color(c: Rgba) -> PdfColor {
    PdfColor::new(c.0, c.1, c.2, c.3)
}

/// The PDF with each page's marks drawn onto that page.
pub fn annotated_pdf(pdf: &[u8], marks: &[Annotation]) -> Result<Vec<u8>, PdfError> {
    edit(pdf, |doc| {
        let font = doc.fonts_mut().helvetica_bold();
        let count = doc.pages().len();
        for index in 0..count {
            let number = i64::from(index) + 1;
            if !marks.iter().any(|m| m.page_number == number) {
                continue;
            }
            let mut page = doc.pages().get(index).map_err(|e| PdfError::Render(e.to_string()))?;
            // As shown (turned), in points; and how to map a shown point into the page's space.
            let (sw, sh) = (page.width().value, page.height().value);
            let turns = match page.rotation() {
                Ok(PdfPageRenderRotation::Degrees90) => 1,
                Ok(PdfPageRenderRotation::Degrees180) => 2,
                Ok(PdfPageRenderRotation::Degrees270) => 3,
                _ => 0,
            };
            let (cw, ch) = if turns % 2 == 1 { (sh, sw) } else { (sw, sh) };
            let to_page = |(x, y): (f32, f32)| -> (PdfPoints, PdfPoints) {
                let (u, v) = (x / sw, y / sh);
                let (s, t) = match turns {
                    1 => (v, 1.0 - u),
                    2 => (1.0 - u, 1.0 - v),
                    3 => (1.0 - v, u),
                    _ => (u, v),
                };
                (PdfPoints::new(s * cw), PdfPoints::new((1.0 - t) * ch))
            };
            let render_err = |e: PdfiumError| PdfError::Render(e.to_string());
            let scale = ImageScale { width: f64::from(sw), height: f64::from(sh), spacing: None };
            for op in ops(marks, number, sw, sh, &scale) {
                match op {
                    Op::Stroke { ref points, .. } | Op::Fill { ref points, .. } if points.is_empty() => {}
                    Op::Stroke { points, color: c, width } => {
                        let (x0, y0) = to_page(points[0]);
                        let mut path =
                            PdfPagePathObject::new(doc, x0, y0, Some(color(c)), Some(PdfPoints::new(width)), None)
                                .map_err(render_err)?;
                        for p in points.iter().skip(1) {
                            let (x, y) = to_page(*p);
                            path.line_to(x, y).map_err(render_err)?;
                        }
                        page.objects_mut().add_path_object(path).map_err(render_err)?;
                    }
                    Op::Fill { points, color: c } => {
                        let (x0, y0) = to_page(points[0]);
                        let mut path =
                            PdfPagePathObject::new(doc, x0, y0, None, None, Some(color(c))).map_err(render_err)?;
                        for p in points.iter().skip(1) {
                            let (x, y) = to_page(*p);
                            path.line_to(x, y).map_err(render_err)?;
                        }
                        path.close_path().map_err(render_err)?;
                        page.objects_mut().add_path_object(path).map_err(render_err)?;
                    }
                    Op::Dot { center, radius, color: c } => {
                        let (x, y) = to_page(center);
                        let dot = PdfPagePathObject::new_circle_at(
                            doc,
                            x,
                            y,
                            PdfPoints::new(radius),
                            None,
                            None,
                            Some(color(c)),
                        )
                        .map_err(render_err)?;
                        page.objects_mut().add_path_object(dot).map_err(render_err)?;
                    }
                    Op::Text { at, size, text, color: c, centered } => {
                        let width_guess = size * 0.6 * text.chars().count() as f32;
                        let at = if centered { (at.0 - width_guess / 2.0, at.1 + size * 0.35) } else { at };
                        let (x, y) = to_page(at);
                        let mut t =
                            PdfPageTextObject::new(doc, &text, font, PdfPoints::new(size)).map_err(render_err)?;
                        t.set_fill_color(color(c)).map_err(render_err)?;
                        t.translate(x, y).map_err(render_err)?;
                        if turns != 0 {
                            t.rotate_counter_clockwise_degrees(90.0 * turns as f32).map_err(render_err)?;
                        }
                        page.objects_mut().add_text_object(t).map_err(render_err)?;
                    }
                }
            }
        }
        Ok(())
    })
}
