//! Pictures for the web view, made on this workstation: thumbnails of chosen files and of
//! documents, PDF pages rendered by pdfium, DICOM frames at the window chosen, and the scale
//! lengths are measured in. Results live in a disk cache and reach the web
//! view through the `clinicdocs://` URI scheme (see `crate::scheme`), never as base64 over IPC.

pub mod cache;
pub mod dicom;
pub mod exif;
pub mod scale;
pub mod source;
pub mod thumbnail;

pub use cache::MediaCache;
/// PDF pages drawn by libpdfium (its own crate: the server draws with it too).
pub use clinicdocs_pdfium as pdf;
