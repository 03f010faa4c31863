//! Pictures the server draws with C/C++ engines: PDF pages (libpdfium: thumbnails, the sharing
//! portal's pages) and HEIC photos (libheif: their upload check and thumbnail, profile
//! pictures, the portal). Those engines read files that came from outside, so the server never
//! runs them itself: each picture is drawn by a child process — this same executable,
//! `clinicdocs-server draw-pdf-page` or `draw-photo` — that reads the file on stdin and writes
//! a JPEG to stdout, with a memory and a CPU cap, and is killed after [`DRAW_TIMEOUT`]. A file
//! that crashes or exhausts the engine costs that child, never the server. At most
//! [`CHILDREN_AT_ONCE`] children draw at a time.

use crate::config::{DrawPdfPageArgs, DrawPhotoArgs};
use bytes::Bytes;
use clinicdocs_core::media::{image_file, MediaError};
use clinicdocs_pdfium::{PdfError, Size};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

/// Children drawing at once (each holds one file and one picture's bitmap).
const CHILDREN_AT_ONCE: usize = 2;
static CHILDREN: Semaphore = Semaphore::const_new(CHILDREN_AT_ONCE);
/// How long a caller waits for a free child before it is told the server is busy.
const WAIT: Duration = Duration::from_secs(30);
/// How long one picture may take, start to finish.
const DRAW_TIMEOUT: Duration = Duration::from_secs(30);
/// The child's caps: heap and anonymous memory, and processor seconds.
const CHILD_MEMORY_BYTES: u64 = 1 << 30;
const CHILD_CPU_SECS: u64 = 20;
/// The child's exit status when the file itself cannot be drawn (not a server fault).
const EXIT_REFUSED: u8 = 3;
/// The child's exit status when the picture has more pixels than the budget; stderr's last
/// line says `width height`.
const EXIT_TOO_MANY_PIXELS: u8 = 4;

/// The engine the children bind, decided at start; `None`: PDF pages are not drawn here.
static LIBRARY: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Decides once which libpdfium the children use: `configured` (`--pdfium` /
/// `CLINICDOCS_PDFIUM`), else one beside the executable. Returns it, or `None` when there is
/// none (PDFs then get no server thumbnail, and the portal hands the PDF to the browser).
pub fn configure(configured: Option<PathBuf>) -> Option<PathBuf> {
    LIBRARY
        .get_or_init(|| match configured {
            Some(p) => p.is_file().then_some(p),
            None => clinicdocs_pdfium::library_path(),
        })
        .clone()
}

/// Whether this server draws PDF pages.
pub fn pdf_available() -> bool {
    LIBRARY.get().is_some_and(Option::is_some)
}

/// How big to draw a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    /// This many pixels on the longest side.
    LongEdge(u32),
    /// This many pixels wide.
    Width(u32),
}

#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    #[error("PDF pages are not drawn on this server (libpdfium was not found; set CLINICDOCS_PDFIUM)")]
    NoEngine,
    #[error("the server is busy drawing other pictures")]
    Busy,
    /// The file cannot be drawn (unreadable, or no such page): the sentence says why.
    #[error("{0}")]
    Refused(String),
    /// The picture has more pixels than the server opens.
    #[error("the picture is {width} × {height} pixels, more than the server opens")]
    TooManyPixels { width: u32, height: u32 },
    /// The engine died on this file, or took too long: the file is to blame, as when refused.
    #[error("the picture could not be drawn ({0})")]
    Crashed(String),
    /// The drawing process could not be run at all: a fault of this server.
    #[error("the picture could not be drawn ({0})")]
    Failed(String),
}

impl DrawError {
    /// The refusal of an upload whose file could not be drawn, or the server's own fault.
    pub fn into_upload_error(self, what: &str) -> crate::error::ApiError {
        match self {
            DrawError::Refused(why) => MediaError::Corrupt(why).into(),
            DrawError::TooManyPixels { width, height } => MediaError::TooManyPixels { width, height }.into(),
            DrawError::Crashed(why) => {
                tracing::warn!(error = %why, "the engine failed on an upload: refused as damaged");
                MediaError::Corrupt(format!("{what} could not be read")).into()
            }
            DrawError::Busy => crate::error::ApiError::Busy,
            e @ (DrawError::NoEngine | DrawError::Failed(_)) => crate::error::ApiError::Internal(anyhow::anyhow!(e)),
        }
    }
}

/// Page `page` (1-based) of `pdf` as a JPEG, drawn by a child process.
pub async fn pdf_page(pdf: Bytes, page: u16, size: PageSize) -> Result<Vec<u8>, DrawError> {
    let library = LIBRARY.get().cloned().flatten().ok_or(DrawError::NoEngine)?;
    let (flag, px) = match size {
        PageSize::LongEdge(px) => ("--long-edge", px),
        PageSize::Width(px) => ("--width", px),
    };
    let args: Vec<OsString> = vec![
        "draw-pdf-page".into(),
        "--library".into(),
        library.into(),
        "--page".into(),
        page.to_string().into(),
        flag.into(),
        px.to_string().into(),
    ];
    run_child(args, pdf).await
}

/// A HEIC photo, upright, as a JPEG no larger than `long_edge` on its longest side, drawn by a
/// child process (libheif). A photo that does not decode is [`DrawError::Refused`].
pub async fn photo(bytes: Bytes, long_edge: u32, quality: u8) -> Result<Vec<u8>, DrawError> {
    let args: Vec<OsString> = vec![
        "draw-photo".into(),
        "--long-edge".into(),
        long_edge.to_string().into(),
        "--quality".into(),
        quality.to_string().into(),
    ];
    run_child(args, bytes).await
}

