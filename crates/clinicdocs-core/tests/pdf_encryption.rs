//! Encrypted PDFs from pypdf's test set (`resources/encryption/` of its source release, fetched
//! by scripts/test.sh; each made by qpdf with a user and an owner password, named for which
//! ones are set): those that open without a password are accepted, whatever the revision
//! (RC4 40/128-bit, AES-128, AES-256 R5 and R6); those that need one are refused. The scan
//! gives the same answer however the file is cut into chunks, as an upload streams it.

use clinicdocs_core::media::pdf::{scan_bytes, PdfScan};
use clinicdocs_core::media::{inspect_document, MediaError};
use std::path::PathBuf;

/// The corpus folder, or `None` (skipped) outside the full test command.
fn corpus() -> Option<PathBuf> {
    match std::env::var_os("CLINICDOCS_PDF_ENCRYPTION_CORPUS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var("CLINICDOCS_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1") => {
            panic!("CLINICDOCS_PDF_ENCRYPTION_CORPUS is not set: scripts/test.sh fetches it")
        }
        None => {
            eprintln!("skipped: set CLINICDOCS_PDF_ENCRYPTION_CORPUS (scripts/test.sh fetches it)");
            None
        }
    }
}

/// Each file and whether it opens without a password (qpdf's `--encrypt USER OWNER`, per
/// pypdf's tests/test_encryption.py).
const FILES: &[(&str, bool)] = &[
    ("unencrypted.pdf", true),
    ("r2-empty-password.pdf", true),
    ("r2-owner-password.pdf", true),
    ("r2-user-password.pdf", false),
    ("r3-empty-password.pdf", true),
    ("r3-user-password.pdf", false),
    ("r4-owner-password.pdf", true),
    ("r4-user-password.pdf", false),
    ("r4-aes-user-password.pdf", false),
    ("r5-empty-password.pdf", true),
    ("r5-owner-password.pdf", true),
    ("r5-user-password.pdf", false),
    ("r6-empty-password.pdf", true),
    ("r6-owner-password.pdf", true),
    ("r6-user-password.pdf", false),
    ("r6-both-passwords.pdf", false),
];

#[test]
fn pdfs_that_open_without_a_password_are_accepted_and_the_others_refused() {
    let Some(dir) = corpus() else { return };
    for &(name, opens) in FILES {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let facts = scan_bytes(&bytes);
        assert_eq!(facts.encrypted, name != "unencrypted.pdf", "{name}");
        assert_eq!(facts.needs_password, !opens, "{name}");
        match inspect_document(&bytes) {
            Ok(_) => assert!(opens, "{name} was accepted but needs a password"),
            Err(MediaError::PasswordProtectedPdf) => assert!(!opens, "{name} was refused but opens"),
            Err(e) => panic!("{name}: {e}"),
        }
        for size in [1, 7, 64, 65, 1000, 4096] {
            let mut scan = PdfScan::new();
            bytes.chunks(size).for_each(|c| scan.update(c));
            assert_eq!(scan.finish(), facts, "{name} in chunks of {size}");
        }
    }
}

#[test]
fn a_file_whose_encryption_dictionary_is_named_but_missing_needs_a_password() {
    let Some(dir) = corpus() else { return };
    // The owner-only file with its encryption dictionary's object renumbered: the trailer's
    // `/Encrypt 15 0 R` now names nothing the scan saw, so it fails closed.
    let bytes = std::fs::read(dir.join("r4-owner-password.pdf")).expect("corpus file");
    let at = bytes.windows(8).rposition(|w| w == b"15 0 obj").expect("the encryption dictionary's object");
    let mut changed = bytes.clone();
    changed[at..at + 2].copy_from_slice(b"16");
    assert!(!scan_bytes(&bytes).needs_password);
    assert!(scan_bytes(&changed).needs_password);
}

/// `bytes` with `extra` inserted before the encryption dictionary's object (`15 0 obj`).
fn with_before_encryption_object(bytes: &[u8], extra: &[u8]) -> Vec<u8> {
    let at = bytes.windows(8).rposition(|w| w == b"15 0 obj").expect("the encryption dictionary's object");
    [&bytes[..at], extra, &bytes[at..]].concat()
}

