//! Sending pages from the scanner inbox: turned as the receptionist chose, combined into one
//! PDF when asked or else one document each (one all-or-nothing batch), handed to the queue.
//! Only files the inbox lists can be taken, as they were checked; the originals leave the
//! scanner folder only after their queue rows committed, with their hashes committed beside
//! them, so a file left behind by a crash is removed, not offered again.

use super::assemble::{self, Page};
use super::watch::{hash, ScannerState};
use crate::error::CommandError;
use crate::file_check::FileCheck;
use crate::queue::runner::now_ms;
use crate::queue::{HandOff, NewItem, Queue, QueueError, QueueItem};
use crate::session::Session;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::media::FileKind;
use clinicdocs_core::names::{download_file_name, validate_title};
use clinicdocs_core::Category;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio::sync::Mutex;
use ts_rs::TS;
use uuid::Uuid;

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

/// A page from the inbox as it will be sent: its bytes, kind and hash.
struct Taken {
    page: ScanPage,
    check: FileCheck,
    sha: String,
    bytes: Vec<u8>,
    kind: FileKind,
}

/// A file made for sending (a turned page, a combined PDF), removed once queued.
fn staged(bytes: &[u8], ext: &str) -> Result<PathBuf, QueueError> {
    let p = std::env::temp_dir().join(format!("clinicdocs-scan-{}.{ext}", Uuid::new_v4()));
    // Only this user may read it while it waits (it is removed once queued).
    crate::private_files::write(&p, bytes).map_err(|e| CommandError::file(&p, &e))?;
    Ok(p)
}

/// Queues the chosen pages; the inbox stays locked until they are queued and removed, so a
/// second Send cannot take them again.
pub async fn send(
    inbox: &Mutex<ScannerState>,
    queue: &Queue,
    session: &Session,
    request: &ScanRequest,
) -> Result<Vec<QueueItem>, QueueError> {
    let bad = |m: String| QueueError::invalid(ErrorCode::BadRequest, m);
    if request.pages.is_empty() {
        return Err(bad("Choose at least one scanned page.".into()));
    }
    let title =
        validate_title(&request.title).map_err(|e| QueueError::invalid(ErrorCode::InvalidName, e.to_string()))?;
    // Only files the inbox lists can be taken, and only as they were checked. The inbox stays
    // locked until they are queued and removed, so a second Send cannot take them again.
    let mut scanner = inbox.lock().await;
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
        if queue.was_taken(&sha).await? {
            return Err(QueueError::invalid(
                ErrorCode::Conflict,
                format!("“{}” is in the upload queue already.", check.file_name),
            ));
        }
        let kind = check
            .content_type
            .as_deref()
            .and_then(FileKind::from_mime)
            .ok_or_else(|| bad(format!("“{}” cannot be sent.", check.file_name)))?;
        pages.push(Taken { page: page.clone(), check, sha, bytes, kind });
    }
    let to = HandOff {
        server_url: session.server(),
        user_id: session.user_id(),
        patient_id: request.patient_id,
        encounter_id: request.encounter_id,
    };
    let to_item = |title: String, file_name: String, batch: Option<Uuid>| {
        to.item(request.category, title, None, file_name, None, batch)
    };
    let mut staged_files = Vec::new();
    let built = tokio::task::block_in_place(|| -> Result<Vec<(PathBuf, NewItem)>, QueueError> {
        fn page_of(t: &Taken) -> Page<'_> {
            Page { name: &t.check.file_name, bytes: &t.bytes, kind: t.kind, quarter_turns: t.page.quarter_turns }
        }
        if request.combine && pages.len() > 1 {
            let pdf =
                assemble::combine(&pages.iter().map(page_of).collect::<Vec<_>>()).map_err(|e| bad(e.to_string()))?;
            let p = staged(&pdf, "pdf")?;
            staged_files.push(p.clone());
            return Ok(vec![(p, to_item(title.clone(), download_file_name(&title, "pdf"), None))]);
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
            rows.push((path, to_item(name.clone(), download_file_name(&name, &ext), batch)));
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
    let queued = queue.enqueue_taking(rows, &taken, now_ms()).await;
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
    Ok(queued)
}
