//! A file on this computer checked as the server would check it — its size against the
//! clinic's limit, its type from its bytes, executables, password-protected or cut-short PDFs,
//! image structure — so staff see a refusal before anything is sent; and how the window shows
//! it (a title from the file name, a preview).

use crate::error::CommandError;
use crate::previews::Previews;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::limits::{messages, PlanLimits, MAX_TITLE_CHARS};
use clinicdocs_core::media::{inspect_document, MediaError};
use serde::Serialize;
use std::path::{Path, PathBuf};
use ts_rs::TS;
use uuid::Uuid;

/// A file's content as the server would judge it: its size, its type from the bytes, and
/// every reason it would be refused whatever the patient or visit.
#[derive(Debug, Clone)]
pub struct Content {
    pub size: u64,
    pub content_type: Option<String>,
    pub problems: Vec<CommandError>,
}

/// Reads and checks one file (blocking: call off the async runtime).
pub fn check_content(path: &Path, limits: &PlanLimits) -> Content {
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return Content { size: 0, content_type: None, problems: vec![CommandError::file(path, &e)] },
    };
    let mut content = Content { size, content_type: None, problems: Vec::new() };
    if size > limits.max_file_bytes {
        let msg = messages::file_too_large(Some(size), limits.max_file_bytes);
        content.problems.push(CommandError::api(ErrorCode::FileTooLarge, msg));
        return content;
    }
    match std::fs::read(path) {
        Ok(bytes) => match std::panic::catch_unwind(|| inspect_document(&bytes)) {
            Ok(Ok(inspected)) => content.content_type = Some(inspected.kind.mime().to_string()),
            Ok(Err(e)) => content.problems.push(CommandError::from(e)),
            Err(_) => content.problems.push(CommandError::from(MediaError::Corrupt("unreadable".into()))),
        },
        Err(e) => content.problems.push(CommandError::file(path, &e)),
    }
    content
}

/// A chosen file as the upload form shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FileCheck {
    pub path: String,
    pub file_name: String,
    /// The file name without its extension: the form's editable title.
    pub suggested_title: String,
    pub size: f64,
    /// Decided from the bytes; `None` when the file is refused.
    pub content_type: Option<String>,
    /// Shown as `clinicdocs://…/preview/{id}` while the form is open.
    pub preview_id: Option<Uuid>,
    /// Every reason the server would refuse it; empty when it can be sent.
    pub problems: Vec<CommandError>,
}

impl FileCheck {
    /// A checked file as the window shows it, previewable when its content is a document.
    pub fn shown(previews: &Previews, path: PathBuf, content: Content) -> FileCheck {
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        FileCheck {
            suggested_title: title_from_file_name(&file_name),
            file_name,
            size: content.size as f64,
            preview_id: content.content_type.as_ref().map(|_| previews.add(path.clone())),
            content_type: content.content_type,
            problems: content.problems,
            path: path.to_string_lossy().into_owned(),
        }
    }
}

/// A file name as a title: without extension, trimmed, at most the title length.
pub fn title_from_file_name(file_name: &str) -> String {
    let stem = match file_name.rsplit_once('.') {
        Some((s, _)) if !s.trim().is_empty() => s,
        _ => file_name,
    };
    let t: String = stem.trim().chars().filter(|c| !c.is_control()).take(MAX_TITLE_CHARS).collect();
    t.replace(['/', '\\'], "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_file_names_without_extension_or_path_characters() {
        assert_eq!(title_from_file_name("scan001.jpg"), "scan001");
        assert_eq!(title_from_file_name("CBC Report.Apr.pdf"), "CBC Report.Apr");
        assert_eq!(title_from_file_name(".hidden"), ".hidden");
        assert_eq!(title_from_file_name("a\\b.pdf"), "a-b");
        assert_eq!(title_from_file_name(&format!("{}.pdf", "x".repeat(300))).chars().count(), 200);
    }
}
