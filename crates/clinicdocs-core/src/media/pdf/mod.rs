//! A streaming scan of a PDF's bytes for what the server must know without a PDF engine:
//! whether it is encrypted and, if so, whether it opens without a password; and, when its page
//! objects are not compressed, how many pages it has. Memory stays constant whatever the file
//! size.

mod capture;
mod objects;
mod standard_security;

use capture::{Captured, Captures, Watch, Watched};
use memchr::memmem;
use objects::{is_delimiter, is_space, parse_at, Dict, Object};
use std::sync::OnceLock;

/// Bytes carried over between chunks so a token split across them is still seen.
const OVERLAP: usize = 64;

pub struct PdfScan {
    carry: Vec<u8>,
    encrypted: bool,
    pages: u64,
    saw_eof_marker: bool,
    /// Around the encryption dictionary (`/Standard`), the trailer's `/Encrypt` and `/ID`.
    captures: Captures,
    /// The file's last bytes before the current chunk, for names with `#xx` escapes.
    name_tail: Vec<u8>,
}

/// What the scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfFacts {
    pub encrypted: bool,
    /// Encrypted so that it does not open without a password (a user password, a certificate,
    /// or an encryption this scan cannot read). Files with only an owner password open.
    pub needs_password: bool,
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

/// The longest escaped spelling of a name worth decoding: `Encrypt` with every letter as `#xx`.
const ESCAPED_NAME_MAX: usize = 3 * b"Encrypt".len();

/// How much is kept around the tokens that find the encryption dictionary.
const DICT_BEFORE: usize = 2048;
const DICT_AFTER: usize = 2048;
const ID_AFTER: usize = 256;

impl Default for PdfScan {
    fn default() -> Self {
        PdfScan {
            carry: Vec::new(),
            encrypted: false,
            pages: 0,
            saw_eof_marker: false,
            name_tail: Vec::new(),
            captures: Captures::new(vec![
                Watch::first(b"/Standard", DICT_BEFORE, DICT_AFTER, 16),
                Watch::first(b"/Encrypt", 0, DICT_AFTER, 16),
                Watch::last(b"/ID", 0, ID_AFTER, 4),
            ]),
        }
    }
}

impl PdfScan {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of the file. A long chunk is scanned where it lies; only the
    /// seam with the previous chunk is copied.
    pub fn update(&mut self, chunk: &[u8]) {
        self.captures.update(chunk);
        self.escaped_names(chunk, false);
        if chunk.len() <= OVERLAP {
            let mut buf = std::mem::take(&mut self.carry);
            buf.extend_from_slice(chunk);
            let settled = buf.len().saturating_sub(OVERLAP);
            self.scan(&buf, settled);
            self.carry = buf[settled..].to_vec();
            return;
        }
        // Tokens starting in the carried tail, seen with the head of this chunk.
        if !self.carry.is_empty() {
            let mut seam = std::mem::take(&mut self.carry);
            let starts = seam.len();
            seam.extend_from_slice(&chunk[..OVERLAP]);
            self.scan(&seam, starts);
        }
        let settled = chunk.len() - OVERLAP;
        self.scan(chunk, settled);
        self.carry = chunk[settled..].to_vec();
    }

    /// Ends the scan.
    pub fn finish(mut self) -> PdfFacts {
        self.escaped_names(&[], true);
        let buf = std::mem::take(&mut self.carry);
        self.scan(&buf, buf.len());
        let needs_password = self.encrypted && needs_password(self.captures.finish());
        PdfFacts {
            encrypted: self.encrypted,
            needs_password,
            page_count: (self.pages > 0).then_some(self.pages as i64),
            complete: self.saw_eof_marker,
        }
    }

