//! A streaming scan of a PDF's bytes for what the server must know without a PDF engine:
//! whether it is encrypted (password-protected) and, when its page objects are not compressed,
//! how many pages it has. Memory stays constant whatever the file size.

/// Bytes carried over between chunks so a token split across them is still seen.
const OVERLAP: usize = 64;

#[derive(Debug, Default)]
pub struct PdfScan {
    carry: Vec<u8>,
    encrypted: bool,
    pages: u64,
    saw_eof_marker: bool,
}

/// What the scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfFacts {
    pub encrypted: bool,
    /// `None` when no uncompressed page object was seen (object streams hide them).
    pub page_count: Option<i64>,
    /// Whether `%%EOF` appeared (a file cut short usually lacks it).
    pub complete: bool,
}

fn is_delimiter_or_space(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b'\x0c'
            | b'\0'
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

impl PdfScan {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of the file.
    pub fn update(&mut self, chunk: &[u8]) {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        let settled = buf.len().saturating_sub(OVERLAP);
        self.scan(&buf, settled);
        self.carry = buf[settled..].to_vec();
    }

    /// Ends the scan.
    pub fn finish(mut self) -> PdfFacts {
        let buf = std::mem::take(&mut self.carry);
        self.scan(&buf, buf.len());
        PdfFacts {
            encrypted: self.encrypted,
            page_count: (self.pages > 0).then_some(self.pages as i64),
            complete: self.saw_eof_marker,
        }
    }

    /// Looks at tokens starting before `limit` (those after it are seen again with the next chunk).
    /// Only `/` and `%` can start a token we care about, so memchr skips everything else.
    fn scan(&mut self, buf: &[u8], limit: usize) {
        let at = |i: usize| buf.get(i).copied();
        for i in memchr::memchr2_iter(b'/', b'%', &buf[..limit]) {
            let rest = &buf[i..];
            if buf[i] == b'%' {
                if rest.starts_with(b"%%EOF") {
                    self.saw_eof_marker = true;
                }
            } else if rest.starts_with(b"/Encrypt") && at(i + 8).is_some_and(is_delimiter_or_space) {
                self.encrypted = true;
            } else if rest.starts_with(b"/Type") {
                let mut j = i + 5;
                while at(j).is_some_and(|b| b.is_ascii_whitespace()) {
                    j += 1;
                }
                if buf[j.min(buf.len())..].starts_with(b"/Page") && at(j + 5).is_some_and(is_delimiter_or_space) {
                    self.pages += 1;
                }
            }
        }
    }
}

/// Scans a whole in-memory PDF.
pub fn scan_bytes(bytes: &[u8]) -> PdfFacts {
    let mut s = PdfScan::new();
    for chunk in bytes.chunks(8192) {
        s.update(chunk);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type /Pages/Kids[3 0 R 4 0 R]/Count 2>>endobj\n3 0 obj<</Type /Page/Parent 2 0 R>>endobj\n4 0 obj<</Type/Page/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

    #[test]
    fn counts_pages_and_sees_no_password() {
        let f = scan_bytes(PLAIN);
        assert_eq!(f, PdfFacts { encrypted: false, page_count: Some(2), complete: true });
    }

    #[test]
    fn sees_the_encrypt_entry_even_across_chunk_boundaries() {
        let mut doc = PLAIN.to_vec();
        doc.extend_from_slice(b"trailer<</Root 1 0 R/Encrypt 9 0 R>>\n%%EOF");
        for split in 1..doc.len() {
            let mut s = PdfScan::new();
            s.update(&doc[..split]);
            s.update(&doc[split..]);
            let f = s.finish();
            assert!(f.encrypted, "split at {split}");
            assert_eq!(f.page_count, Some(2), "split at {split}");
        }
    }

    #[test]
    fn encrypt_metadata_alone_is_not_encryption() {
        let f = scan_bytes(b"%PDF-1.7\n<</EncryptMetadata false>>%%EOF");
        assert!(!f.encrypted);
    }
}