/// Runs one drawing child, feeding it `input`; its JPEG, or why there is none.
async fn run_child(args: Vec<OsString>, input: Bytes) -> Result<Vec<u8>, DrawError> {
    let _slot = tokio::time::timeout(WAIT, CHILDREN.acquire())
        .await
        .map_err(|_| DrawError::Busy)?
        .map_err(|e| DrawError::Failed(e.to_string()))?;
    let exe = std::env::current_exe().map_err(|e| DrawError::Failed(format!("the server's own program: {e}")))?;
    let mut child = tokio::process::Command::new(exe)
        .args(args)
        // Nothing of the server's environment (database address, keys) reaches the child.
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| DrawError::Failed(format!("could not start the drawing process: {e}")))?;
    let stdin = child.stdin.take();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A child that exits early (a refused file) closes its end: not an error here.
            let _ = stdin.write_all(&input).await;
        }
    };
    let run = async { tokio::join!(feed, child.wait_with_output()).1 };
    let out = tokio::time::timeout(DRAW_TIMEOUT, run)
        .await
        .map_err(|_| DrawError::Crashed(format!("it took longer than {} s", DRAW_TIMEOUT.as_secs())))?
        .map_err(|e| DrawError::Failed(e.to_string()))?;
    let said = String::from_utf8_lossy(&out.stderr);
    let said: String = said.lines().last().unwrap_or("").chars().take(300).collect();
    match out.status.code() {
        Some(0) if out.stdout.starts_with(&[0xFF, 0xD8]) => Ok(out.stdout),
        Some(c) if c == i32::from(EXIT_REFUSED) => Err(DrawError::Refused(said)),
        Some(c) if c == i32::from(EXIT_TOO_MANY_PIXELS) => {
            let mut size = said.split(' ').map(|n| n.parse::<u32>().unwrap_or(0));
            Err(DrawError::TooManyPixels { width: size.next().unwrap_or(0), height: size.next().unwrap_or(0) })
        }
        _ => Err(DrawError::Crashed(format!("the drawing process ended with {}: {said}", out.status))),
    }
}

/// `clinicdocs-server draw-photo`: the child for HEIC photos. Caps itself, reads the photo from
/// stdin, writes the JPEG to stdout; exits 3 with a sentence on stderr when it does not decode.
pub fn photo_child_main(args: DrawPhotoArgs) -> ExitCode {
    cap_self();
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut bytes) {
        eprintln!("could not read the photo: {e}");
        return ExitCode::FAILURE;
    }
    let drawn = image_file::decode(&bytes, clinicdocs_core::media::FileKind::Heic)
        .and_then(|img| image_file::fitted_jpeg(&img, args.long_edge, args.quality));
    match drawn {
        Ok(jpeg) => hand_over(&jpeg),
        Err(MediaError::TooManyPixels { width, height }) => {
            eprintln!("{width} {height}");
            ExitCode::from(EXIT_TOO_MANY_PIXELS)
        }
        // The reason alone: the upload's refusal words it again ("The file looks damaged (…)").
        Err(MediaError::Corrupt(why)) => {
            eprintln!("{why}");
            ExitCode::from(EXIT_REFUSED)
        }
        Err(other) => {
            eprintln!("{other}");
            ExitCode::from(EXIT_REFUSED)
        }
    }
}

fn hand_over(jpeg: &[u8]) -> ExitCode {
    match std::io::stdout().lock().write_all(jpeg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("could not hand the picture over: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `clinicdocs-server draw-pdf-page`: the child. Caps itself, reads the PDF from stdin, writes
/// the page's JPEG to stdout; exits 3 with a sentence on stderr when the PDF cannot be drawn.
pub fn child_main(args: DrawPdfPageArgs) -> ExitCode {
    cap_self();
    clinicdocs_pdfium::use_library(args.library);
    let mut pdf = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut pdf) {
        eprintln!("could not read the PDF: {e}");
        return ExitCode::FAILURE;
    }
    let size = match (args.width, args.long_edge) {
        (Some(w), _) => Size::Width(w),
        (None, Some(e)) => Size::LongEdge(e),
        (None, None) => Size::LongEdge(clinicdocs_core::limits::THUMBNAIL_EDGE),
    };
    let index = args.page.saturating_sub(1);
    match clinicdocs_pdfium::render_page(&pdf, index, size) {
        Ok(jpeg) => hand_over(&jpeg),
        Err(e @ (PdfError::Open(_) | PdfError::NoSuchPage(_))) => {
            eprintln!("{e}");
            ExitCode::from(EXIT_REFUSED)
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The child's memory and processor caps (Linux and other Unixes; elsewhere the time limit
/// alone bounds it).
fn cap_self() {
    #[cfg(unix)]
    {
        use rustix::process::{setrlimit, Resource, Rlimit};
        for (resource, cap) in [(Resource::Data, CHILD_MEMORY_BYTES), (Resource::Cpu, CHILD_CPU_SECS)] {
            if let Err(e) = setrlimit(resource, Rlimit { current: Some(cap), maximum: Some(cap) }) {
                eprintln!("warning: could not cap the drawing process ({resource:?}): {e}");
            }
        }
    }
}
