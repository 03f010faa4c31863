//! Plans and their limits (docs/DESIGN.md §3), and the messages staff see when one is hit.

use crate::error_code::ErrorCode;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;
pub const GIB: u64 = 1024 * MIB;

/// Signed download links live this long.
pub const SIGNED_URL_TTL: Duration = Duration::from_secs(5 * 60);
/// A share link expires if not opened within this time.
pub const SHARE_LINK_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// A one-time portal code works this long after it is texted.
pub const SHARE_CODE_TTL: Duration = Duration::from_secs(10 * 60);
/// The most codes one share's recipient can have texted in an hour.
pub const SHARE_CODE_SENDS_PER_HOUR: usize = 3;
/// Wrong tries that void a code.
pub const SHARE_CODE_TRIES: i64 = 5;
/// Wrong tries, over all its codes, that lock a link until the clinic sends it again (three
/// voided codes): someone holding the link gets this many guesses at a 6-digit code, not a
/// few hundred a day.
pub const SHARE_CODE_LINK_TRIES: i64 = 3 * SHARE_CODE_TRIES;
/// A browser that passed the code sees the share this long without another.
pub const SHARE_PASS_TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// The most documents one share sends.
pub const MAX_SHARE_DOCUMENTS: usize = 20;
/// The longest organisation name of a contact, in characters.
pub const MAX_ORGANISATION_CHARS: usize = 200;
/// Longest edge of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 256;
/// Longest edge of a profile image, in pixels, and of its avatar thumbnail.
pub const PROFILE_EDGE: u32 = 512;
pub const AVATAR_EDGE: u32 = 96;
/// Images larger than this many pixels are refused (decompression bombs).
pub const MAX_IMAGE_PIXELS: u64 = 100_000_000;
/// Pages of one TIFF file at most (a fax or a scanned stack); more is refused.
pub const MAX_TIFF_PAGES: usize = 500;
/// Upper bound on the memory one image decode may allocate.
pub const MAX_IMAGE_ALLOC_BYTES: u64 = 512 * MIB;
/// Memory the server lets image decodes take together: so many decodes run at once at most,
/// however many uploads of huge pictures arrive together.
pub const DECODE_MEMORY_BUDGET: u64 = GIB;
pub const DECODES_AT_ONCE: usize = (DECODE_MEMORY_BUDGET / MAX_IMAGE_ALLOC_BYTES) as usize;
/// The largest per-file limit a clinic can be given (`clinic set-limits`): the upload routes
/// take request bodies up to this size, each clinic's own limit being checked as a file arrives.
pub const MAX_FILE_BYTES_CEILING: u64 = GIB;
/// The session idle timeouts a clinic can choose, in minutes (30 by default): the first and the
/// last are the shortest and longest the server takes.
pub const SESSION_IDLE_CHOICES: [u32; 9] = [5, 10, 15, 30, 60, 120, 240, 480, 720];
/// Files in one batch upload.
pub const MAX_BATCH_FILES: usize = 50;
/// Longest document title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_NOTES_CHARS: usize = 4000;
/// Longest name of a patient or a staff member, in characters.
pub const MAX_PERSON_NAME_CHARS: usize = 200;
/// Longest visit reason, in characters.
pub const MAX_VISIT_REASON_CHARS: usize = 500;
/// A form's text field (a name, notes, an id), in bytes: far above the longest notes.
pub const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;
/// A batch upload's manifest (JSON), in bytes: room for every item at its longest title and
/// notes, each character escaped as `\uXXXX`, plus 1 KB of ids and keys per item (~1.3 MB).
pub const MAX_MANIFEST_BYTES: usize = MAX_BATCH_FILES * (6 * (MAX_TITLE_CHARS + MAX_NOTES_CHARS) + 1024);

/// The largest sign-in request body: an email and a password fit many times over, and a
/// megabyte-long "email" is refused (`413`) before the server reads it.
pub const MAX_SIGN_IN_BODY_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Professional,
    Basic,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Professional => "professional",
            Plan::Basic => "basic",
        }
    }
    pub fn parse(s: &str) -> Option<Plan> {
        [Plan::Professional, Plan::Basic].into_iter().find(|p| p.as_str() == s)
    }
}

/// The limits one plan gives a clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanLimits {
    pub documents_enabled: bool,
    pub pool_bytes: u64,
    pub max_file_bytes: u64,
    pub max_files_per_visit: u32,
}

