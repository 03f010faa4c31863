//! Files and folders handed over at once (dropped on the window): walking folders (hidden and
//! system files skipped, symlinks not followed), checking each file's content as the server
//! would, and the plan limits the whole hand-off would break (more than 5 for one visit, more
//! than the clinic's pool), so the review sheet can say so before anything is sent; and the
//! queue rows for the chosen files, grouped into all-or-nothing batches.

use crate::api_client::ApiClient;
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::file_check::{check_content, Content, FileCheck};
use crate::previews::Previews;
use crate::queue::{HandOff, NewItem};
use clinicdocs_core::limits::{precheck, Pending, PlanLimits, MAX_BATCH_FILES};
use clinicdocs_core::names::validate_title;
use clinicdocs_core::natural_order;
use serde::Serialize;
use std::path::{Path, PathBuf};
use ts_rs::TS;
use uuid::Uuid;

/// At most this many files from one drop; the rest are reported, not silently ignored.
pub const MAX_DROPPED_FILES: usize = 1000;
/// Folders deeper than this below a dropped folder are not entered.
const MAX_DEPTH: usize = 8;

/// A path left out of the hand-off, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// What a drop holds once its folders are walked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Walked {
    /// Files in a stable order: as dropped, and a folder's files by name.
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// Why a file or folder of this name is not imported: hidden, or made by the system rather
/// than by a person (thumbnail caches, lock and temporary files, trash folders).
pub fn skip_reason(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if name.starts_with('.') {
        return Some("hidden");
    }
    const SYSTEM: [&str; 7] =
        ["thumbs.db", "desktop.ini", "ehthumbs.db", "__macosx", "$recycle.bin", "system volume information", "icon\r"];
    if SYSTEM.contains(&lower.as_str())
        || name.starts_with("~$")
        || lower.ends_with(".tmp")
        || lower.ends_with(".part")
        || lower.ends_with(".crdownload")
        || name.ends_with('~')
    {
        return Some("a system or temporary file");
    }
    None
}

/// Expands dropped paths into the files to import.
pub fn walk(dropped: &[PathBuf]) -> Walked {
    let mut out = Walked::default();
    for p in dropped {
        visit(p, 0, &mut out);
    }
    out
}

fn skip(out: &mut Walked, path: &Path, reason: impl Into<String>) {
    out.skipped.push(Skipped { path: path.to_string_lossy().into_owned(), reason: reason.into() });
}

fn visit(path: &Path, depth: usize, out: &mut Walked) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some(reason) = skip_reason(&name) {
        return skip(out, path, reason);
    }
    // symlink_metadata: a link is not followed (a link to a parent folder would never end).
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return skip(out, path, CommandError::file(path, &e).message),
    };
    if meta.file_type().is_symlink() {
        return skip(out, path, "a link, not a file");
    }
    if meta.is_dir() {
        if depth >= MAX_DEPTH {
            return skip(out, path, format!("more than {MAX_DEPTH} folders deep"));
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return skip(out, path, CommandError::file(path, &e).message),
        };
        entries.sort_by(|a, b| natural_order::cmp(&a.to_string_lossy(), &b.to_string_lossy()));
        for e in entries {
            visit(&e, depth + 1, out);
        }
    } else if !meta.is_file() {
        skip(out, path, "not a regular file");
    } else if out.files.len() >= MAX_DROPPED_FILES {
        skip(out, path, format!("more than {MAX_DROPPED_FILES} files in one drop"));
    } else {
        out.files.push(path.to_path_buf());
    }
}

/// Walks a drop and checks each file (blocking: call off the async runtime). This is what the
/// window's drop event and `clinicdocs-queue import` both run.
pub fn review(dropped: &[PathBuf], limits: &PlanLimits) -> (Vec<(PathBuf, Content)>, Vec<Skipped>) {
    let walked = walk(dropped);
    let files = walked.files.into_iter().map(|p| (check_content(&p, limits), p)).map(|(c, p)| (p, c)).collect();
    (files, walked.skipped)
}

/// A drop, walked and checked, for the review sheet.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportReview {
    pub id: Uuid,
    /// Each file with its content problems (size, type, executable, password, corrupt).
    pub files: Vec<FileCheck>,
    /// Hidden, system and unreadable paths left out, and why.
    pub skipped: Vec<Skipped>,
    /// Files per all-or-nothing batch: a bigger drop is sent as several batches.
    pub batch_size: u32,
}

/// Walks a drop and checks each file, as the review sheet shows it (blocking: call off the
/// async runtime).
pub fn review_drop(dropped: &[PathBuf], limits: &PlanLimits, previews: &Previews) -> ImportReview {
    let (checked, skipped) = review(dropped, limits);
    let files = checked.into_iter().map(|(path, content)| FileCheck::shown(previews, path, content)).collect();
    let batch_size = u32::try_from(MAX_BATCH_FILES).unwrap_or(u32::MAX);
    ImportReview { id: uuid::Uuid::new_v4(), files, skipped, batch_size }
}