#[test]
fn other_names_that_start_like_the_tokens_do_not_hide_them() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("r4-owner-password.pdf")).expect("corpus file");
    // Type 1 fonts with /StandardEncoding (ten, far apart, and one just before the dictionary),
    // an /IDTree and an /EncryptMetadata near the trailer's tokens.
    let mut fonts = Vec::new();
    for i in 0..10 {
        fonts.extend(
            format!("{} 0 obj <</Type/Font/Subtype/Type1/Encoding/StandardEncoding>> endobj\n", 100 + i).as_bytes(),
        );
        fonts.extend(b"%".repeat(3000));
        fonts.push(b'\n');
    }
    fonts.extend(b"120 0 obj <</Encoding /StandardEncoding /IDTree 3 0 R /EncryptMetadata true>> endobj\n");
    let changed = with_before_encryption_object(&bytes, &fonts);
    assert!(!scan_bytes(&changed).needs_password);
    let mut tail = changed.clone();
    let trailer = tail.windows(7).rposition(|w| w == b"trailer").expect("trailer");
    tail.splice(trailer..trailer, b"%/IDTree /EncryptMetadata\n".iter().copied());
    assert!(!scan_bytes(&tail).needs_password);
}

#[test]
fn a_decoy_encryption_dictionary_makes_it_ambiguous_so_it_needs_a_password() {
    let Some(dir) = corpus() else { return };
    let user = std::fs::read(dir.join("r2-user-password.pdf")).expect("corpus file");
    let empty = std::fs::read(dir.join("r2-empty-password.pdf")).expect("corpus file");
    // The empty-password file's dictionary, inline after the end in a comment, and as an
    // earlier object with the same number: neither lets the user-password file in.
    let start = empty.windows(8).rposition(|w| w == b"15 0 obj").expect("object");
    let end = start + empty[start..].windows(6).position(|w| w == b"endobj").expect("endobj") + 7;
    let dict = &empty[start + 8..end - 7];
    let mut comment = user.clone();
    comment.extend(b"% /Encrypt ");
    comment.extend(dict);
    comment.extend(b"\n%%EOF\n");
    assert!(scan_bytes(&comment).needs_password);
    let earlier = with_before_encryption_object(&user, &empty[start..end]);
    assert!(scan_bytes(&earlier).needs_password);
    // The same objects with the empty-password file as the real one open.
    assert!(!scan_bytes(&with_before_encryption_object(&empty, &empty[start..end])).needs_password);
}

#[test]
fn an_encryption_entry_spelled_with_name_escapes_is_still_seen() {
    let Some(dir) = corpus() else { return };
    let user = std::fs::read(dir.join("r2-user-password.pdf")).expect("corpus file");
    let at = user.windows(9).rposition(|w| w == b"/Encrypt ").expect("the trailer's /Encrypt");
    // `#79` is `y`, `#45` is `E`: PDF readers take both names as /Encrypt.
    for spelled in [&b"/Encr#79pt"[..], b"/#45ncrypt", b"/#45#6e#63#72#79#70#74"] {
        let changed = [&user[..at], spelled, &user[at + 8..]].concat();
        for size in [1, 2, 5, 7, 13, 64, 65, 1000, 4096, changed.len()] {
            let mut s = PdfScan::new();
            changed.chunks(size).for_each(|c| s.update(c));
            let facts = s.finish();
            assert!(
                facts.encrypted && facts.needs_password,
                "{} in chunks of {size}",
                String::from_utf8_lossy(spelled)
            );
        }
    }
    // Escapes in other names change nothing: an unencrypted file stays open.
    let plain = std::fs::read(dir.join("unencrypted.pdf")).expect("corpus file");
    let trailer = plain.windows(7).rposition(|w| w == b"trailer").expect("trailer");
    let with_names = [&plain[..trailer], b"%/Encr#79p /Encrypted#20x /A#23B\n", &plain[trailer..]].concat();
    assert!(!scan_bytes(&with_names).encrypted);
}
