//! Media handling for uploads: deciding the content type from the bytes, refusing executables
//! and disguised or malformed files, checking PDFs for passwords, making thumbnails, and
//! reading the pixel spacing an image states.

pub mod ifd;
pub mod image_file;
pub mod pdf;
pub mod sniff;
pub mod spacing;

pub use sniff::{sniff, FileKind};

use thiserror::Error;

/// Why a file was refused. Each message tells staff what happened and what to do.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("The file is empty. Choose the file again or rescan the document.")]
    Empty,
    #[error("This file is a program ({0}), not a document, and was not uploaded.")]
    Executable(&'static str),
    #[error("This type of file ({0}) is not accepted. Upload a PDF, JPEG or PNG (or TIFF, WebP, HEIC, DICOM).")]
    Unsupported(&'static str),
    #[error("This PDF is password-protected, so nobody could open it later. Save or print it again without a password, then upload it.")]
    PasswordProtectedPdf,
    #[error("The file looks damaged ({0}). Scan or copy it again.")]
    Corrupt(String),
    #[error("The image is too large to open safely ({width} × {height} pixels). Save it at a lower resolution.")]
    TooManyPixels { width: u32, height: u32 },
    #[error("The image has unexpected data hidden after its end, so it was refused. Save or export the image again.")]
    TrailingData,
}

impl MediaError {
    /// The API error code this refusal answers with, on the server and in the desktop app.
    pub fn code(&self) -> crate::api::ErrorCode {
        use crate::api::ErrorCode;
        match self {
            MediaError::Empty => ErrorCode::EmptyFile,
            MediaError::Executable(_) => ErrorCode::ExecutableRefused,
            MediaError::Unsupported(_) => ErrorCode::UnsupportedType,
            MediaError::PasswordProtectedPdf => ErrorCode::PasswordProtectedPdf,
            MediaError::Corrupt(_) | MediaError::TrailingData => ErrorCode::CorruptFile,
            MediaError::TooManyPixels { .. } => ErrorCode::ImageTooLarge,
        }
    }
}

/// What [`inspect_document`] learned about an acceptable file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub kind: FileKind,
    /// Pixel size of raster images.
    pub dimensions: Option<(u32, u32)>,
    /// Page count of PDFs, when the scan could see it.
    pub page_count: Option<i64>,
}

/// Refuses PDFs that nobody could open later: password-protected or cut short.
pub fn check_pdf_facts(facts: &pdf::PdfFacts) -> Result<(), MediaError> {
    if facts.encrypted {
        return Err(MediaError::PasswordProtectedPdf);
    }
    if !facts.complete {
        return Err(MediaError::Corrupt("the PDF ends early".into()));
    }
    Ok(())
}

/// The checks the server applies to an upload, on a file already in memory: the desktop app
/// runs them before sending so staff see a refusal before waiting for the network.
pub fn inspect_document(bytes: &[u8]) -> Result<Inspected, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let kind = sniff(&bytes[..bytes.len().min(sniff::SNIFF_LEN)])?;
    let mut out = Inspected { kind, dimensions: None, page_count: None };
    match kind {
        FileKind::Pdf => {
            let facts = pdf::scan_bytes(bytes);
            check_pdf_facts(&facts)?;
            out.page_count = facts.page_count;
        }
        k if k.is_decodable_image() => out.dimensions = Some(image_file::inspect(bytes, k)?),
        _ => {}
    }
    Ok(out)
}