/// One reviewed file the receptionist chose, as the queue will send it.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub path: PathBuf,
    pub file_name: String,
    /// Refusals found by the content check; a file with any is not queued.
    pub problems: Vec<CommandError>,
    pub title: String,
    pub category: clinicdocs_core::Category,
}

/// The queue rows for chosen files: every name valid and no file refused, or the first reason
/// why not. Files are grouped into batches of at most [`MAX_BATCH_FILES`], each stored whole or
/// not at all by the server.
pub fn queue_rows(to: &HandOff, chosen: &[Chosen]) -> Result<Vec<(PathBuf, NewItem)>, CommandError> {
    use clinicdocs_core::api::ErrorCode;
    if chosen.is_empty() {
        return Err(CommandError::api(ErrorCode::BadRequest, "Choose at least one file to send."));
    }
    let mut rows = Vec::with_capacity(chosen.len());
    let mut batch = uuid::Uuid::new_v4();
    for (n, file) in chosen.iter().enumerate() {
        if let Some(p) = file.problems.first() {
            return Err(CommandError::api(
                ErrorCode::BadRequest,
                format!("“{}” cannot be sent: {} Remove it from the list first.", file.file_name, p.message),
            ));
        }
        let title = validate_title(&file.title).map_err(|e| {
            CommandError::api(ErrorCode::InvalidName, format!("The name for “{}”: {e}", file.file_name))
        })?;
        if n > 0 && n % MAX_BATCH_FILES == 0 {
            batch = uuid::Uuid::new_v4();
        }
        let item = to.item(file.category, title, None, file.file_name.clone(), None, Some(batch));
        rows.push((file.path.clone(), item));
    }
    Ok(rows)
}

/// What the server knows that the limits depend on.
#[derive(Debug, Clone, Copy)]
pub struct ServerCounts {
    pub pool_used: u64,
    pub pool_quota: u64,
    /// Documents already on the chosen visit, if one is chosen.
    pub visit_documents: Option<u64>,
}

/// The plan limits each file of a hand-off would break, in order: the sixth file for a visit
/// holding none is over the visit limit, and so on. `sizes` are the files that will be sent.
pub fn hand_off_problems(limits: &PlanLimits, counts: ServerCounts, sizes: &[u64]) -> Vec<Vec<CommandError>> {
    let mut earlier_bytes = 0;
    let mut out = Vec::with_capacity(sizes.len());
    for (i, &size) in sizes.iter().enumerate() {
        let pending = Pending {
            size,
            pool_used: counts.pool_used,
            pool_quota: counts.pool_quota,
            visit_documents: counts.visit_documents,
            earlier_in_visit: i as u64,
            earlier_bytes,
        };
        earlier_bytes += size;
        out.push(
            precheck(limits, &pending)
                .into_iter()
                // The file's own size is judged with its content; here only what the hand-off adds.
                .filter(|(code, _)| *code != clinicdocs_core::api::ErrorCode::FileTooLarge)
                .map(|(code, msg)| CommandError::api(code, msg))
                .collect(),
        );
    }
    out
}

