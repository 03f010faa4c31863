//! Export with annotations, made here so a document can go to a specialist who has no app:
//! `marks` turns annotations into drawing operations on a page (the one description of how a
//! mark looks on paper), `png` paints them onto an image with tiny-skia, and `pdf` writes them
//! into a PDF's pages as real page objects through pdfium.

pub mod marks;
pub mod pdf;
pub mod png;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("The picture could not be read: {0}")]
    Image(String),
    #[error("The PDF could not be written: {0}")]
    Pdf(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::pdf::{render_page, PdfError, Size};
    use crate::scanner::assemble::{combine, Page};
    use clinicdocs_core::annotation::{Point, Shape, Style};
    use clinicdocs_core::api::Annotation;
    use clinicdocs_core::media::FileKind;

    fn mark(page: i64, shape: Shape, color: &str, width: f64, text: Option<&str>) -> Annotation {
        Annotation {
            id: uuid::Uuid::new_v4(),
            document_id: uuid::Uuid::nil(),
            page_number: page,
            shape,
            style: Style { color: color.into(), width },
            text: text.map(str::to_string),
            created_by: uuid::Uuid::nil(),
            created_by_name: "Dr. Dana Doctor".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    fn pt(x: f64, y: f64) -> Point {
        Point { x, y }
    }

    fn white(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([255, 255, 255]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, format).expect("encode");
        out.into_inner()
    }

    fn is(px: &image::Rgba<u8>, want: [u8; 3]) -> bool {
        px.0.iter().zip(want).all(|(a, b)| a.abs_diff(b) < 40)
    }

    #[test]
    fn an_exported_png_has_each_stroke_in_its_colour_where_it_was_drawn() {
        let marks = [
            mark(1, Shape::Arrow { from: pt(0.1, 0.5), to: pt(0.9, 0.5) }, "#ff0000", 0.01, None),
            mark(1, Shape::Highlight { x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, "#0000ff", 0.004, None),
            mark(1, Shape::Marker(pt(0.8, 0.2)), "#00a000", 0.004, Some("here")),
            mark(1, Shape::Text(pt(0.1, 0.85)), "#000000", 0.004, Some("Fracture of the distal radius")),
            mark(2, Shape::Marker(pt(0.5, 0.5)), "#ff00ff", 0.004, None), // another page: not on an image
        ];
        let png = png::annotated_png(&white(400, 300, image::ImageFormat::Png), &marks, 1).expect("export");
        let img = image::load_from_memory(&png).expect("a PNG").to_rgba8();
        assert_eq!(img.dimensions(), (400, 300));
        assert!(is(img.get_pixel(200, 150), [255, 0, 0]), "arrow: {:?}", img.get_pixel(200, 150));
        let hl = img.get_pixel(80, 60);
        assert!(hl[2] > 200 && hl[0] < 200 && hl[0] > 120, "translucent blue highlight: {hl:?}");
        assert!(is(img.get_pixel(320, 67), [0, 160, 0]), "marker (below its number): {:?}", img.get_pixel(320, 67));
        assert!(is(img.get_pixel(200, 60), [255, 255, 255]), "nothing drawn elsewhere");
        assert!(is(img.get_pixel(200, 200), [255, 255, 255]), "page 2's mark is not on the picture");
        let inked = (40..300)
            .flat_map(|x| (235..262).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y)[0] < 80)
            .count();
        assert!(inked > 300, "the note's text is written ({inked} dark pixels)");
    }

    /// `jpeg` with an EXIF block (APP1) saying `orientation`, right after its SOI.
    fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut seg = b"Exif\0\0II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
        seg.extend_from_slice(&orientation.to_le_bytes());
        seg.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&u16::try_from(seg.len() + 2).expect("len").to_be_bytes());
        out.extend_from_slice(&seg);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn a_phone_photo_taken_sideways_is_exported_upright_with_its_marks_where_they_were_drawn() {
        // Stored 400 × 200, shown (and marked) upright as 200 × 400.
        let photo = with_orientation(&white(400, 200, image::ImageFormat::Jpeg), 6);
        let marks = [mark(1, Shape::Highlight { x: 0.0, y: 0.75, w: 1.0, h: 0.25 }, "#0000ff", 0.004, None)];
        let out = png::annotated_png(&photo, &marks, 1).expect("export");
        let img = image::load_from_memory(&out).expect("a PNG").to_rgba8();
        assert_eq!(img.dimensions(), (200, 400), "upright");
        assert!(img.get_pixel(100, 350)[0] < 230, "the bottom quarter is highlighted: {:?}", img.get_pixel(100, 350));
        assert!(is(img.get_pixel(100, 100), [255, 255, 255]), "the top is not");
    }

    #[test]
    fn a_heic_photo_is_exported_with_its_marks() {
        let photo = clinicdocs_core::media::heic::fixtures::heic(320, 240);
        let marks = [mark(1, Shape::Highlight { x: 0.5, y: 0.5, w: 0.5, h: 0.5 }, "#00ff00", 0.004, None)];
        let img =
            image::load_from_memory(&png::annotated_png(&photo, &marks, 1).expect("export")).expect("png").to_rgba8();
        assert_eq!(img.dimensions(), (320, 240));
        let (marked, plain) = (img.get_pixel(280, 200), img.get_pixel(280, 60));
        assert!(marked[1] > plain[1] + 40, "the highlight is on the photo's blue half: {marked:?} vs {plain:?}");
    }

    #[test]
    fn a_tiff_page_is_exported_with_the_marks_of_that_page_only() {
        use clinicdocs_core::media::tiff_pages::fixtures::{grey, multipage};
        let file = multipage(&[grey(200, 100, 255), grey(200, 100, 255)]);
        let marks = [
            mark(1, Shape::Highlight { x: 0.0, y: 0.0, w: 0.5, h: 1.0 }, "#ff0000", 0.004, None),
            mark(2, Shape::Highlight { x: 0.5, y: 0.0, w: 0.5, h: 1.0 }, "#0000ff", 0.004, None),
        ];
        let img =
            image::load_from_memory(&png::annotated_png(&file, &marks, 2).expect("export")).expect("png").to_rgba8();
        assert_eq!(img.dimensions(), (200, 100));
        assert!(
            is(img.get_pixel(20, 50), [255, 255, 255]),
            "page 1's mark is not on page 2: {:?}",
            img.get_pixel(20, 50)
        );
        let right = img.get_pixel(180, 50);
        assert!(right[2] > 200 && right[0] < 200, "page 2's own mark: {right:?}");
    }

    #[test]
    fn a_measure_is_labelled_in_millimetres_when_the_picture_states_its_spacing() {
        use crate::media::scale::image_scale;
        // A 1000 × 500 JPEG saying 254 dots per inch: 0.1 mm per pixel.
        let mut jpeg = white(1000, 500, image::ImageFormat::Jpeg);
        let (at, len) = (4, usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]])));
        assert_eq!(&jpeg[at + 2..at + 7], b"JFIF\0", "the encoder writes JFIF first");
        jpeg[at + 9] = 1; // units: dots per inch
        jpeg[at + 10..at + 14].copy_from_slice(&[0, 254, 0, 254]);
        assert!(len >= 16);
        let scale = image_scale(&jpeg, FileKind::Jpeg).expect("a picture");
        assert_eq!((scale.width, scale.height), (1000.0, 500.0));
        let m = [mark(1, Shape::Measure { from: pt(0.1, 0.1), to: pt(0.4, 0.9) }, "#ff0000", 0.004, None)];
        let texts: Vec<String> = marks::ops(&m, 1, 1000.0, 500.0, &scale)
            .into_iter()
            .filter_map(|op| match op {
                marks::Op::Text { text, .. } => Some(text),
                _ => None,
            })
            .collect();
        assert_eq!(texts, vec!["50.0 mm (500 px)".to_string()]);
        let plain = image_scale(&white(1000, 500, image::ImageFormat::Jpeg), FileKind::Jpeg).expect("a picture");
        assert_eq!(plain.spacing, None, "no stated spacing: pixels only");
    }

    #[test]
    fn an_angle_is_exported_as_two_arms_labelled_in_degrees_at_its_vertex() {
        let photo = white(400, 200, image::ImageFormat::Png);
        // Arms from (200, 150) to (100, 50) and to (300, 50): a right angle in the picture's pixels.
        let m = [mark(
            1,
            Shape::Angle { from: pt(0.25, 0.25), vertex: pt(0.5, 0.75), to: pt(0.75, 0.25) },
            "#0000ff",
            0.01,
            None,
        )];
        let scale = crate::media::scale::image_scale(&photo, FileKind::Png).expect("a picture");
        let ops = marks::ops(&m, 1, 400.0, 200.0, &scale);
        assert!(ops.iter().any(|op| matches!(op, marks::Op::Text { text, .. } if text == "90.0°")), "{ops:?}");
        let out = png::annotated_png(&photo, &m, 1).expect("export");
        let img = image::load_from_memory(&out).expect("a PNG").to_rgba8();
        for (x, y) in [(150, 100), (250, 100), (105, 55)] {
            assert!(
                img.get_pixel(x, y)[2] > 150 && img.get_pixel(x, y)[0] < 100,
                "an arm passes ({x}, {y}): {:?}",
                img.get_pixel(x, y)
            );
        }
        assert!(is(img.get_pixel(200, 60), [255, 255, 255]), "nothing between the arms");
    }

    /// Skips when libpdfium is not installed, unless the whole suite must run.
    fn pdf_or_skip(r: &Result<Vec<u8>, PdfError>) -> bool {
        if let Err(PdfError::EngineMissing(e)) = r {
            assert!(
                std::env::var("CLINICDOCS_TEST_REQUIRE_ALL").map_or(true, |v| v != "1"),
                "libpdfium is required: {e}"
            );
            eprintln!("skipped: {e}");
            return false;
        }
        true
    }

    #[test]
    fn an_exported_pdf_has_the_marks_on_their_own_pages_even_on_a_turned_page() {
        let (a, b) = (white(1240, 1754, image::ImageFormat::Jpeg), white(1240, 1754, image::ImageFormat::Jpeg));
        // Page 1 is a scan turned a quarter clockwise (/Rotate 90); page 2 is upright.
        let src = combine(&[
            Page { name: "1.jpg", bytes: &a, kind: FileKind::Jpeg, quarter_turns: 1 },
            Page { name: "2.jpg", bytes: &b, kind: FileKind::Jpeg, quarter_turns: 0 },
        ])
        .expect("pdf");
        let marks = [
            mark(2, Shape::Arrow { from: pt(0.1, 0.5), to: pt(0.9, 0.5) }, "#0000ff", 0.01, Some("see")),
            mark(1, Shape::Highlight { x: 0.05, y: 0.05, w: 0.25, h: 0.2 }, "#ff0000ff", 0.004, None),
        ];
        let out = pdf::annotated_pdf(&src, &marks);
        if !pdf_or_skip(&out) {
            return;
        }
        let out = out.expect("export");
        let page = |i: u16| {
            image::load_from_memory(&render_page(&out, i, Size::Width(600)).expect("render")).expect("jpeg").to_rgba8()
        };
        let p2 = page(1);
        let (w2, h2) = p2.dimensions();
        assert!(is(p2.get_pixel(w2 / 2, h2 / 2), [0, 0, 255]), "page 2, middle: {:?}", p2.get_pixel(w2 / 2, h2 / 2));
        assert!(is(p2.get_pixel(w2 / 2, h2 / 4), [255, 255, 255]), "page 2 elsewhere untouched");
        let p1 = page(0);
        let (w1, h1) = p1.dimensions();
        assert!(w1 > h1, "page 1 is shown turned (landscape)");
        let tl = p1.get_pixel(w1 / 10, h1 / 8);
        assert!(tl[0] > 200 && tl[1] < 230 && tl[1] > 120, "page 1's highlight at the top left as shown: {tl:?}");
        assert!(is(p1.get_pixel(w1 * 9 / 10, h1 * 7 / 8), [255, 255, 255]), "not at the bottom right");
        assert!(is(p1.get_pixel(w1 / 2, h1 / 2), [255, 255, 255]), "page 2's arrow is not on page 1");
        // The source is unchanged: export writes a new file.
        let before =
            image::load_from_memory(&render_page(&src, 1, Size::Width(600)).expect("render")).expect("jpeg").to_rgba8();
        assert!(is(before.get_pixel(w2 / 2, h2 / 2), [255, 255, 255]));
    }
}
