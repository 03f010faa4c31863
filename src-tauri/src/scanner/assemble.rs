//! Turning scanned pages into what is sent: a page turned by quarter turns (JPEG losslessly
//! through libjpeg-turbo's transform, other pictures decoded, turned and written again as PNG),
//! and several page images combined into one PDF, one page each, in the order chosen. JPEG
//! pages go into the PDF as they are (DCTDecode) with the turn as the page's /Rotate; other
//! pictures are written as JPEG first. Pages are sized as scanned at 150 dpi.

use clinicdocs_core::media::FileKind;
use std::fmt::Write as _;

/// JPEG quality of a page re-encoded after turning (when it could not be turned losslessly):
/// high, as it is the document itself.
const TURNED_JPEG_QUALITY: u8 = 90;

/// Pixels per inch assumed for a scanned page's printed size.
const DPI: f64 = 150.0;

#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error("“{0}” is not a picture, so it cannot be turned or made a page of a PDF.")]
    NotAPicture(String),
    #[error("“{0}” could not be read as a picture: {1}")]
    Unreadable(String, String),
    #[error("Choose at least one page.")]
    NoPages,
}

/// One scanned page: its bytes, what they are, and how many quarter turns clockwise to apply.
pub struct Page<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
    pub kind: FileKind,
    pub quarter_turns: u8,
}

fn unreadable(name: &str, e: impl std::fmt::Display) -> AssembleError {
    AssembleError::Unreadable(name.to_string(), e.to_string())
}

/// The page turned clockwise by `quarter_turns` × 90°, in its own format (PNG for pictures
/// other than JPEG); the bytes unchanged when there is nothing to turn.
pub fn turned(page: &Page) -> Result<(Vec<u8>, FileKind), AssembleError> {
    let turns = page.quarter_turns % 4;
    if turns == 0 {
        return Ok((page.bytes.to_vec(), page.kind));
    }
    match page.kind {
        FileKind::Jpeg => {
            let op = match turns {
                1 => turbojpeg::TransformOp::Rot90,
                2 => turbojpeg::TransformOp::Rot180,
                _ => turbojpeg::TransformOp::Rot270,
            };
            let mut t = turbojpeg::Transform::op(op);
            t.trim = true; // a partial edge block cannot be turned losslessly; drop those pixels
            let out = turbojpeg::transform(&t, page.bytes).map_err(|e| unreadable(page.name, e))?;
            Ok((out.to_vec(), FileKind::Jpeg))
        }
        FileKind::Png | FileKind::Tiff | FileKind::Webp | FileKind::Bmp => {
            let img = image::load_from_memory(page.bytes).map_err(|e| unreadable(page.name, e))?;
            let img = match turns {
                1 => img.rotate90(),
                2 => img.rotate180(),
                _ => img.rotate270(),
            };
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).map_err(|e| unreadable(page.name, e))?;
            Ok((out.into_inner(), FileKind::Png))
        }
        _ => Err(AssembleError::NotAPicture(page.name.to_string())),
    }
}

/// A page as a PDF image: JPEG bytes, pixel size and colour space.
struct PdfImage {
    jpeg: Vec<u8>,
    width: usize,
    height: usize,
    gray: bool,
}

fn pdf_image(page: &Page) -> Result<PdfImage, AssembleError> {
    if page.kind == FileKind::Jpeg {
        let h = turbojpeg::read_header(page.bytes).map_err(|e| unreadable(page.name, e))?;
        match h.colorspace {
            turbojpeg::Colorspace::Gray => {
                return Ok(PdfImage { jpeg: page.bytes.to_vec(), width: h.width, height: h.height, gray: true })
            }
            turbojpeg::Colorspace::RGB | turbojpeg::Colorspace::YCbCr => {
                return Ok(PdfImage { jpeg: page.bytes.to_vec(), width: h.width, height: h.height, gray: false })
            }
            _ => {} // CMYK and YCCK: written again as RGB below
        }
    } else if !matches!(page.kind, FileKind::Png | FileKind::Tiff | FileKind::Webp | FileKind::Bmp) {
        return Err(AssembleError::NotAPicture(page.name.to_string()));
    }
    let img = image::load_from_memory(page.bytes).map_err(|e| unreadable(page.name, e))?;
    let gray = !img.color().has_color();
    let mut out = std::io::Cursor::new(Vec::new());
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, TURNED_JPEG_QUALITY);
    let (width, height) = (img.width() as usize, img.height() as usize);
    if gray {
        img.to_luma8().write_with_encoder(enc).map_err(|e| unreadable(page.name, e))?;
    } else {
        img.to_rgb8().write_with_encoder(enc).map_err(|e| unreadable(page.name, e))?;
    }
    Ok(PdfImage { jpeg: out.into_inner(), width, height, gray })
}

