//! Why a file was refused, in words for staff, and the API error code each refusal answers with.

use crate::error_code::ErrorCode;
use thiserror::Error;

/// Why a file was refused. Each message tells staff what happened and what to do.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("The file is empty. Choose the file again or rescan the document.")]
    Empty,
    #[error("This file is a program ({0}), not a document, and was not uploaded.")]
    Executable(&'static str),
    #[error("This type of file ({0}) is not accepted. Upload a PDF, JPEG or PNG (or TIFF, WebP, BMP, HEIC, DICOM).")]
    Unsupported(&'static str),
    #[error("This PDF is password-protected, so nobody could open it later. Save or print it again without a password, then upload it.")]
    PasswordProtectedPdf,
    #[error("The file looks damaged ({0}). Scan or copy it again.")]
    Corrupt(String),
    #[error("The image is too large to open safely ({width} × {height} pixels). Save it at a lower resolution.")]
    TooManyPixels { width: u32, height: u32 },
    #[error("This picture is stored in a way this app cannot read ({0}). Save it again as a PDF, PNG or standard TIFF, then upload it.")]
    UnsupportedEncoding(String),
    #[error("The file has more pages than can be opened safely (over {limit}). Split it into smaller files, then upload them.")]
    TooManyPages { limit: usize },
    #[error("The image has unexpected data hidden after its end, so it was refused. Save or export the image again.")]
    TrailingData,
}

impl MediaError {
    /// The API error code this refusal answers with, on the server and in the desktop app.
    pub fn code(&self) -> ErrorCode {
        match self {
            MediaError::Empty => ErrorCode::EmptyFile,
            MediaError::Executable(_) => ErrorCode::ExecutableRefused,
            MediaError::Unsupported(_) | MediaError::UnsupportedEncoding(_) => ErrorCode::UnsupportedType,
            MediaError::PasswordProtectedPdf => ErrorCode::PasswordProtectedPdf,
            MediaError::Corrupt(_) | MediaError::TrailingData => ErrorCode::CorruptFile,
            MediaError::TooManyPixels { .. } | MediaError::TooManyPages { .. } => ErrorCode::ImageTooLarge,
        }
    }
}