/// The clinic's pool and the chosen visit's document count, or `None` when the server cannot
/// be reached (the files are still checked and queued; the server checks these when back).
pub async fn server_counts(
    c: &ApiClient,
    patient_id: Uuid,
    encounter_id: Option<Uuid>,
) -> CommandResult<Option<ServerCounts>> {
    let counts = async {
        let usage = c.storage().await?;
        let visit = match encounter_id {
            Some(id) => c.visits(patient_id).await?.into_iter().find(|e| e.id == id).map(|e| e.document_count),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clinicdocs_core::api::ErrorCode;
    use clinicdocs_core::limits::Plan;

    fn touch(p: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }

    // Unix only: it makes a symlink loop and reads paths with `/`.
    #[cfg(unix)]
    #[test]
    fn folders_are_walked_in_page_order_and_hidden_and_system_files_are_skipped() {
        let d = tempfile::tempdir().expect("tmp");
        let root = d.path().join("Garcia visit");
        for name in ["page 10.jpg", "page 2.jpg", "page 1.jpg", "sub/consent.pdf"] {
            touch(&root.join(name), b"x");
        }
        for name in
            [".DS_Store", "Thumbs.db", "desktop.ini", "~$letter.docx", "scan.tmp", ".git/config", "__MACOSX/x.jpg"]
        {
            touch(&root.join(name), b"x");
        }
        std::os::unix::fs::symlink(&root, root.join("loop")).expect("symlink");
        let loose = d.path().join("card.png");
        touch(&loose, b"x");
        let w = walk(&[root.clone(), loose.clone()]);
        let names: Vec<String> =
            w.files.iter().map(|p| p.strip_prefix(d.path()).expect("inside").to_string_lossy().into_owned()).collect();
        assert_eq!(
            names,
            [
                "Garcia visit/page 1.jpg",
                "Garcia visit/page 2.jpg",
                "Garcia visit/page 10.jpg",
                "Garcia visit/sub/consent.pdf",
                "card.png"
            ]
        );
        let skipped: Vec<&str> = w.skipped.iter().map(|s| s.path.rsplit('/').next().unwrap_or("")).collect();
        for name in [".DS_Store", "Thumbs.db", "desktop.ini", "~$letter.docx", "scan.tmp", ".git", "__MACOSX", "loop"] {
            assert!(skipped.contains(&name), "{name} not skipped: {skipped:?}");
        }
        assert!(w.skipped.iter().any(|s| s.reason == "a link, not a file"));
    }

    #[test]
    fn a_vanished_path_is_reported_not_dropped_silently() {
        let w = walk(&[PathBuf::from("/nonexistent/clinicdocs/scan.pdf")]);
        assert!(w.files.is_empty());
        assert_eq!(w.skipped.len(), 1);
        assert!(w.skipped[0].reason.contains("no longer there"), "{}", w.skipped[0].reason);
    }

    #[test]
    fn the_sixth_file_for_a_visit_and_the_file_that_overflows_the_pool_are_flagged() {
        let limits = PlanLimits::of(Plan::Professional);
        let counts = ServerCounts { pool_used: 0, pool_quota: 10_000, visit_documents: Some(2) };
        let p = hand_off_problems(&limits, counts, &[1000, 1000, 1000, 1000, 7000]);
        let codes: Vec<Vec<ErrorCode>> = p.iter().map(|v| v.iter().filter_map(|e| e.api_code()).collect()).collect();
        assert_eq!(codes[0], []);
        assert_eq!(codes[2], []);
        assert_eq!(codes[3], [ErrorCode::VisitLimitReached], "2 on the visit + 3 earlier = 5");
        assert_eq!(codes[4], [ErrorCode::VisitLimitReached, ErrorCode::QuotaExceeded], "4000 + 7000 > 10000");
        let no_visit = ServerCounts { visit_documents: None, ..counts };
        assert!(hand_off_problems(&limits, no_visit, &[1000; 20]).iter().take(10).all(Vec::is_empty));
    }

    #[test]
    fn chosen_files_become_batches_of_at_most_50_and_a_refused_file_stops_the_whole_hand_off() {
        let to = HandOff {
            server_url: "http://127.0.0.1:1/".into(),
            user_id: uuid::Uuid::new_v4(),
            patient_id: uuid::Uuid::new_v4(),
            encounter_id: None,
        };
        let file = |i: usize| Chosen {
            path: PathBuf::from(format!("/scans/page {i}.jpg")),
            file_name: format!("page {i}.jpg"),
            problems: vec![],
            title: format!("page {i}"),
            category: clinicdocs_core::Category::Insurance,
        };
        let rows = queue_rows(&to, &(0..120).map(file).collect::<Vec<_>>()).expect("rows");
        let mut sizes: Vec<usize> = Vec::new();
        for w in rows.chunk_by(|a, b| a.1.batch_id == b.1.batch_id) {
            sizes.push(w.len());
        }
        assert_eq!(sizes, [50, 50, 20]);
        let mut bad: Vec<Chosen> = (0..3).map(file).collect();
        bad[1].problems.push(CommandError::api(ErrorCode::ExecutableRefused, "A program."));
        let e = queue_rows(&to, &bad).expect_err("refused");
        assert!(e.message.starts_with("“page 1.jpg” cannot be sent: A program."), "{}", e.message);
        bad[1].problems.clear();
        bad[2].title = "../../etc/passwd\u{202e}".into();
        assert_eq!(queue_rows(&to, &bad).expect_err("bad name").api_code(), Some(ErrorCode::InvalidName));
        assert!(queue_rows(&to, &[]).is_err());
    }

    #[test]
    fn content_checks_name_each_bad_file_reason() {
        let d = tempfile::tempdir().expect("tmp");
        let limits = PlanLimits::of(Plan::Professional);
        let exe = d.path().join("report.pdf");
        std::fs::write(&exe, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").expect("write");
        let c = check_content(&exe, &limits);
        assert_eq!(c.problems[0].api_code(), Some(ErrorCode::ExecutableRefused));
        let big = d.path().join("big.pdf");
        let f = std::fs::File::create(&big).expect("create");
        f.set_len(limits.max_file_bytes + 1).expect("grow");
        let c = check_content(&big, &limits);
        assert_eq!(c.problems[0].api_code(), Some(ErrorCode::FileTooLarge));
        let empty = d.path().join("empty.jpg");
        std::fs::write(&empty, b"").expect("write");
        assert!(!check_content(&empty, &limits).problems.is_empty());
    }
}