impl PlanLimits {
    /// The Professional plan: 5 GB pool, 10 MB per file, 5 files per visit.
    pub const PROFESSIONAL: PlanLimits =
        PlanLimits { documents_enabled: true, pool_bytes: 5 * GIB, max_file_bytes: 10 * MIB, max_files_per_visit: 5 };
    /// Plans without the Documents feature.
    pub const BASIC: PlanLimits =
        PlanLimits { documents_enabled: false, pool_bytes: 0, max_file_bytes: 0, max_files_per_visit: 0 };

    /// The default limits of `plan` (a server may be configured with other figures).
    pub fn of(plan: Plan) -> PlanLimits {
        match plan {
            Plan::Professional => Self::PROFESSIONAL,
            Plan::Basic => Self::BASIC,
        }
    }
}

/// What is known about an upload before it is sent, for [`precheck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub size: u64,
    /// Bytes the clinic's pool holds now, and its size.
    pub pool_used: u64,
    pub pool_quota: u64,
    /// Documents already linked to the chosen visit, if one is chosen.
    pub visit_documents: Option<u64>,
    /// Files in the same hand-off going to the same visit before this one.
    pub earlier_in_visit: u64,
    /// Bytes of the same hand-off before this one.
    pub earlier_bytes: u64,
}

/// The plan limits an upload would break, with the same codes and messages the server answers
/// with, so the desktop can say so before sending.
pub fn precheck(limits: &PlanLimits, p: &Pending) -> Vec<(ErrorCode, String)> {
    let mut out = Vec::new();
    if !limits.documents_enabled {
        out.push((ErrorCode::PlanRequired, messages::plan_required()));
        return out;
    }
    if p.size > limits.max_file_bytes {
        out.push((ErrorCode::FileTooLarge, messages::file_too_large(Some(p.size), limits.max_file_bytes)));
    }
    if let Some(n) = p.visit_documents {
        if n + p.earlier_in_visit >= u64::from(limits.max_files_per_visit) {
            out.push((ErrorCode::VisitLimitReached, messages::visit_full(limits.max_files_per_visit)));
        }
    }
    let used = p.pool_used + p.earlier_bytes;
    if used + p.size > p.pool_quota {
        out.push((ErrorCode::QuotaExceeded, messages::pool_full(used, p.pool_quota, p.size)));
    }
    out
}

/// "3.1 GB", "812 KB", "1.5 KB", "3 bytes": sizes as staff read them, in binary units — one
/// decimal below 100 unless whole, halves rounded up. The one byte format of the product: the
/// desktop's window formats sizes by the same rule, checked against this function's output by
/// a shared table (`BYTE_SAMPLES` in the generated bindings).
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < KIB {
        return if n == 1 { "1 byte".to_string() } else { format!("{n} bytes") };
    }
    let mut v = n as f64 / KIB as f64;
    let mut unit = 0;
    // A unit up once the figure, as written, would reach 1024 ("1 MB", not "1024 KB").
    while v.round() >= KIB as f64 && unit < UNITS.len() - 1 {
        v /= KIB as f64;
        unit += 1;
    }
    let tenths = (v * 10.0).round() / 10.0;
    if tenths >= 100.0 || tenths.fract() == 0.0 {
        format!("{:.0} {}", v.round(), UNITS[unit])
    } else {
        format!("{tenths:.1} {}", UNITS[unit])
    }
}

/// Sizes and how [`format_bytes`] writes them: the table the window's formatter is tested
/// against (ties, unit edges, the limits' own figures).
pub fn byte_samples() -> Vec<(u64, String)> {
    let ns = [
        0,
        1,
        2,
        1023,
        KIB,
        1536,
        1280,
        KIB + 51,
        99 * KIB + 973,
        100 * KIB,
        102_912,
        469 * KIB,
        1000 * KIB,
        1023 * KIB + 1023,
        MIB,
        10 * MIB,
        10 * MIB + 1,
        14 * MIB,
        (2.5 * MIB as f64) as u64,
        GIB,
        (3.1 * GIB as f64) as u64,
        5 * GIB,
        5 * GIB - KIB,
        1024 * GIB,
        3 * 1024 * 1024 * GIB,
    ];
    ns.into_iter().map(|n| (n, format_bytes(n))).collect()
}

/// The messages shown when a limit is hit: each says which limit and what to do.
pub mod messages {
    use super::format_bytes;

    pub fn pool_full(used: u64, quota: u64, incoming: u64) -> String {
        if used >= quota {
            format!(
                "Clinic storage is full ({} of {}). Delete older documents to free space.",
                format_bytes(used),
                format_bytes(quota)
            )
        } else {
            format!(
                "Not enough clinic storage left: this upload needs {} but only {} of {} is free. Delete older documents to free space.",
                format_bytes(incoming),
                format_bytes(quota - used),
                format_bytes(quota)
            )
        }
    }

