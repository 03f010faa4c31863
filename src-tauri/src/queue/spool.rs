//! The queue's copies of the files handed to the app. A copy is written under a temporary
//! name, synced, renamed to its item id and the folder synced, all before the queue row
//! commits, so a power cut leaves either no row or a row whose file is complete. The original
//! can be moved or deleted as soon as the copy returns.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Files copied into the spool at once for a drop (the disk, not the CPU, is the limit).
const COPY_WORKERS: usize = 8;

/// A file safely in the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spooled {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub fn open(dir: PathBuf) -> std::io::Result<Spool> {
        crate::private_files::create_dir(&dir)?;
        Ok(Spool { dir })
    }

    pub fn path(&self, id: Uuid) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// Copies `src` in as item `id`, durably, hashing on the way.
    pub fn copy_in(&self, src: &Path, id: Uuid) -> std::io::Result<Spooled> {
        let s = self.copy_file(src, id)?;
        self.sync_dir()?;
        Ok(s)
    }

    /// Copies many files in, several at a time (their syncs overlap, which is what makes a
    /// dropped folder quick), then syncs the folder once. Either every copy is durable, or the
    /// error is returned and the copies made are removed.
    pub fn copy_in_many(&self, jobs: &[(PathBuf, Uuid)]) -> std::io::Result<Vec<Spooled>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<std::sync::Mutex<Option<std::io::Result<Spooled>>>> =
            jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
        let workers = jobs.len().clamp(1, COPY_WORKERS);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((src, id)) = jobs.get(i) else { break };
                    let r = self.copy_file(src, *id);
                    *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                });
            }
        });
        let mut done = Vec::with_capacity(jobs.len());
        let mut failure = None;
        for r in results {
            match r.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Some(Ok(s)) => done.push(s),
                Some(Err(e)) => failure = failure.or(Some(e)),
                None => failure = failure.or_else(|| Some(std::io::Error::other("a copy did not run"))),
            }
        }
        if let Some(e) = failure {
            for s in &done {
                let _ = std::fs::remove_file(&s.path);
            }
            return Err(e);
        }
        self.sync_dir()?;
        Ok(done)
    }

    fn copy_file(&self, src: &Path, id: Uuid) -> std::io::Result<Spooled> {
        let tmp = self.dir.join(format!("{id}.part"));
        let mut input = File::open(src)?;
        let mut out = crate::private_files::create(&tmp)?;
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            size += n as u64;
        }
        out.sync_all()?;
        drop(out);
        let path = self.path(id);
        std::fs::rename(&tmp, &path)?;
        Ok(Spooled { path, size, sha256: hex::encode(hash.finalize()) })
    }

    /// Makes the rename durable. Windows cannot open a folder as a file (and NTFS journals
    /// renames itself), so there it is a no-op.
    fn sync_dir(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    pub fn remove(&self, id: Uuid) {
        let _ = std::fs::remove_file(self.path(id));
    }

    /// Files with no queue row (a crash between copy and commit) and half-written copies.
    pub fn sweep(&self, known: &dyn Fn(Uuid) -> bool) -> std::io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let keep = Uuid::parse_str(&name).is_ok_and(known);
            if !keep {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_copy_survives_the_original_and_strays_are_swept() {
        let dir = tempfile::tempdir().expect("tmp");
        let spool = Spool::open(dir.path().join("spool")).expect("spool");
        let src = dir.path().join("scan 1.jpg");
        std::fs::write(&src, b"scan bytes").expect("write");
        let id = Uuid::new_v4();
        let s = spool.copy_in(&src, id).expect("copy");
        std::fs::remove_file(&src).expect("original gone");
        assert_eq!(std::fs::read(&s.path).expect("copy"), b"scan bytes");
        assert_eq!(s.size, 10);
        assert_eq!(s.sha256, hex::encode(Sha256::digest(b"scan bytes")));

        let stray = Uuid::new_v4();
        std::fs::write(spool.path(stray), b"x").expect("stray");
        std::fs::write(dir.path().join("spool").join(format!("{}.part", Uuid::new_v4())), b"half").expect("part");
        assert_eq!(spool.sweep(&|u| u == id).expect("sweep"), 2);
        assert!(spool.path(id).exists());
    }

    #[test]
    fn a_folder_is_copied_in_whole_or_not_at_all() {
        let dir = tempfile::tempdir().expect("tmp");
        let spool = Spool::open(dir.path().join("spool")).expect("spool");
        let jobs: Vec<_> = (0..20)
            .map(|i| {
                let p = dir.path().join(format!("page{i}.jpg"));
                std::fs::write(&p, format!("page {i}")).expect("write");
                (p, Uuid::new_v4())
            })
            .collect();
        let copied = spool.copy_in_many(&jobs).expect("copied");
        assert_eq!(copied.len(), 20);
        assert_eq!(std::fs::read(&copied[7].path).expect("read"), b"page 7", "in the order given");

        let mut broken: Vec<_> = (0..5).map(|i| (dir.path().join(format!("page{i}.jpg")), Uuid::new_v4())).collect();
        broken.push((dir.path().join("gone.jpg"), Uuid::new_v4()));
        assert!(spool.copy_in_many(&broken).is_err());
        for (_, id) in &broken {
            assert!(!spool.path(*id).exists(), "no copy left behind");
        }
    }
}
