//! The scanner folder and its "Scanned" inbox: choosing the folder (kept in settings), the
//! watcher that lists files once they have stopped growing (`scanned-changed`), and sending
//! chosen pages — turned, and combined into one PDF when asked — through the upload queue.
//! A file leaves the scanner folder only after its queue row has committed; the content hashes
//! committed with the rows make a file left behind by a crash be removed, not offered again.

use crate::bulk_import::check_content;
use crate::commands::queue::{changed, now_ms, queue_error};
use crate::commands::upload::FileCheck;
use crate::dialogs;
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::queue::{NewItem, QueueItem};
use crate::scanner::assemble::{self, Page};
use crate::scanner::inbox::Inbox;
use crate::state::AppState;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::limits::PlanLimits;
use clinicdocs_core::media::FileKind;
use clinicdocs_core::{names, Category};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;
use uuid::Uuid;

pub const SCANNED_CHANGED_EVENT: &str = "scanned-changed";
/// How often the scanner folder is looked at.
const POLL: Duration = Duration::from_millis(700);

/// The inbox as the window shows it.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct ScannedInbox {
    /// `None` until a scanner folder is chosen.
    pub folder: Option<String>,
    /// Files that have stopped growing, in name order, each checked as the server would.
    pub files: Vec<FileCheck>,
    /// Files still being written by the scanner.
    pub growing: u32,
    /// Why the folder cannot be read, if it cannot.
    pub problem: Option<String>,
}

