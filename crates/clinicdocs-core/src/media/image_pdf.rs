//! A picture as a printable PDF: one A4 page (turned to landscape for a wide picture) with the
//! JPEG fitted inside the margins, embedded as it is (DCTDecode), so a recipient can save or
//! print an X-ray or a photo "as PDF".

use std::fmt::Write;

/// A4 in PDF points, and the margin kept around the picture.
const A4: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 36.0;

/// A one-page PDF showing `jpeg` (a baseline RGB JPEG of `width` × `height` pixels).
pub fn jpeg_on_a4(jpeg: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (pw, ph) = if width > height { (A4.1, A4.0) } else { A4 };
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let scale = ((pw - 2.0 * MARGIN) / w).min((ph - 2.0 * MARGIN) / h);
    let (dw, dh) = (w * scale, h * scale);
    let (x, y) = ((pw - dw) / 2.0, (ph - dh) / 2.0);
    let content = format!("q {dw:.2} 0 0 {dh:.2} {x:.2} {y:.2} cm /Im0 Do Q");
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |out: &mut Vec<u8>, head: String, stream: Option<&[u8]>| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{head}\n", offsets.len()).as_bytes());
        if let Some(bytes) = stream {
            out.extend_from_slice(b"stream\n");
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\nendstream\n");
        }
        out.extend_from_slice(b"endobj\n");
    };
    object(&mut out, "<< /Type /Catalog /Pages 2 0 R >>".into(), None);
    object(&mut out, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(), None);
    object(
        &mut out,
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw} {ph}] /Resources << /XObject << /Im0 4 0 R >> >> \
             /Contents 5 0 R >>"
        ),
        None,
    );
    object(
        &mut out,
        format!(
            "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB \
             /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>",
            jpeg.len()
        ),
        Some(jpeg),
    );
    object(&mut out, format!("<< /Length {} >>", content.len()), Some(content.as_bytes()));
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for o in &offsets {
        let _ = writeln!(table, "{o:010} 00000 n ");
    }
    let _ = write!(table, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", offsets.len() + 1);
    out.extend_from_slice(table.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::pdf::scan_bytes;

    #[test]
    fn a_picture_becomes_a_one_page_pdf_that_reads_back() {
        let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(40, 20, image::Rgb([200, 10, 10])));
        let jpeg = crate::media::image_file::fitted_jpeg(&img, 100, 90).expect("jpeg");
        let pdf = jpeg_on_a4(&jpeg, 40, 20);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.contains("/MediaBox [0 0 842 595]"), "a wide picture turns the page");
        let facts = scan_bytes(&pdf);
        assert_eq!(facts.page_count, Some(1));
        assert!(facts.complete && !facts.encrypted);
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert_eq!(&pdf[xref..xref + 4], b"xref");
    }
}
