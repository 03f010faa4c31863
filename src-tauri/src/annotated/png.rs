//! Marks painted onto a picture (tiny-skia, anti-aliased), text with the embedded DejaVu Sans
//! Bold (ab_glyph), written out as PNG.

use super::marks::{ops, Op, Rgba};
use super::ExportError;
use crate::media::scale::{image_scale, ImageScale};
use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use clinicdocs_core::api::Annotation;
use clinicdocs_core::media::{image_file, sniff};
use tiny_skia::{FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform};

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Page `page` (from 1; a TIFF's, else the picture) of the picture, upright as the viewer shows
/// it, with that page's marks drawn on, as PNG. Any picture the app reads (HEIC too). Measures
/// are labelled in its pixels, and in millimetres when it states its pixel spacing.
pub fn annotated_png(picture: &[u8], marks: &[Annotation], page: u16) -> Result<Vec<u8>, ExportError> {
    let kind = sniff(picture).map_err(|e| ExportError::Image(e.to_string()))?;
    let index = usize::from(page.max(1) - 1);
    let img = image_file::decode_page(picture, kind, index).map_err(|e| ExportError::Image(e.to_string()))?;
    let (w, h) = (img.width(), img.height());
    let scale = image_scale(picture, kind)
        .filter(|s| (s.width, s.height) == (f64::from(w), f64::from(h)))
        .unwrap_or(ImageScale { width: f64::from(w), height: f64::from(h), spacing: None });
    paint_marks(img, &scale, marks, page.max(1))
}

/// A picture already drawn (e.g. a DICOM frame at the doctor's window) with the marks of page
/// `page` painted on, as PNG; measures labelled through `scale`.
pub fn paint_marks(
    img: image::DynamicImage,
    scale: &ImageScale,
    marks: &[Annotation],
    page: u16,
) -> Result<Vec<u8>, ExportError> {
    let img = img.to_rgba8();
    let (w, h) = img.dimensions();
    let mut data = img.into_raw();
    for px in data.chunks_exact_mut(4) {
        let a = u16::from(px[3]);
        for c in &mut px[..3] {
            *c = ((u16::from(*c) * a + 127) / 255) as u8; // tiny-skia works premultiplied
        }
    }
    let size = tiny_skia::IntSize::from_wh(w, h).ok_or_else(|| ExportError::Image("empty picture".into()))?;
    let mut pixmap = Pixmap::from_vec(data, size).ok_or_else(|| ExportError::Image("bad size".into()))?;
    let font = FontRef::try_from_slice(FONT).map_err(|e| ExportError::Image(e.to_string()))?;
    for op in ops(marks, i64::from(page), w as f32, h as f32, scale) {
        paint(&mut pixmap, &font, &op);
    }
    let mut out = Vec::with_capacity(pixmap.data().len());
    for p in pixmap.pixels() {
        let c = p.demultiply();
        out.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    let rgba = image::RgbaImage::from_raw(w, h, out).ok_or_else(|| ExportError::Image("bad size".into()))?;
    let mut png = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut png, image::ImageFormat::Png).map_err(|e| ExportError::Image(e.to_string()))?;
    Ok(png.into_inner())
}

fn solid(c: Rgba) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(c.0, c.1, c.2, c.3);
    p.anti_alias = true;
    p
}

fn path(points: &[(f32, f32)], close: bool) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    if close {
        pb.close();
    }
    pb.finish()
}

fn paint(pixmap: &mut Pixmap, font: &FontRef<'_>, op: &Op) {
    match op {
        Op::Stroke { points, color, width } => {
            let points = if points.len() == 1 { vec![points[0], points[0]] } else { points.clone() };
            if let Some(p) = path(&points, false) {
                let stroke =
                    Stroke { width: *width, line_cap: LineCap::Round, line_join: LineJoin::Round, ..Stroke::default() };
                pixmap.stroke_path(&p, &solid(*color), &stroke, Transform::identity(), None);
            }
        }
        Op::Fill { points, color } => {
            if let Some(p) = path(points, true) {
                pixmap.fill_path(&p, &solid(*color), FillRule::Winding, Transform::identity(), None);
            }
        }
        Op::Dot { center, radius, color } => {
            if let Some(p) = PathBuilder::from_circle(center.0, center.1, *radius) {
                pixmap.fill_path(&p, &solid(*color), FillRule::Winding, Transform::identity(), None);
            }
        }
        Op::Text { at, size, text, color, centered } => {
            // A white halo first, so the words read on dark and light pictures alike.
            if !centered {
                for (dx, dy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
                    text_at(pixmap, font, (at.0 + dx, at.1 + dy), *size, text, Rgba(255, 255, 255, 230), false);
                }
            }
            text_at(pixmap, font, *at, *size, text, *color, *centered);
        }
    }
}

fn text_at(
    pixmap: &mut Pixmap,
    font: &FontRef<'_>,
    at: (f32, f32),
    size: f32,
    text: &str,
    color: Rgba,
    centered: bool,
) {
    let scaled = font.as_scaled(PxScale::from(size));
    let advance: f32 = text.chars().map(|c| scaled.h_advance(scaled.glyph_id(c))).sum();
    let (mut x, baseline) =
        if centered { (at.0 - advance / 2.0, at.1 + (scaled.ascent() + scaled.descent()) / 2.0) } else { at };
    let (w, h) = (pixmap.width() as i32, pixmap.height() as i32);
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        let glyph = id.with_scale_and_position(scaled.scale(), ab_glyph::point(x, baseline));
        x += scaled.h_advance(id);
        let Some(outlined) = font.outline_glyph(glyph) else { continue };
        let b = outlined.px_bounds();
        let data = pixmap.pixels_mut();
        outlined.draw(|gx, gy, cov| {
            let (px, py) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
            if px < 0 || py < 0 || px >= w || py >= h {
                return;
            }
            let a = cov.clamp(0.0, 1.0) * f32::from(color.3) / 255.0;
            let i = (py * w + px) as usize;
            let d = data[i];
            let mix = |s: u8, d: u8| (f32::from(s) * a + f32::from(d) * (1.0 - a)).round() as u8;
            let out_a = mix(255, d.alpha());
            if let Some(p) = tiny_skia::PremultipliedColorU8::from_rgba(
                mix(color.0, d.red()).min(out_a),
                mix(color.1, d.green()).min(out_a),
                mix(color.2, d.blue()).min(out_a),
                out_a,
            ) {
                data[i] = p;
            }
        });
    }
}