    /// Names written with `#xx` escapes (`/Encr#79pt`), which readers take as the name they
    /// spell: one that spells `Encrypt` makes the file encrypted (and, as no `/Encrypt` names
    /// its dictionary, needing a password). Only a name near a `#` is looked at, in the last
    /// bytes before the chunk and the chunk; a name running past the end waits for the next.
    fn escaped_names(&mut self, chunk: &[u8], at_end: bool) {
        if self.encrypted || (chunk.is_empty() && !at_end) {
            return;
        }
        let mut view = std::mem::take(&mut self.name_tail);
        view.extend_from_slice(chunk);
        for hash in memchr::memchr_iter(b'#', &view) {
            let Some(start) = view[hash.saturating_sub(ESCAPED_NAME_MAX)..hash]
                .iter()
                .rposition(|&b| b == b'/' || is_space(b) || is_delimiter(b))
                .map(|i| hash.saturating_sub(ESCAPED_NAME_MAX) + i)
                .filter(|&i| view[i] == b'/')
            else {
                continue;
            };
            let rest = &view[start + 1..];
            let end = rest.iter().take(ESCAPED_NAME_MAX + 1).position(|&b| is_space(b) || is_delimiter(b));
            let name = match end {
                Some(e) => &rest[..e],
                None if at_end && rest.len() <= ESCAPED_NAME_MAX => rest,
                None => continue,
            };
            let spelled = parse_at(&view[start..start + 1 + name.len()], 0).map(|(o, _)| o);
            if spelled == Some(Object::Name(b"Encrypt".to_vec())) {
                self.encrypted = true;
                break;
            }
        }
        let keep = view.len().saturating_sub(2 * ESCAPED_NAME_MAX + 2);
        view.drain(..keep);
        self.name_tail = view;
    }

    /// Looks at tokens starting before `limit` (those after it are seen again with the next
    /// chunk). Each token is searched for on its own: a search for `/` or `%` alone stops every
    /// few bytes in text-heavy PDFs and cost as much as the SHA-256 of the file.
    fn scan(&mut self, buf: &[u8], limit: usize) {
        let n = needles();
        let at = |i: usize| buf.get(i).copied();
        // Only matches that start before `limit`.
        let upto = |len: usize| &buf[..(limit + len - 1).min(buf.len())];
        if !self.saw_eof_marker && n.eof.find(upto(n.eof.needle().len())).is_some() {
            self.saw_eof_marker = true;
        }
        if !self.encrypted {
            let len = n.encrypt.needle().len();
            self.encrypted = n.encrypt.find_iter(upto(len)).any(|i| at(i + len).is_some_and(is_delimiter_or_space));
        }
        for i in n.kind.find_iter(upto(n.kind.needle().len())) {
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

/// Whether an encrypted file needs a password to open: its encryption dictionary (the one the
/// trailers' `/Encrypt` names, inline or by reference) is tried with the empty password.
/// Anything unclear counts as needing one: a dictionary that cannot be found or read, two
/// `/Encrypt` naming different things (a decoy in a comment, an update that changed it), an
/// occurrence the scan could not keep, or an object of that number that does not open.
fn needs_password(watched: Vec<Watched>) -> bool {
    let [standard, encrypt, ids]: [Watched; 3] = match watched.try_into() {
        Ok(w) => w,
        Err(_) => return true,
    };
    if standard.missed || encrypt.missed {
        return true;
    }
    let mut targets: Vec<Object> = Vec::new();
    for (c, at) in tokens(&encrypt, b"/Encrypt") {
        match parse_at(&c.bytes, at + b"/Encrypt".len()) {
            Some((o @ (Object::Ref(_) | Object::Dict(_)), _)) => {
                if !targets.contains(&o) {
                    targets.push(o);
                }
            }
            _ => return true,
        }
    }
    let mut objects = Vec::new();
    for (c, at) in tokens(&standard, b"/Standard") {
        match object_around(c, at) {
            Some(o) => objects.push(o),
            None => return true,
        }
    }
    let dicts: Vec<Dict> = match targets.as_slice() {
        [Object::Dict(d)] => vec![d.clone()],
        // Every object of that number the scan saw must open (an update may have replaced one).
        [Object::Ref(n)] => objects.into_iter().filter(|(num, _)| num == n).map(|(_, d)| d).collect(),
        _ => return true,
    };
    let first_id = ids.captures.iter().rev().find_map(|c| match parse_at(&c.bytes, c.at + b"/ID".len())?.0 {
        Object::Array(a) => match a.into_iter().next() {
            Some(Object::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    });
    dicts.is_empty() || !dicts.iter().all(|d| standard_security::opens_without_password(d, first_id.as_deref()))
}

/// Each place a watch's token starts that is the token itself and not the start of a longer
/// name (`/StandardEncoding`, `/EncryptMetadata`): the capture and the offset in it.
fn tokens<'a>(w: &'a Watched, token: &'a [u8]) -> impl Iterator<Item = (&'a Captured, usize)> + 'a {
    w.captures.iter().flat_map(move |c| {
        c.offsets()
            .filter(move |&at| c.bytes.get(at + token.len()).is_none_or(|&b| is_space(b) || is_delimiter(b)))
            .map(move |at| (c, at))
    })
}

/// The indirect object whose dictionary holds the token at `c.bytes[at]`: its number and
/// dictionary.
fn object_around(c: &Captured, at: usize) -> Option<(u32, Dict)> {
    let finder = memmem::FinderRev::new(b"obj");
    finder.rfind_iter(&c.bytes[..at]).take(4).find_map(|obj| {
        let (Object::Dict(d), end) = parse_at(&c.bytes, obj + 3)? else {
            return None;
        };
        if end <= at || d.name("Filter") != Some(b"Standard") {
            return None;
        }
        // `N G obj`: the number before the generation.
        let before = &c.bytes[..obj];
        let words: Vec<&[u8]> = before.rsplit(|&b| is_space(b)).filter(|w| !w.is_empty()).take(2).collect();
        match words[..] {
            [gen, num] if gen.iter().all(u8::is_ascii_digit) => Some((std::str::from_utf8(num).ok()?.parse().ok()?, d)),
            _ => None,
        }
    })
}

/// The tokens the scan looks for, each with its own searcher.
struct Needles {
    eof: memmem::Finder<'static>,
    encrypt: memmem::Finder<'static>,
    kind: memmem::Finder<'static>,
}

fn needles() -> &'static Needles {
    static NEEDLES: OnceLock<Needles> = OnceLock::new();
    NEEDLES.get_or_init(|| Needles {
        eof: memmem::Finder::new(b"%%EOF"),
        encrypt: memmem::Finder::new(b"/Encrypt"),
        kind: memmem::Finder::new(b"/Type"),
    })
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
        assert_eq!(f, PdfFacts { encrypted: false, needs_password: false, page_count: Some(2), complete: true });
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
            assert!(f.needs_password, "no readable encryption dictionary: split at {split}");
            assert_eq!(f.page_count, Some(2), "split at {split}");
        }
    }