/// One PDF holding the pages in order, each turned by its quarter turns.
pub fn combine(pages: &[Page]) -> Result<Vec<u8>, AssembleError> {
    if pages.is_empty() {
        return Err(AssembleError::NoPages);
    }
    let images = pages.iter().map(pdf_image).collect::<Result<Vec<_>, _>>()?;
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets: Vec<usize> = Vec::new();
    let object = |out: &mut Vec<u8>, offsets: &mut Vec<usize>, head: String, stream: Option<&[u8]>| {
        offsets.push(out.len());
        let n = offsets.len();
        out.extend_from_slice(format!("{n} 0 obj\n{head}").as_bytes());
        if let Some(s) = stream {
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(s);
            out.extend_from_slice(b"\nendstream");
        }
        out.extend_from_slice(b"\nendobj\n");
    };
    // Objects: 1 catalog, 2 page tree, then per page i: page 3+3i, contents 4+3i, image 5+3i.
    let kids = (0..images.len()).fold(String::new(), |mut s, i| {
        let _ = write!(s, "{} 0 R ", 3 + 3 * i);
        s
    });
    object(&mut out, &mut offsets, "<< /Type /Catalog /Pages 2 0 R >>".into(), None);
    object(
        &mut out,
        &mut offsets,
        format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.trim_end(), images.len()),
        None,
    );
    for (i, (img, page)) in images.iter().zip(pages).enumerate() {
        let (w, h) = (img.width as f64 * 72.0 / DPI, img.height as f64 * 72.0 / DPI);
        let rotate = u32::from(page.quarter_turns % 4) * 90;
        object(
            &mut out,
            &mut offsets,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:.2} {h:.2}] /Rotate {rotate} \
                 /Resources << /XObject << /Im0 {} 0 R >> >> /Contents {} 0 R >>",
                5 + 3 * i,
                4 + 3 * i
            ),
            None,
        );
        let content = format!("q {w:.2} 0 0 {h:.2} 0 0 cm /Im0 Do Q");
        object(&mut out, &mut offsets, format!("<< /Length {} >>", content.len()), Some(content.as_bytes()));
        object(
            &mut out,
            &mut offsets,
            format!(
                "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /{} /BitsPerComponent 8 \
                 /Filter /DCTDecode /Length {} >>",
                img.width,
                img.height,
                if img.gray { "DeviceGray" } else { "DeviceRGB" },
                img.jpeg.len()
            ),
            Some(&img.jpeg),
        );
    }
    let xref = out.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for o in &offsets {
        let _ = writeln!(tail, "{o:010} 00000 n ");
    }
    let _ = write!(tail, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", offsets.len() + 1);
    out.extend_from_slice(tail.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
        let img = image::RgbImage::from_fn(
            w,
            h,
            |x, _| if x < w / 2 { image::Rgb(rgb) } else { image::Rgb([255, 255, 255]) },
        );
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)).expect("encode");
        out.into_inner()
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([((x + y) % 256) as u8]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).expect("encode");
        out.into_inner()
    }

    #[test]
    fn a_quarter_turn_swaps_width_and_height_and_keeps_the_left_half_on_top() {
        let src = jpeg(320, 160, [200, 0, 0]);
        let page = Page { name: "scan.jpg", bytes: &src, kind: FileKind::Jpeg, quarter_turns: 1 };
        let (out, kind) = turned(&page).expect("turned");
        assert_eq!(kind, FileKind::Jpeg);
        let img = image::load_from_memory(&out).expect("decode").to_rgb8();
        assert_eq!((img.width(), img.height()), (160, 320));
        // Turned clockwise, the red left half is now the top half.
        assert!(img.get_pixel(80, 40)[0] > 150 && img.get_pixel(80, 40)[1] < 80, "{:?}", img.get_pixel(80, 40));
        assert!(img.get_pixel(80, 280)[1] > 200, "{:?}", img.get_pixel(80, 280));
        let p = png(30, 20);
        let (out, kind) =
            turned(&Page { name: "p.png", bytes: &p, kind: FileKind::Png, quarter_turns: 3 }).expect("png");
        assert_eq!(kind, FileKind::Png);
        let img = image::load_from_memory(&out).expect("decode");
        assert_eq!((img.width(), img.height()), (20, 30));
    }

    #[test]
    fn pages_combine_into_one_pdf_in_the_chosen_order_that_the_server_accepts() {
        let (a, b) = (jpeg(1240, 1754, [0, 0, 200]), png(600, 800));
        let pages = [
            Page { name: "b.png", bytes: &b, kind: FileKind::Png, quarter_turns: 0 },
            Page { name: "a.jpg", bytes: &a, kind: FileKind::Jpeg, quarter_turns: 1 },
        ];
        let pdf = combine(&pages).expect("pdf");
        let inspected = clinicdocs_core::media::inspect_document(&pdf).expect("a PDF the server accepts");
        assert_eq!(inspected.kind, FileKind::Pdf);
        assert_eq!(inspected.page_count, Some(2));
        let text = String::from_utf8_lossy(&pdf);
        let first =
            text.find("/MediaBox [0 0 288.00 384.00] /Rotate 0").expect("the PNG page first, 600×800 px at 150 dpi");
        let second = text.find("/MediaBox [0 0 595.20 841.92] /Rotate 90").expect("the JPEG page turned");
        assert!(first < second);
        assert!(text.contains("/ColorSpace /DeviceGray"), "a grey scan stays grey");
    }

    #[test]
    fn a_pdf_or_a_broken_picture_cannot_be_a_page() {
        let fake = b"\xff\xd8\xff\xe0 not really".to_vec();
        let e = combine(&[Page { name: "x.jpg", bytes: &fake, kind: FileKind::Jpeg, quarter_turns: 0 }])
            .expect_err("broken");
        assert!(e.to_string().starts_with("“x.jpg” could not be read as a picture"), "{e}");
        let e = combine(&[Page { name: "r.pdf", bytes: b"%PDF-1.4", kind: FileKind::Pdf, quarter_turns: 0 }])
            .expect_err("pdf");
        assert!(matches!(e, AssembleError::NotAPicture(_)));
        assert!(matches!(combine(&[]), Err(AssembleError::NoPages)));
    }
}
