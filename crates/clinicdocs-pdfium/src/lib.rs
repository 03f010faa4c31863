//! PDF pages drawn by pdfium (`pdfium-render`), bound once per process to the libpdfium shared
//! library that the setup step fetched (the desktop app bundles it as a resource; the server
//! finds it through `CLINICDOCS_PDFIUM` or beside its executable). Pages are encoded straight
//! from pdfium's bitmap (RGBA: pdfium-render asks for reversed byte order) to JPEG by
//! libjpeg-turbo. The desktop draws in its own process; the server only in a child process.

use pdfium_render::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The smallest and largest edge a page is rendered at, in pixels (a 6000-px page is about
/// 100 MB of bitmap: the most one render may take).
const MIN_RENDER_PX: u32 = 16;
const MAX_RENDER_PX: u32 = 6000;

/// Bound once; a failure is kept too, so every later page says the same thing at once.
static PDFIUM: OnceLock<Result<Pdfium, PdfError>> = OnceLock::new();
static LIBRARY: OnceLock<PathBuf> = OnceLock::new();

/// The file name of the library on this platform.
pub const LIBRARY_FILE: &str = if cfg!(target_os = "windows") {
    "pdfium.dll"
} else if cfg!(target_os = "macos") {
    "libpdfium.dylib"
} else {
    "libpdfium.so"
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum PdfError {
    #[error(
        "PDF pages cannot be drawn here: the PDF engine (libpdfium) is missing ({0}). Reinstall Clinic Documents, \
         or on a server set CLINICDOCS_PDFIUM to the library."
    )]
    EngineMissing(String),
    #[error("This PDF could not be opened ({0}).")]
    Open(String),
    #[error("Page {0} does not exist in this PDF.")]
    NoSuchPage(u16),
    #[error("The page could not be drawn ({0}).")]
    Render(String),
}

/// Where to find libpdfium; the first call wins. Without it the library is looked for beside
/// the executable.
pub fn use_library(path: PathBuf) {
    let _ = LIBRARY.set(path);
}

/// The candidate paths, best first: `CLINICDOCS_PDFIUM`, the configured resource, beside the exe.
pub fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("CLINICDOCS_PDFIUM") {
        out.push(PathBuf::from(p));
    }
    if let Some(p) = LIBRARY.get() {
        out.push(p.clone());
    }
    if let Some(dir) = std::env::current_exe().ok().as_deref().and_then(Path::parent) {
        out.push(dir.join(LIBRARY_FILE));
        out.push(dir.join("resources").join(LIBRARY_FILE));
    }
    out
}

/// The library that will be bound: the first candidate that exists.
pub fn library_path() -> Option<PathBuf> {
    candidates().into_iter().find(|p| p.is_file())
}

fn pdfium() -> Result<&'static Pdfium, PdfError> {
    PDFIUM
        .get_or_init(|| {
            let path = library_path().ok_or_else(|| PdfError::EngineMissing(format!("{LIBRARY_FILE} not found")))?;
            Pdfium::bind_to_library(&path)
                .map(Pdfium::new)
                .map_err(|e| PdfError::EngineMissing(format!("{}: {e}", path.display())))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// How big to draw a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Size {
    /// This many pixels wide.
    Width(u32),
    /// This many pixels on the longest side (thumbnails).
    LongEdge(u32),
    /// At this resolution (72 dpi = one pixel per point).
    Dpi(f32),
}

fn open(bytes: &[u8]) -> Result<PdfDocument<'_>, PdfError> {
    pdfium()?.load_pdf_from_byte_slice(bytes, None).map_err(|e| PdfError::Open(e.to_string()))
}

pub fn page_count(bytes: &[u8]) -> Result<u16, PdfError> {
    Ok(u16::try_from(open(bytes)?.pages().len()).unwrap_or(u16::MAX))
}

/// Page `index` (0-based) as a JPEG.
pub fn render_page(bytes: &[u8], index: u16, size: Size) -> Result<Vec<u8>, PdfError> {
    let doc = open(bytes)?;
    render_open_page(&doc, index, size)
}

/// Every page of an already opened document, for callers that render many pages.
pub fn render_open_page(doc: &PdfDocument<'_>, index: u16, size: Size) -> Result<Vec<u8>, PdfError> {
    let page = doc.pages().get(i32::from(index)).map_err(|_| PdfError::NoSuchPage(index.saturating_add(1)))?;
    let (pw, ph) = (page.width().value.max(1.0), page.height().value.max(1.0));
    let cfg = PdfRenderConfig::new();
    let cfg = match size {
        Size::Width(w) => cfg.set_target_width(clamp(w)),
        Size::LongEdge(e) if pw >= ph => cfg.set_target_width(clamp(e)),
        Size::LongEdge(e) => cfg.set_target_height(clamp(e)),
        Size::Dpi(dpi) => cfg.set_target_width(clamp((pw * dpi / 72.0).round() as u32)),
    };
    let bitmap = page.render_with_config(&cfg).map_err(|e| PdfError::Render(e.to_string()))?;
    let (w, h) = (bitmap.width() as usize, bitmap.height() as usize);
    let raw = bitmap.as_raw_bytes();
    let pitch = raw.len().checked_div(h).unwrap_or(0);
    let view =
        turbojpeg::Image { pixels: raw.as_slice(), width: w, pitch, height: h, format: turbojpeg::PixelFormat::RGBA };
    let jpeg =
        turbojpeg::compress(view, 85, turbojpeg::Subsamp::Sub2x2).map_err(|e| PdfError::Render(e.to_string()))?;
    Ok(jpeg.to_vec())
}

