//! What is learned from a file's bytes as they pass, whichever way it is received: its size,
//! SHA-256, the head that decides its type, and a PDF's structure.

use super::spool::Spool;
use clinicdocs_core::media::pdf::{PdfFacts, PdfScan};
use clinicdocs_core::media::sniff::SNIFF_LEN;
use sha2::{Digest, Sha256};

/// What is learned from a file's bytes as they pass: size, SHA-256, the head that decides the
/// type, and a PDF's structure.
pub struct Inspector {
    hasher: Sha256,
    pub head: Vec<u8>,
    scan: Option<PdfScan>,
    pub decided: bool,
    pub size: u64,
    /// Bytes hashed so far (`size` counts bytes noted, which may run ahead).
    digested: usize,
}

impl Inspector {
    pub fn new() -> Inspector {
        Inspector {
            hasher: Sha256::new(),
            head: Vec::with_capacity(SNIFF_LEN),
            scan: None,
            decided: false,
            size: 0,
            digested: 0,
        }
    }

    /// Everything at once: [`Inspector::note`] then [`Inspector::digest`].
    pub fn feed(&mut self, chunk: &[u8]) {
        self.note(chunk);
        self.digest(chunk);
    }

    /// Counts the chunk and keeps the head that decides the type.
    pub fn note(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        if !self.decided {
            let take = (SNIFF_LEN - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            self.decided = self.head.len() == SNIFF_LEN;
        }
    }

    /// Hashes the chunk and scans it if the file is a PDF (chunks in order, after `note`).
    pub fn digest(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        if self.scan.is_none() && self.decided && self.head.starts_with(b"%PDF-") {
            // Bytes digested before the type was decided all lie within the head.
            let mut scan = PdfScan::new();
            scan.update(&self.head[..self.digested.min(SNIFF_LEN)]);
            self.scan = Some(scan);
        }
        if let Some(s) = self.scan.as_mut() {
            s.update(chunk);
        }
        self.digested += chunk.len();
    }

    pub fn finish(mut self, spool: Spool) -> Incoming {
        if !self.decided && self.head.starts_with(b"%PDF-") {
            let mut s = PdfScan::new();
            s.update(&self.head);
            self.scan = Some(s);
        }
        Incoming {
            spool,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
            head: self.head,
            pdf: self.scan.map(PdfScan::finish),
        }
    }
}

/// A received file, not yet checked.
#[derive(Debug)]
pub struct Incoming {
    pub spool: Spool,
    pub size: u64,
    pub sha256: String,
    pub(super) head: Vec<u8>,
    pub(super) pdf: Option<PdfFacts>,
}

impl Default for Inspector {
    fn default() -> Self {
        Inspector::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use clinicdocs_core::media::pdf::scan_bytes;

    fn pdf() -> Vec<u8> {
        let mut v = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n".to_vec();
        for i in 0..40 {
            v.extend_from_slice(format!("{} 0 obj<</Type /Page/Parent 2 0 R>>endobj\n", i + 3).as_bytes());
        }
        v.extend_from_slice(b"trailer<</Root 1 0 R/Encrypt 9 0 R>>\n%%EOF\n");
        v
    }

    fn inspected(chunks: &[&[u8]], notes_first: bool) -> Incoming {
        let mut seen = Inspector::new();
        if notes_first {
            for c in chunks {
                seen.note(c);
            }
            for c in chunks {
                seen.digest(c);
            }
        } else {
            for c in chunks {
                seen.feed(c);
            }
        }
        seen.finish(Spool::Memory(Bytes::new()))
    }

    #[test]
    fn the_hash_and_pdf_scan_do_not_depend_on_how_the_file_was_cut() {
        let file = pdf();
        assert!(file.len() > SNIFF_LEN * 2);
        let whole = hex::encode(Sha256::digest(&file));
        let facts = scan_bytes(&file);
        assert_eq!(facts.page_count, Some(40));
        assert!(facts.encrypted);
        // Chunk sizes below, at and above the sniffed head, so the type is decided mid-chunk,
        // on a chunk edge and in the first chunk.
        for size in [1, 7, 100, 511, 512, 513, 2000, file.len()] {
            let chunks: Vec<&[u8]> = file.chunks(size).collect();
            for notes_first in [false, true] {
                let got = inspected(&chunks, notes_first);
                assert_eq!(got.sha256, whole, "chunks of {size}, notes first: {notes_first}");
                assert_eq!(got.pdf, Some(facts), "chunks of {size}, notes first: {notes_first}");
                assert_eq!(got.size, file.len() as u64);
            }
        }
        let short = &file[..300];
        let got = inspected(&short.chunks(50).collect::<Vec<_>>(), false);
        assert_eq!(got.pdf, Some(scan_bytes(short)), "a file shorter than the head");
    }
}
