//! Validation of names people type or that arrive with files — document titles and people's
//! names, by one rule — and free-text notes; and the safe download file name derived from a
//! title, the one rule for every file name the product writes.

use crate::limits::{MAX_NOTES_CHARS, MAX_PERSON_NAME_CHARS, MAX_TITLE_CHARS};
use thiserror::Error;

/// What a name names: it decides the longest name and the message for a missing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOf {
    Document,
    Person,
}

impl NameOf {
    fn max_chars(self) -> usize {
        match self {
            NameOf::Document => MAX_TITLE_CHARS,
            NameOf::Person => MAX_PERSON_NAME_CHARS,
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum NameError {
    #[error("{}", match .0 { NameOf::Document => "Give the document a name.", NameOf::Person => "Give the person's full name." })]
    Empty(NameOf),
    #[error("The name is too long ({0} characters); keep it under {1}.")]
    TooLong(usize, usize),
    #[error("The name contains invisible control characters. Type the name again without them.")]
    ControlCharacter,
    #[error("The name contains direction-override characters, which can disguise what a file is. Type the name again without them.")]
    BidiOverride,
    #[error("The name must not contain '/', '\\' or '..'. Use '-' instead.")]
    PathSeparator,
    #[error("The notes are too long ({0} characters); keep them under {MAX_NOTES_CHARS}.")]
    NotesTooLong(usize),
}

/// Characters that reorder text or hide themselves (RTL overrides, isolates, zero-width).
fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Checks a name and returns it trimmed. Hostile names are refused, not rewritten, so the
/// person sees what was wrong. A document title also may not look like a path.
pub fn validate_name(raw: &str, of: NameOf) -> Result<String, NameError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(NameError::Empty(of));
    }
    if t.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    if t.chars().any(is_bidi_or_invisible) {
        return Err(NameError::BidiOverride);
    }
    if of == NameOf::Document && (t.contains('/') || t.contains('\\') || t.contains("..")) {
        return Err(NameError::PathSeparator);
    }
    let n = t.chars().count();
    if n > of.max_chars() {
        return Err(NameError::TooLong(n, of.max_chars()));
    }
    Ok(t.to_string())
}

/// A document title (see [`validate_name`]).
pub fn validate_title(raw: &str) -> Result<String, NameError> {
    validate_name(raw, NameOf::Document)
}

/// A person's name: a patient's or a staff member's (see [`validate_name`]).
pub fn validate_person_name(raw: &str) -> Result<String, NameError> {
    validate_name(raw, NameOf::Person)
}

/// Checks free-text notes: control characters other than line breaks and tabs are refused.
pub fn validate_notes(raw: &str) -> Result<String, NameError> {
    let t = raw.trim();
    if t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(NameError::ControlCharacter);
    }
    if t.chars().any(is_bidi_or_invisible) {
        return Err(NameError::BidiOverride);
    }
    let n = t.chars().count();
    if n > MAX_NOTES_CHARS {
        return Err(NameError::NotesTooLong(n));
    }
    Ok(t.to_string())
}

/// A file name safe in a `Content-Disposition` header and on every file system:
/// ASCII letters, digits, `-`, `_`, `.` and spaces; anything else becomes `_`.
pub fn download_file_name(title: &str, ext: &str) -> String {
    let mut base: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' ') { c } else { '_' })
        .collect();
    base = base.trim_matches(|c: char| c == ' ' || c == '.').to_string();
    if base.is_empty() {
        base = "document".to_string();
    }
    base.truncate(100);
    let lower = base.to_ascii_lowercase();
    if lower.ends_with(&format!(".{ext}")) || ext.is_empty() {
        base
    } else {
        format!("{base}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass_trimmed() {
        assert_eq!(validate_title("  CBC-Report-Apr2026 ").as_deref(), Ok("CBC-Report-Apr2026"));
        assert_eq!(validate_title("Röntgen Thorax 2026").as_deref(), Ok("Röntgen Thorax 2026"));
    }

    #[test]
    fn hostile_names_are_refused_with_a_reason() {
        assert_eq!(validate_title("../../etc/passwd"), Err(NameError::PathSeparator));
        assert_eq!(validate_title("a\\b"), Err(NameError::PathSeparator));
        assert_eq!(validate_title("scan\u{0007}"), Err(NameError::ControlCharacter));
        assert_eq!(validate_title("invoice\u{202E}fdp.exe"), Err(NameError::BidiOverride));
        assert_eq!(validate_title("   "), Err(NameError::Empty(NameOf::Document)));
        assert_eq!(validate_title(&"x".repeat(201)), Err(NameError::TooLong(201, 200)));
    }

    #[test]
    fn person_names_follow_the_same_rule_but_may_hold_a_slash() {
        assert_eq!(validate_person_name("  Maria Garcia ").as_deref(), Ok("Maria Garcia"));
        assert_eq!(validate_person_name("Anne-Marie O'Neil / Smith").as_deref(), Ok("Anne-Marie O'Neil / Smith"));
        assert_eq!(validate_person_name("Mar\u{200B}ia"), Err(NameError::BidiOverride));
        assert_eq!(validate_person_name("Maria\u{0007}"), Err(NameError::ControlCharacter));
        assert_eq!(validate_person_name(""), Err(NameError::Empty(NameOf::Person)));
        assert_eq!(NameError::Empty(NameOf::Person).to_string(), "Give the person's full name.");
    }

    #[test]
    fn download_names_are_plain_ascii_with_the_real_extension() {
        assert_eq!(download_file_name("CBC Report", "pdf"), "CBC Report.pdf");
        assert_eq!(download_file_name("Röntgen \"x\"", "jpg"), "R_ntgen _x_.jpg");
        assert_eq!(download_file_name("scan.pdf", "pdf"), "scan_pdf.pdf");
        assert_eq!(download_file_name("...", "png"), "___.png");
    }
}
