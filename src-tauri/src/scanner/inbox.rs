//! Watching the scanner folder by polling (network shares and scanners' SMB/FTP drops do not
//! reliably send change notifications). A file is ready once two polls in a row saw the same
//! size and modification time and it is not empty: a scanner still writing it changes one of
//! them. Hidden, system and temporary files, and folders, are not listed.

use crate::bulk_import::skip_reason;
use clinicdocs_core::natural_order;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
    /// Polls in a row that saw exactly this size and time.
    unchanged: u32,
}

/// What the last polls saw in the folder.
#[derive(Debug, Default)]
pub struct Inbox {
    seen: HashMap<PathBuf, Seen>,
}

impl Inbox {
    /// Looks at the folder once; returns whether the list of ready files changed.
    pub fn poll(&mut self, dir: &Path) -> bool {
        let before = self.ready();
        let mut now = HashMap::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if skip_reason(&name).is_some() {
                    continue;
                }
                let Ok(meta) = e.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let path = e.path();
                let (size, modified) = (meta.len(), meta.modified().ok());
                let unchanged = match self.seen.get(&path) {
                    Some(s) if s.size == size && s.modified == modified => s.unchanged.saturating_add(1),
                    _ => 0,
                };
                now.insert(path, Seen { size, modified, unchanged });
            }
        }
        self.seen = now;
        self.ready() != before
    }

    /// Files that have stopped growing, in name order (as a scanner numbers pages).
    pub fn ready(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> =
            self.seen.iter().filter(|(_, s)| s.unchanged >= 1 && s.size > 0).map(|(p, _)| p.clone()).collect();
        v.sort_by(|a, b| natural_order::cmp(&a.to_string_lossy(), &b.to_string_lossy()));
        v
    }

    /// Files seen but still being written.
    pub fn growing(&self) -> usize {
        self.seen.values().filter(|s| s.unchanged == 0 || s.size == 0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_is_ready_only_once_it_stopped_growing() {
        let d = tempfile::tempdir().expect("tmp");
        let mut inbox = Inbox::default();
        let scan = d.path().join("scan 2.jpg");
        let mut f = std::fs::File::create(&scan).expect("create");
        f.write_all(b"part one").expect("write");
        f.sync_all().expect("sync");
        assert!(!inbox.poll(d.path()));
        assert!(inbox.ready().is_empty(), "first sight: maybe still being written");
        assert_eq!(inbox.growing(), 1);
        f.write_all(b" and two").expect("write");
        f.sync_all().expect("sync");
        assert!(!inbox.poll(d.path()));
        assert!(inbox.ready().is_empty(), "it grew since the last look");
        assert!(inbox.poll(d.path()), "unchanged since the last look: ready");
        assert_eq!(inbox.ready(), [scan]);
        assert!(!inbox.poll(d.path()), "still ready: nothing changed");
    }

    #[test]
    fn empty_hidden_and_system_files_and_folders_are_not_listed_and_removed_files_go() {
        let d = tempfile::tempdir().expect("tmp");
        for name in [".scan.jpg.part", "Thumbs.db", "scan.tmp"] {
            std::fs::write(d.path().join(name), b"x").expect("write");
        }
        std::fs::write(d.path().join("empty.jpg"), b"").expect("write");
        std::fs::create_dir(d.path().join("archive")).expect("dir");
        std::fs::write(d.path().join("page 10.jpg"), b"x").expect("write");
        std::fs::write(d.path().join("page 9.jpg"), b"x").expect("write");
        let mut inbox = Inbox::default();
        inbox.poll(d.path());
        inbox.poll(d.path());
        let names: Vec<String> =
            inbox.ready().iter().map(|p| p.file_name().expect("name").to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["page 9.jpg", "page 10.jpg"]);
        std::fs::remove_file(d.path().join("page 9.jpg")).expect("rm");
        assert!(inbox.poll(d.path()));
        assert_eq!(inbox.ready().len(), 1);
    }
}