/// What the watcher knows: the folder's polls and each ready file's check and hash.
#[derive(Default)]
pub struct ScannerState {
    inbox: Inbox,
    folder: Option<PathBuf>,
    checked: HashMap<PathBuf, (FileCheck, String)>,
    shown: ScannedInbox,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ScanPage {
    pub path: String,
    /// Clockwise quarter turns: 1 = 90°.
    pub quarter_turns: u8,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ScanRequest {
    /// In the order chosen.
    pub pages: Vec<ScanPage>,
    /// One PDF of all the pages; otherwise one document per page.
    pub combine: bool,
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
    pub category: Category,
    pub title: String,
}

fn hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Looks at the folder; refreshes the list when it changed. Returns whether it did.
async fn refresh(app: &AppHandle) -> bool {
    let state = app.state::<AppState>();
    let folder = state.settings().scanner_folder;
    let limits = match state.session.read().await.as_ref() {
        Some(a) => PlanLimits::of(a.me.org.plan),
        None => return false,
    };
    let mut s = state.scanner.lock().await;
    if s.folder != folder {
        *s = ScannerState { folder: folder.clone(), ..Default::default() };
    }
    let Some(dir) = folder else {
        let was = s.shown.folder.is_some();
        s.shown = ScannedInbox::default();
        return was;
    };
    let problem = match std::fs::read_dir(&dir) {
        Ok(_) => None,
        Err(e) => Some(CommandError::file(&dir, &e).message),
    };
    let moved = s.inbox.poll(&dir);
    if !moved && s.shown.folder.is_some() && s.shown.problem == problem && s.shown.growing == s.inbox.growing() as u32 {
        return false;
    }
    let ready = s.inbox.ready();
    s.checked.retain(|p, _| ready.contains(p));
    let mut files = Vec::with_capacity(ready.len());
    for path in ready {
        if let Some((check, _)) = s.checked.get(&path) {
            files.push(check.clone());
            continue;
        }
        let p = path.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let content = check_content(&p, &limits);
            let sha = std::fs::read(&p).map(|b| hash(&b)).unwrap_or_default();
            (content, sha)
        })
        .await;
        let Ok((content, sha)) = checked else { continue };
        // Queued before the app stopped, but not yet removed: remove it now.
        if state.queue.was_taken(&sha).await.unwrap_or(false) {
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let check = FileCheck::shown(&state, path.clone(), content);
        files.push(check.clone());
        s.checked.insert(path, (check, sha));
    }
    let growing = s.inbox.growing() as u32;
    s.shown = ScannedInbox { folder: Some(dir.to_string_lossy().into_owned()), files, growing, problem };
    true
}

/// Watches the scanner folder for as long as the app runs.
pub async fn run_watcher(app: AppHandle) {
    let state = app.state::<AppState>();
    loop {
        if refresh(&app).await {
            let _ = app.emit(SCANNED_CHANGED_EVENT, ());
        }
        tokio::select! {
            _ = state.scanner_wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

#[tauri::command]
pub async fn scanned_files(state: State<'_, AppState>) -> CommandResult<ScannedInbox> {
    state.active().await?;
    let s = state.scanner.lock().await;
    let mut shown = s.shown.clone();
    if shown.folder.is_none() {
        shown.folder = state.settings().scanner_folder.map(|f| f.to_string_lossy().into_owned());
    }
    Ok(shown)
}

/// Asks for the scanner folder and keeps it; `None` when the user cancelled.
#[tauri::command]
pub async fn pick_scanner_folder(state: State<'_, AppState>) -> CommandResult<Option<String>> {
    state.active().await?;
    let Some(dir) = dialogs::pick_folder().await else {
        return Ok(None);
    };
    if !dir.is_dir() {
        return Err(CommandError::local(LocalCode::FileAccess, format!("“{}” is not a folder.", dir.display())));
    }
    state.update_settings(|s| s.scanner_folder = Some(dir.clone()));
    state.scanner_wake.notify_one();
    Ok(Some(dir.to_string_lossy().into_owned()))
}

/// A page from the inbox as it will be sent: its bytes, kind and hash.
struct Taken {
    page: ScanPage,
    check: FileCheck,
    sha: String,
    bytes: Vec<u8>,
    kind: FileKind,
}

fn kind_of(check: &FileCheck) -> Option<FileKind> {
    match check.content_type.as_deref()? {
        "application/pdf" => Some(FileKind::Pdf),
        "image/jpeg" => Some(FileKind::Jpeg),
        "image/png" => Some(FileKind::Png),
        "image/tiff" => Some(FileKind::Tiff),
        "image/webp" => Some(FileKind::Webp),
        "image/heic" => Some(FileKind::Heic),
        _ => Some(FileKind::Dicom),
    }
}

/// A file made for sending (a turned page, a combined PDF), removed once queued.
fn staged(bytes: &[u8], ext: &str) -> CommandResult<PathBuf> {
    let p = std::env::temp_dir().join(format!("clinicdocs-scan-{}.{ext}", Uuid::new_v4()));
    std::fs::write(&p, bytes).map_err(|e| CommandError::file(&p, &e))?;
    Ok(p)
}

fn file_name_for(title: &str, ext: &str) -> String {
    let safe: String =
        title.chars().map(|c| if c.is_alphanumeric() || " -_.()".contains(c) { c } else { '-' }).collect();
    format!("{}.{ext}", safe.trim().trim_matches('.'))
}

/// Sends chosen pages: turned as asked, one PDF when `combine`, else one document each (as
/// one all-or-nothing batch). The originals leave the scanner folder once safely queued.
#[tauri::command]
pub async fn queue_scanned(
    app: AppHandle,
    state: State<'_, AppState>,
    request: ScanRequest,
) -> CommandResult<Vec<QueueItem>> {
    let active = state.active().await?;
    let bad = |m: String| CommandError::api(ErrorCode::BadRequest, m);
    if request.pages.is_empty() {
        return Err(bad("Choose at least one scanned page.".into()));
    }
    let title =
        names::validate_title(&request.title).map_err(|e| CommandError::api(ErrorCode::InvalidName, e.to_string()))?;
    // Only files the inbox lists can be taken, and only as they were checked. The inbox stays
    // locked until they are queued and removed, so a second Send cannot take them again.
    let mut scanner = state.scanner.lock().await;
    let listed: HashMap<PathBuf, (FileCheck, String)> = scanner.checked.clone();
    let mut pages = Vec::with_capacity(request.pages.len());
    for page in &request.pages {
        let path = PathBuf::from(&page.path);
        let (check, sha) = listed
            .get(&path)
            .cloned()
            .ok_or_else(|| bad(format!("“{}” is no longer in the scanner folder.", page.path)))?;
        if let Some(p) = check.problems.first() {
            return Err(bad(format!("“{}” cannot be sent: {}", check.file_name, p.message)));
        }
        let bytes = tokio::fs::read(&path).await.map_err(|e| CommandError::file(&path, &e))?;
        if hash(&bytes) != sha {
            return Err(bad(format!("“{}” changed since it was listed; look at it again.", check.file_name)));
        }
        if state.queue.was_taken(&sha).await.map_err(queue_error)? {
            return Err(CommandError::api(
                ErrorCode::Conflict,
                format!("“{}” is in the upload queue already.", check.file_name),
            ));
        }
        let kind = kind_of(&check).ok_or_else(|| bad(format!("“{}” cannot be sent.", check.file_name)))?;
        pages.push(Taken { page: page.clone(), check, sha, bytes, kind });
    }
    let to_item = |title: String, file_name: String, batch: Option<Uuid>| NewItem {
        server_url: active.client.base().as_str().to_string(),
        user_id: active.me.user.id,
        patient_id: request.patient_id,
        encounter_id: request.encounter_id,
        category: request.category,
        title,
        notes: None,
        file_name,
        idempotency_key: None,
        batch_id: batch,
    };
    let mut staged_files = Vec::new();
    let built = tokio::task::block_in_place(|| -> CommandResult<Vec<(PathBuf, NewItem)>> {
        fn page_of(t: &Taken) -> Page<'_> {
            Page { name: &t.check.file_name, bytes: &t.bytes, kind: t.kind, quarter_turns: t.page.quarter_turns }
        }
        if request.combine && pages.len() > 1 {
            let pdf =
                assemble::combine(&pages.iter().map(page_of).collect::<Vec<_>>()).map_err(|e| bad(e.to_string()))?;
            let p = staged(&pdf, "pdf")?;
            staged_files.push(p.clone());
            return Ok(vec![(p, to_item(title.clone(), file_name_for(&title, "pdf"), None))]);
        }
        let batch = (pages.len() > 1).then(Uuid::new_v4);
        let n = pages.len();
        let mut rows = Vec::with_capacity(n);
        for (i, t) in pages.iter().enumerate() {
            let name = if n == 1 { title.clone() } else { format!("{title} ({}/{n})", i + 1) };
            let (path, ext) = if t.page.quarter_turns % 4 == 0 {
                let ext = Path::new(&t.check.file_name).extension().and_then(|e| e.to_str()).unwrap_or("bin");
                (PathBuf::from(&t.page.path), ext.to_string())
            } else {
                let (bytes, kind) = assemble::turned(&page_of(t)).map_err(|e| bad(e.to_string()))?;
                let ext = if kind == FileKind::Jpeg { "jpg" } else { "png" };
                let p = staged(&bytes, ext)?;
                staged_files.push(p.clone());
                (p, ext.to_string())
            };
            rows.push((path, to_item(name.clone(), file_name_for(&name, &ext), batch)));
        }
        Ok(rows)
    });
    let rows = match built {
        Ok(r) => r,
        Err(e) => {
            staged_files.iter().for_each(|p| drop(std::fs::remove_file(p)));
            return Err(e);
        }
    };
    let taken: Vec<String> = pages.iter().map(|t| t.sha.clone()).collect();
    let queued = state.queue.enqueue_taking(rows, &taken, now_ms()).await.map_err(queue_error);
    staged_files.iter().for_each(|p| drop(std::fs::remove_file(p)));
    let queued = queued?;
    // Safely queued: now, and only now, the originals leave the scanner folder.
    for t in &pages {
        if let Err(e) = std::fs::remove_file(&t.page.path) {
            tracing::warn!("scanner folder: {} stays: {e}", t.page.path);
        }
        scanner.checked.remove(Path::new(&t.page.path));
        scanner.shown.files.retain(|f| f.path != t.page.path);
    }
    drop(scanner);
    state.queue_wake.notify_one();
    state.scanner_wake.notify_one();
    changed(&app).await;
    Ok(queued)
}
