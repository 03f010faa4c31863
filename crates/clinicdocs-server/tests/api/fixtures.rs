//! Files for tests, generated on the fly: valid PDFs (with a correct xref, so qpdf accepts
//! them), JPEGs and PNGs, and the hostile corpus (executables, polyglots, truncations,
//! decompression bombs, password-protected PDFs).

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// A valid PDF with `pages` pages, padded with a comment to at least `min_size` bytes.
pub fn pdf(pages: usize, min_size: usize) -> Vec<u8> {
    let mut objs: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            (0..pages).map(|i| format!("{} 0 R", 3 + i)).collect::<Vec<_>>().join(" ")
        ),
    ];
    for _ in 0..pages {
        objs.push("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".into());
    }
    pdf_file(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", &objs, min_size)
}

/// A PDF file of `objs` (object 1 the catalogue), padded with a comment before its
/// cross-reference table to at least `min_size` bytes.
fn pdf_file(header: &[u8], objs: &[String], min_size: usize) -> Vec<u8> {
    let mut out = header.to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    // Padding as a comment, before the xref so offsets stay right.
    while out.len() + 200 + 20 * objs.len() < min_size {
        let n = (min_size - out.len()).min(4000);
        out.push(b'%');
        out.extend(std::iter::repeat_n(b'x', n.saturating_sub(2).max(1)));
        out.push(b'\n');
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objs.len() + 1).as_bytes(),
    );
    out
}

/// An A4 PDF whose page N (from 1) carries a black square 100 pt wide, its left edge at
/// x = 100·N pt and its top 200 pt from the top of the page: each page looks different.
pub fn pdf_marked(pages: usize) -> Vec<u8> {
    let mut objs: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            (0..pages).map(|i| format!("{} 0 R", 3 + 2 * i)).collect::<Vec<_>>().join(" ")
        ),
    ];
    for i in 0..pages {
        let stream = format!("0 0 0 rg {} 542 100 100 re f", 100 * (i + 1));
        objs.push(format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R >>", 4 + 2 * i));
        objs.push(format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()));
    }
    pdf_file(b"%PDF-1.4\n", &objs, 0)
}

/// Whether the server draws PDF pages here (libpdfium at `CLINICDOCS_PDFIUM`, which
/// scripts/test.sh fetches and sets; required there).
pub fn pdf_engine_or_skip() -> bool {
    if crate::harness::pdf_engine().is_some() {
        return true;
    }
    assert!(
        std::env::var("CLINICDOCS_TEST_REQUIRE_ALL").map_or(true, |v| v != "1"),
        "CLINICDOCS_PDFIUM is not set to libpdfium: scripts/test.sh fetches it"
    );
    eprintln!("skipped: set CLINICDOCS_PDFIUM to libpdfium (scripts/test.sh fetches it)");
    false
}

/// A PDF of exactly `size` bytes (size must be ≥ ~400).
pub fn pdf_exact(size: usize) -> Vec<u8> {
    let mut p = pdf(1, 0);
    assert!(size >= p.len() + 2, "pdf_exact({size}) too small");
    // Insert a comment line before "xref" is simplest done by re-generating with padding and
    // then trimming: build a padded body and append trailing newlines to reach the size.
    let extra = size - p.len();
    p.extend(std::iter::repeat_n(b'\n', extra));
    assert_eq!(p.len(), size);
    p
}

fn photo(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, ((x ^ y) & 0xff) as u8])
    }))
}

pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    photo(w, h).write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg).expect("encode jpeg");
    out
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    photo(w, h).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).expect("encode png");
    out
}

/// The start of a real 64-bit ELF executable, padded.
pub fn elf() -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".to_vec();
    v.resize(4096, 0);
    v
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc_in = kind.to_vec();
    crc_in.extend_from_slice(data);
    c.extend_from_slice(&crc32(&crc_in).to_be_bytes());
    c
}

/// A small, well-formed PNG that claims 60000 × 60000 pixels (a decompression bomb).
pub fn bomb_png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 60000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    v.extend(chunk(b"IHDR", &ihdr));
    // zlib stream of a few zero bytes (the decoder never gets this far).
    v.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]));
    v.extend(chunk(b"IEND", &[]));
    v
}

/// A PNG with a ZIP archive appended (a polyglot).
pub fn png_with_zip() -> Vec<u8> {
    let mut v = png(64, 64);
    v.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0hidden.exe");
    v.extend(std::iter::repeat_n(0u8, 100));
    v
}

pub fn truncated_jpeg() -> Vec<u8> {
    let j = jpeg(400, 300);
    j[..j.len() * 2 / 3].to_vec()
}

/// A password-protected PDF made by `qpdf --encrypt` (the real tool staff's software uses).
pub fn encrypted_pdf() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.pdf");
    let output = dir.path().join("out.pdf");
    std::fs::write(&input, pdf(2, 0)).expect("write pdf");
    let st = std::process::Command::new("qpdf")
        .args(["--encrypt", "user-pw", "owner-pw", "256", "--"])
        .arg(&input)
        .arg(&output)
        .status()
        .expect("qpdf must be installed (scripts/test.sh installs it)");
    assert!(st.success(), "qpdf --encrypt failed");
    std::fs::read(&output).expect("read encrypted pdf")
}

pub fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A PNG of one colour (it compresses to almost nothing, so it fits any file limit while its
/// decode takes the whole pixel budget).
pub fn png_solid(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 120, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// A BMP as scanners write it (24-bit, bottom-up rows), with a gradient so its tile is not flat.
pub fn bmp(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Bmp).expect("bmp");
    out.into_inner()
}

/// A file of the DICOM corpus (`tests/dicom/make_corpus.py`, built by scripts/test.sh), or
/// `None` when the corpus is not there (outside the full test command, which requires it).
pub fn dicom_file(name: &str) -> Option<Vec<u8>> {
    test_set_file("CLINICDOCS_DICOM_CORPUS", name)
}

/// A file of pypdf's encrypted-PDF test set (fetched by scripts/test.sh), or `None` when it is
/// not there (outside the full test command, which requires it).
pub fn encryption_pdf(name: &str) -> Option<Vec<u8>> {
    test_set_file("CLINICDOCS_PDF_ENCRYPTION_CORPUS", name)
}

/// A file of the test set in the folder `var` names, which scripts/test.sh prepares.
fn test_set_file(var: &str, name: &str) -> Option<Vec<u8>> {
    let Some(dir) = std::env::var_os(var) else {
        assert!(
            std::env::var("CLINICDOCS_TEST_REQUIRE_ALL").map_or(true, |v| v != "1"),
            "{var} is not set: scripts/test.sh prepares it"
        );
        eprintln!("skipped: set {var} (scripts/test.sh prepares it)");
        return None;
    };
    Some(std::fs::read(std::path::Path::new(&dir).join(name)).expect("a test-set file"))
}