    #[test]
    fn the_facts_do_not_depend_on_how_the_file_is_cut() {
        // Text-heavy pages (many `/`) and the tokens at every kind of offset.
        let mut doc = b"%PDF-1.4\n".to_vec();
        for i in 0..40 {
            let filler = "/F1 12 Tf ".repeat(i);
            doc.extend(format!("{i} 0 obj<</Type /Page/Resources<</Font/F{i}>>>>{filler}endobj\n%c\n").as_bytes());
        }
        doc.extend(b"trailer<</Encrypt 9 0 R>>\n%%EOF\n");
        let expected = PdfFacts { encrypted: true, needs_password: true, page_count: Some(40), complete: true };
        let mut whole = PdfScan::new();
        whole.update(&doc);
        assert_eq!(whole.finish(), expected);
        for size in [1, 2, 5, 63, 64, 65, 100, 129, 1000] {
            let mut s = PdfScan::new();
            doc.chunks(size).for_each(|c| s.update(c));
            assert_eq!(s.finish(), expected, "chunks of {size}");
        }
        // Short chunks after long ones and the reverse.
        let (mut s, mut rest, mut sizes) = (PdfScan::new(), &doc[..], [3, 70, 64, 1, 200, 65, 9].iter().cycle());
        while !rest.is_empty() {
            let (c, r) = rest.split_at((*sizes.next().unwrap_or(&1)).min(rest.len()));
            s.update(c);
            rest = r;
        }
        assert_eq!(s.finish(), expected);
    }

    #[test]
    fn encrypt_metadata_alone_is_not_encryption() {
        let f = scan_bytes(b"%PDF-1.7\n<</EncryptMetadata false>>%%EOF");
        assert!(!f.encrypted);
    }
}
