//! The disk cache of document bytes and rendered images. A document's content never changes
//! (a new file is a new document), so entries are keyed by document id and SHA-256 and never
//! go stale; signing out empties the cache so no patient file stays on the workstation.

use std::path::{Path, PathBuf};
use uuid::Uuid;

pub struct MediaCache {
    dir: PathBuf,
}

impl MediaCache {
    pub fn new(dir: PathBuf) -> Self {
        MediaCache { dir }
    }

    /// The path of one cached item: `what` names the variant (`original`, `thumb`, `p3w1200`).
    pub fn path(&self, id: Uuid, sha256: &str, what: &str) -> PathBuf {
        let sha: String = sha256.chars().filter(|c| c.is_ascii_hexdigit()).take(16).collect();
        self.dir.join("documents").join(format!("{id}-{sha}-{what}"))
    }

    pub fn read(&self, path: &Path) -> Option<Vec<u8>> {
        std::fs::read(path).ok()
    }

    /// Writes under a temp name and renames, so a reader never sees half a file.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            crate::private_files::create_dir(parent)?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        crate::private_files::write(&tmp, bytes)?;
        std::fs::rename(tmp, path)
    }

    pub fn clear(&self) {
        let _ = std::fs::remove_dir_all(self.dir.join("documents"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_keyed_by_id_and_checksum_and_cleared_on_sign_out() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = MediaCache::new(dir.path().to_path_buf());
        let id = Uuid::from_u128(7);
        let p = cache.path(id, "abcdef0123456789ffff/../..", "thumb");
        assert!(p.starts_with(dir.path().join("documents")));
        assert!(p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("-abcdef0123456789-thumb")));
        cache.write(&p, b"jpeg").expect("write");
        assert_eq!(cache.read(&p).as_deref(), Some(&b"jpeg"[..]));
        cache.clear();
        assert_eq!(cache.read(&p), None);
    }
}