/// Keeps requested sizes sane: at least 16 px, at most 6000 px.
fn clamp(px: u32) -> i32 {
    px.clamp(MIN_RENDER_PX, MAX_RENDER_PX) as i32
}

/// Opens a document, lets `f` change it, and returns the changed document's bytes.
pub fn edit(bytes: &[u8], f: impl FnOnce(&mut PdfDocument<'_>) -> Result<(), PdfError>) -> Result<Vec<u8>, PdfError> {
    let mut doc = open(bytes)?;
    f(&mut doc)?;
    doc.save_to_bytes().map_err(|e| PdfError::Render(e.to_string()))
}

/// Opens a document for rendering several pages.
pub fn with_document<T>(bytes: &[u8], f: impl FnOnce(&PdfDocument<'_>) -> Result<T, PdfError>) -> Result<T, PdfError> {
    let doc = open(bytes)?;
    f(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF whose page N carries a pure blue square at a place that depends on N.
    fn pdf_with_squares(pages: usize) -> Vec<u8> {
        let mut objs: Vec<String> = vec![String::new(); 3 + pages * 2];
        let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 3 + i * 2)).collect();
        objs[1] = "<< /Type /Catalog /Pages 2 0 R >>".into();
        objs[2] = format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" "));
        for i in 0..pages {
            let stream = format!("0 0 1 rg {} 400 100 100 re f", 100 + i * 200);
            objs[3 + i * 2] =
                format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R >>", 4 + i * 2);
            objs[4 + i * 2] = format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len());
        }
        let mut out = String::from("%PDF-1.4\n");
        let mut offsets = vec![0usize; objs.len()];
        for n in 1..objs.len() {
            offsets[n] = out.len();
            out.push_str(&format!("{n} 0 obj\n{}\nendobj\n", objs[n]));
        }
        let xref = out.len();
        out.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objs.len()));
        for off in offsets.iter().skip(1) {
            out.push_str(&format!("{off:010} 00000 n \n"));
        }
        out.push_str(&format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objs.len()));
        out.into_bytes()
    }

    fn engine_or_skip() -> bool {
        if pdfium().is_ok() {
            return true;
        }
        assert!(
            std::env::var("CLINICDOCS_TEST_REQUIRE_ALL").map_or(true, |v| v != "1"),
            "libpdfium is required (scripts/test.sh fetches it): {:?}",
            pdfium().err()
        );
        eprintln!("skipped: libpdfium not found (set CLINICDOCS_PDFIUM)");
        false
    }

    #[test]
    fn page_two_is_drawn_with_its_own_content_in_true_colours() {
        if !engine_or_skip() {
            return;
        }
        let pdf = pdf_with_squares(3);
        assert_eq!(page_count(&pdf).expect("count"), 3);
        let jpeg = render_page(&pdf, 1, Size::Width(612)).expect("render");
        let img = image::load_from_memory(&jpeg).expect("jpeg").to_rgb8();
        assert_eq!(img.dimensions(), (612, 792));
        // Page 2's square spans x 300..400, y (from the top) 292..392.
        let px = img.get_pixel(350, 342);
        assert!(px[2] > 200 && px[0] < 60 && px[1] < 60, "expected blue, got {px:?}");
        let outside = img.get_pixel(150, 342);
        assert!(outside.0.iter().all(|c| *c > 200), "page 1's square must not be on page 2: {outside:?}");
    }

    #[test]
    fn thumbnails_fit_the_long_edge_and_missing_pages_are_an_error() {
        if !engine_or_skip() {
            return;
        }
        let pdf = pdf_with_squares(1);
        let jpeg = render_page(&pdf, 0, Size::LongEdge(256)).expect("render");
        let img = image::load_from_memory(&jpeg).expect("jpeg");
        assert_eq!(img.height(), 256);
        assert!(matches!(render_page(&pdf, 5, Size::Width(100)), Err(PdfError::NoSuchPage(6))));
        assert!(matches!(render_page(b"%PDF-1.4 garbage", 0, Size::Width(100)), Err(PdfError::Open(_))));
    }
}
