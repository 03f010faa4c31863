//! The upload form: choosing files and checking them here before they are queued (type from
//! the bytes, size, visit and pool limits, with the server's own messages). Sending is the
//! queue's job (`commands::queue`).

use crate::bulk_import::{check_content, hand_off_problems, ServerCounts};
use crate::dialogs;
use crate::error::{CommandError, CommandErrorCode, CommandResult, LocalCode};
use crate::state::AppState;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::limits::PlanLimits;
use clinicdocs_core::{names, Category};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;

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
    pub fn shown(state: &AppState, path: PathBuf, content: crate::bulk_import::Content) -> FileCheck {
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        FileCheck {
            suggested_title: title_from_file_name(&file_name),
            file_name,
            size: content.size as f64,
            preview_id: content.content_type.as_ref().map(|_| state.add_preview(path.clone())),
            content_type: content.content_type,
            problems: content.problems,
            path: path.to_string_lossy().into_owned(),
        }
    }
}

#[tauri::command]
pub async fn pick_files() -> Vec<String> {
    dialogs::pick_files().await.into_iter().map(|p| p.to_string_lossy().into_owned()).collect()
}

/// A file name as a title: without extension, trimmed, at most the title length.
pub fn title_from_file_name(file_name: &str) -> String {
    let stem = match file_name.rsplit_once('.') {
        Some((s, _)) if !s.trim().is_empty() => s,
        _ => file_name,
    };
    let t: String = stem.trim().chars().filter(|c| !c.is_control()).take(names_max()).collect();
    t.replace(['/', '\\'], "-")
}

fn names_max() -> usize {
    clinicdocs_core::limits::MAX_TITLE_CHARS
}

/// Reads and checks a file for the form. `encounter_id` is the visit of `patient_id` the form
/// links to, if any.
#[tauri::command]
pub async fn check_file(
    state: State<'_, AppState>,
    path: String,
    patient_id: Uuid,
    encounter_id: Option<Uuid>,
) -> CommandResult<FileCheck> {
    let active = state.active().await?;
    let path = PathBuf::from(path);
    let limits = PlanLimits::of(active.me.org.plan);
    let p = path.clone();
    let content = tokio::task::spawn_blocking(move || check_content(&p, &limits))
        .await
        .map_err(|e| CommandError::local(LocalCode::FileAccess, format!("The file could not be checked: {e}.")))?;
    if let Some(e) = content.problems.iter().find(|e| e.code == CommandErrorCode::Local(LocalCode::FileAccess)) {
        return Err(e.clone());
    }
    let size = content.size;
    let mut check = FileCheck::shown(&state, path, content);
    // The pool and the visit are the server's to know. Offline, the file is still checked here
    // and can be queued; the server checks those two when it is back.
    if let Some(counts) = server_counts(&active.client, patient_id, encounter_id).await? {
        check.problems.extend(hand_off_problems(&limits, counts, &[size]).into_iter().flatten());
    }
    Ok(check)
}

/// The clinic's pool and the chosen visit's document count, or `None` when the server cannot
/// be reached (the files are still checked and queued; the server checks these when back).
pub async fn server_counts(
    c: &crate::api_client::ApiClient,
    patient_id: Uuid,
    encounter_id: Option<Uuid>,
) -> CommandResult<Option<ServerCounts>> {
    let counts = async {
        let usage = c.storage().await?;
        let visit = match encounter_id {
            Some(id) => c.encounters(patient_id).await?.into_iter().find(|e| e.id == id).map(|e| e.document_count),
            None => None,
        };
        Ok::<_, CommandError>(ServerCounts {
            pool_used: u64::try_from(usage.used_bytes).unwrap_or(0),
            pool_quota: u64::try_from(usage.quota_bytes).unwrap_or(0),
            visit_documents: visit.and_then(|n| u64::try_from(n).ok()),
        })
    }
    .await;
    match counts {
        Ok(c) => Ok(Some(c)),
        Err(e) if e.is_local(LocalCode::ServerUnreachable) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UploadRequest {
    pub path: String,
    pub patient_id: Uuid,
    pub category: Category,
    pub title: String,
    pub notes: Option<String>,
    pub encounter_id: Option<Uuid>,
    /// Made by the form when it opened: sending the same form twice stores one document.
    pub idempotency_key: String,
}

/// Calls `emit` when the whole percentage sent changes (at most about 100 times a file).
pub fn per_percent(mut emit: impl FnMut(u64, u64) + Send + Sync) -> impl FnMut(u64, u64) + Send + Sync {
    let mut last = None;
    move |sent, total| {
        let pct = (sent * 100).checked_div(total).unwrap_or(100);
        if last != Some(pct) {
            last = Some(pct);
            emit(sent, total);
        }
    }
}

/// The form's title and notes as the server will accept them, or its message why not.
pub fn title_and_notes(request: &UploadRequest) -> CommandResult<(String, Option<String>)> {
    let title =
        names::validate_title(&request.title).map_err(|e| CommandError::api(ErrorCode::InvalidName, e.to_string()))?;
    let notes = match request.notes.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => {
            Some(names::validate_notes(n).map_err(|e| CommandError::api(ErrorCode::InvalidName, e.to_string()))?)
        }
        None => None,
    };
    Ok((title, notes))
}

#[cfg(test)]
mod tests {
    use super::{per_percent, title_from_file_name};
    use std::sync::{Arc, Mutex};

    #[test]
    fn upload_progress_is_reported_once_per_percent_and_ends_at_the_total() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let mut report = per_percent(move |sent, total| sink.lock().expect("lock").push((sent, total)));
        let total = 10 * 1024 * 1024;
        let mut sent = 0;
        while sent < total {
            sent = (sent + 64 * 1024).min(total);
            report(sent, total);
        }
        let seen = seen.lock().expect("lock");
        assert!(seen.len() <= 101 && seen.len() >= 90, "{} events for 160 chunks", seen.len());
        assert_eq!(seen.last(), Some(&(total, total)));
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn titles_come_from_file_names_without_extension_or_path_characters() {
        assert_eq!(title_from_file_name("scan001.jpg"), "scan001");
        assert_eq!(title_from_file_name("CBC Report.Apr.pdf"), "CBC Report.Apr");
        assert_eq!(title_from_file_name(".hidden"), ".hidden");
        assert_eq!(title_from_file_name("a\\b.pdf"), "a-b");
        assert_eq!(title_from_file_name(&format!("{}.pdf", "x".repeat(300))).chars().count(), 200);
    }
}
