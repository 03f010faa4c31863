//! "Download all": the filtered documents in one zip built on the workstation. Entry names are
//! plain ASCII (the shared `download_file_name` rule) and made unique with " (2)", " (3)"…
//! The zip is written to a temp file beside the target and renamed when complete, so a
//! cancelled or failed export never leaves a half zip under the chosen name.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Gives each name a unique form (case-insensitively, as Windows and macOS compare names).
#[derive(Default)]
pub struct UniqueNames {
    seen: HashSet<String>,
}

impl UniqueNames {
    pub fn unique(&mut self, name: &str) -> String {
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
            _ => (name.to_string(), String::new()),
        };
        let mut candidate = name.to_string();
        let mut n = 2;
        while !self.seen.insert(candidate.to_ascii_lowercase()) {
            candidate = format!("{stem} ({n}){ext}");
            n += 1;
        }
        candidate
    }
}

/// Writes a zip at `dest`.
pub struct ZipBuilder {
    tmp: PathBuf,
    dest: PathBuf,
    zip: zip::ZipWriter<std::fs::File>,
}

impl ZipBuilder {
    pub fn create(dest: &Path) -> std::io::Result<Self> {
        let tmp = dest.with_extension("zip.part");
        let file = std::fs::File::create(&tmp)?;
        Ok(ZipBuilder { tmp, dest: dest.to_path_buf(), zip: zip::ZipWriter::new(file) })
    }

    /// Adds one file, stored (PDFs and JPEGs do not shrink further).
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        self.zip.start_file(name, opts).map_err(std::io::Error::other)?;
        self.zip.write_all(bytes)
    }

    pub fn finish(self) -> std::io::Result<PathBuf> {
        let file = self.zip.finish().map_err(std::io::Error::other)?;
        file.sync_all()?;
        std::fs::rename(&self.tmp, &self.dest)?;
        Ok(self.dest)
    }

    /// Removes the partial file.
    pub fn abandon(self) {
        let tmp = self.tmp.clone();
        drop(self.zip);
        let _ = std::fs::remove_file(tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn repeated_names_get_numbered_case_insensitively() {
        let mut u = UniqueNames::default();
        assert_eq!(u.unique("CBC.pdf"), "CBC.pdf");
        assert_eq!(u.unique("cbc.pdf"), "cbc (2).pdf");
        assert_eq!(u.unique("CBC.pdf"), "CBC (3).pdf");
        assert_eq!(u.unique("notes"), "notes");
        assert_eq!(u.unique("notes"), "notes (2)");
    }

    #[test]
    fn the_zip_holds_every_file_and_appears_only_when_complete() {
        let dir = tempfile::tempdir().expect("tmp");
        let dest = dir.path().join("all.zip");
        let mut z = ZipBuilder::create(&dest).expect("create");
        z.add("a.pdf", b"%PDF-1.4 one").expect("add");
        z.add("b.jpg", b"\xff\xd8two").expect("add");
        assert!(!dest.exists(), "no zip under the chosen name before it is complete");
        z.finish().expect("finish");
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&dest).expect("open")).expect("zip");
        assert_eq!(archive.len(), 2);
        let mut s = Vec::new();
        archive.by_name("b.jpg").expect("entry").read_to_end(&mut s).expect("read");
        assert_eq!(s, b"\xff\xd8two");
    }

    #[test]
    fn an_abandoned_zip_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tmp");
        let dest = dir.path().join("all.zip");
        let mut z = ZipBuilder::create(&dest).expect("create");
        z.add("a.pdf", b"x").expect("add");
        z.abandon();
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }
}
