//! Media handling for uploads: deciding the content type from the bytes, refusing executables
//! and disguised or malformed files, checking PDFs for passwords, and making thumbnails.

pub mod image_file;
pub mod pdf;
pub mod sniff;

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
