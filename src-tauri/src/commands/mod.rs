//! Tauri commands, grouped by concern. Each is a thin call into the API client, the shared
//! crate or the media code, and answers `Result<T, CommandError>`.

pub mod annotations;
pub mod bulk_import;
pub mod documents;
pub mod export;
pub mod patients;
pub mod queue;
pub mod scanner;
pub mod session;
pub mod sharing;
pub mod staff;
pub mod upload;
