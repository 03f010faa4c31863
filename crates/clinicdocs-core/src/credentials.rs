//! The rules for what staff choose or type to get in: a new password (long enough, not a common
//! one), a staff email, and the one-time setup code an administrator hands over. The server
//! enforces them; the desktop app checks the same rules before sending.

use thiserror::Error;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted, in bytes (a longer one is refused before it is hashed).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// The longest email address (RFC 5321's limit on a path).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Characters of a setup code, without its dashes: 16 from a 32-letter alphabet (80 bits).
pub const SETUP_CODE_CHARS: usize = 16;
/// A setup code works this long after it was made, once.
pub const SETUP_CODE_TTL_HOURS: i64 = 24;
/// The letters a setup code is written in (Crockford's base 32): no I, L, O or U, so a code read
/// out or copied by hand cannot be mistaken; a typed O counts as 0, and I or L as 1.
pub const SETUP_CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The 20,000 most common passwords (see the file's header).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("The password is too short: use at least {MIN_PASSWORD_CHARS} characters (a few words together are easy to remember).")]
    TooShort,
    #[error("The password is too long: use at most {MAX_PASSWORD_BYTES} bytes.")]
    TooLong,
    #[error("That password is among the most common ones, which are guessed first. Choose another.")]
    Common,
    #[error("That password is a common one with digits or symbols added, which are guessed early. Choose another.")]
    CommonWithAdditions,
    #[error("The password repeats one character. Choose another.")]
    Repeated,
    #[error("The password must not contain your email address or name.")]
    Personal,
}

fn is_common(word: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().filter(|l| !l.starts_with("# ") && !l.is_empty()).collect())
        .contains(word)
}

/// Checks a password someone chose for themselves. `personal` holds what the account is known
/// by (its email and name): a password built on it is refused.
pub fn check_new_password(password: &str, personal: &[&str]) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let lower = password.to_lowercase();
    let mut chars = lower.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return Err(PasswordError::Repeated);
        }
    }
    if is_common(&lower) {
        return Err(PasswordError::Common);
    }
    // "Sunshine2026!" is "sunshine" with digits and symbols around it.
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if core.chars().count() >= 4 && core != lower && is_common(core) {
        return Err(PasswordError::CommonWithAdditions);
    }
    for p in personal {
        let p = p.trim().to_lowercase();
        let local = p.split('@').next().unwrap_or("");
        for part in [p.as_str(), local] {
            if part.chars().count() >= 4 && lower.contains(part) {
                return Err(PasswordError::Personal);
            }
        }
    }
    Ok(())
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmailError {
    #[error("Enter the person's email address, like name@clinic.org.")]
    Invalid,
    #[error("The email address is too long (at most {MAX_EMAIL_CHARS} characters).")]
    TooLong,
}

/// Checks a staff email and returns it as stored: trimmed and lower-cased.
pub fn normalise_email(raw: &str) -> Result<String, EmailError> {
    let e = raw.trim().to_lowercase();
    if e.chars().count() > MAX_EMAIL_CHARS {
        return Err(EmailError::TooLong);
    }
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !e.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
        }
        None => false,
    };
    if ok {
        Ok(e)
    } else {
        Err(EmailError::Invalid)
    }
}

/// A setup code as people write it, one letter from each random byte: `7KQ2-M9XD-…` (four groups).
pub fn format_setup_code(random: &[u8; SETUP_CODE_CHARS]) -> String {
    let letters: Vec<char> = random.iter().map(|b| SETUP_CODE_ALPHABET[usize::from(b & 31)] as char).collect();
    letters.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A typed setup code in the one spelling it is stored under (hashed): upper case, without
/// dashes or spaces, and with the letters people mistake for others read as the code's own.
pub fn normalise_setup_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .take(4 * SETUP_CODE_CHARS)
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_repeated_and_personal_passwords_are_refused_with_a_reason() {
        assert_eq!(check_new_password("short", &[]), Err(PasswordError::TooShort));
        assert_eq!(check_new_password("1234567890", &[]), Err(PasswordError::Common));
        assert_eq!(check_new_password("Basketball", &[]), Err(PasswordError::Common));
        assert_eq!(check_new_password("Sunshine2026!", &[]), Err(PasswordError::CommonWithAdditions));
        assert_eq!(check_new_password("aaaaaaaaaaaa", &[]), Err(PasswordError::Repeated));
        assert_eq!(
            check_new_password("riley.reception99", &["riley.reception@demo.clinic", "Riley Reception"]),
            Err(PasswordError::Personal)
        );
        assert_eq!(check_new_password(&"x".repeat(MAX_PASSWORD_BYTES + 1), &[]), Err(PasswordError::TooLong));
        assert_eq!(check_new_password("correct horse battery", &["dana@demo.clinic"]), Ok(()));
        assert_eq!(check_new_password("Ülkü-mavi-deniz", &[]), Ok(()));
    }

    #[test]
    fn the_common_list_is_read_without_its_header() {
        assert!(is_common("password"));
        assert!(is_common("#1bitch"), "an entry starting with '#' is an entry");
        assert!(!is_common(
            "# the 20,000 most common passwords, most common first, lower-cased and without repeats: django's"
        ));
        assert!(COMMON_PASSWORDS.lines().count() > 19_000);
    }

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        assert_eq!(normalise_email("  Riley@Demo.Clinic "), Ok("riley@demo.clinic".into()));
        for bad in ["", "riley", "riley@", "@demo.clinic", "riley@clinic", "a b@demo.clinic", "a@b@c.org", "<a@b.org>"]
        {
            assert_eq!(normalise_email(bad), Err(EmailError::Invalid), "{bad:?}");
        }
        assert_eq!(normalise_email(&format!("{}@demo.clinic", "a".repeat(260))), Err(EmailError::TooLong));
    }

    #[test]
    fn a_setup_code_reads_back_however_it_is_typed() {
        let code = format_setup_code(&[7; SETUP_CODE_CHARS]);
        assert_eq!(code.len(), SETUP_CODE_CHARS + 3);
        let random: [u8; SETUP_CODE_CHARS] = std::array::from_fn(|i| (i * 37) as u8);
        let code = format_setup_code(&random);
        let stored = normalise_setup_code(&code);
        assert_eq!(normalise_setup_code(&code.to_lowercase().replace('-', " ")), stored);
        assert!(!code.contains(['O', 'I', 'L', 'U']), "{code}");
        assert_eq!(normalise_setup_code("oil0-1"), "01101");
    }
}
