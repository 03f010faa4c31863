//! Media handling for uploads: deciding the content type from the bytes, refusing executables
//! and disguised or malformed files, checking PDFs for passwords, decoding images (HEIC through libheif), making thumbnails, and
//! reading the pixel spacing an image states.

pub mod dicom;
pub mod error;
pub mod heic;
pub mod ifd;
pub mod image_file;
pub mod image_pdf;
pub mod inspect;
pub mod pdf;
pub mod sniff;
pub mod spacing;
pub mod tiff_pages;

pub use error::MediaError;
pub use inspect::{check_pdf_facts, inspect_document, Inspected};
pub use sniff::{sniff, FileKind};