    /// A form field's name as quoted back: printable, and short.
    fn field_name(name: &str) -> String {
        name.chars().filter(|c| !c.is_control()).take(40).collect()
    }

    /// A text field (or a batch's manifest) over its `cap` in bytes.
    pub fn text_field_too_long(name: &str, cap: usize) -> String {
        format!(
            "The form field '{}' is longer than {}; nothing was stored.",
            field_name(name),
            format_bytes(cap as u64)
        )
    }

    pub fn field_not_text(name: &str) -> String {
        format!("The form field '{}' is not text; nothing was stored.", field_name(name))
    }

    pub fn file_too_large(size: Option<u64>, max: u64) -> String {
        match size {
            // Just over the limit both round to the same figure; then say only that it is over.
            Some(s) if format_bytes(s) != format_bytes(max) => format!(
                "The file is too large ({}); the limit is {} per file. Scan at a lower resolution or split the document.",
                format_bytes(s),
                format_bytes(max)
            ),
            _ => format!(
                "The file is larger than the {} limit per file. Scan at a lower resolution or split the document.",
                format_bytes(max)
            ),
        }
    }

    pub fn visit_full(max: u32) -> String {
        format!(
            "This visit already has {max} documents, the most one visit can hold. Link the document to another visit or to none."
        )
    }

    pub fn plan_required() -> String {
        "Documents are part of the Professional plan. Ask your clinic admin to upgrade the plan.".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_just_over_the_limit_is_not_said_to_be_as_big_as_the_limit() {
        let m = messages::file_too_large(Some(10 * MIB + 1), 10 * MIB);
        assert!(m.starts_with("The file is larger than the 10 MB limit per file."), "{m}");
        let m = messages::file_too_large(Some(14 * MIB), 10 * MIB);
        assert!(m.starts_with("The file is too large (14 MB); the limit is 10 MB per file."), "{m}");
    }

    #[test]
    fn full_pool_message_names_the_limit_and_the_remedy() {
        let m = messages::pool_full(5 * GIB, 5 * GIB, 10);
        assert_eq!(m, "Clinic storage is full (5 GB of 5 GB). Delete older documents to free space.");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(format_bytes(10 * MIB), "10 MB");
        assert_eq!(format_bytes(2048), "2 KB");
        assert_eq!(format_bytes(1536), "1.5 KB");
        assert_eq!(format_bytes(1280), "1.3 KB", "a half rounds up");
        assert_eq!(format_bytes(99 * KIB + 973), "100 KB");
        assert_eq!(format_bytes(KIB + 51), "1 KB", "1.05 KB reads as 1 KB, not 1.0 KB");
        assert_eq!(format_bytes(MIB - 1), "1 MB");
        assert_eq!(format_bytes(10 * MIB + 1), format_bytes(10 * MIB), "just over the limit reads as the limit");
        assert_eq!(format_bytes(102_912), "101 KB");
        assert_eq!(format_bytes((3.1 * GIB as f64) as u64), "3.1 GB");
        assert_eq!(format_bytes(0), "0 bytes");
        assert_eq!(format_bytes(1), "1 byte");
    }

    #[test]
    fn precheck_names_every_limit_an_upload_would_break() {
        let l = PlanLimits::PROFESSIONAL;
        let ok = Pending {
            size: MIB,
            pool_used: 0,
            pool_quota: 5 * GIB,
            visit_documents: Some(2),
            earlier_in_visit: 0,
            earlier_bytes: 0,
        };
        assert!(precheck(&l, &ok).is_empty());
        let codes = |p: Pending| precheck(&l, &p).into_iter().map(|(c, _)| c).collect::<Vec<_>>();
        assert_eq!(codes(Pending { size: 11 * MIB, ..ok }), vec![ErrorCode::FileTooLarge]);
        assert_eq!(codes(Pending { visit_documents: Some(5), ..ok }), vec![ErrorCode::VisitLimitReached]);
        assert_eq!(
            codes(Pending { visit_documents: Some(3), earlier_in_visit: 2, ..ok }),
            vec![ErrorCode::VisitLimitReached]
        );
        assert_eq!(codes(Pending { pool_used: 5 * GIB - KIB, ..ok }), vec![ErrorCode::QuotaExceeded]);
        assert_eq!(codes(Pending { visit_documents: None, ..ok }), Vec::<ErrorCode>::new());
        assert_eq!(precheck(&PlanLimits::BASIC, &ok)[0].0, ErrorCode::PlanRequired);
    }
}
