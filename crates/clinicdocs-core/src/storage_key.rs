//! Object storage keys (docs/DESIGN.md §3). Every key starts with the clinic's id.

use chrono::{DateTime, Datelike, Utc};
use uuid::Uuid;

/// `{org_id}/{patient_id}/documents/{yyyy}/{mm}/{uuid}.{ext}`
pub fn document_key(org: Uuid, patient: Uuid, at: DateTime<Utc>, object: Uuid, ext: &str) -> String {
    format!("{org}/{patient}/documents/{:04}/{:02}/{object}.{ext}", at.year(), at.month())
}

/// The thumbnail beside a document: `{uuid}_thumb.jpg`.
pub fn thumbnail_key(document_key: &str) -> String {
    let stem = document_key.rsplit_once('.').map_or(document_key, |(s, _)| s);
    format!("{stem}_thumb.jpg")
}

/// Profile images: `{org_id}/profiles/{patient|practitioner}/{id}/{uuid}.{ext}`.
pub fn profile_key(org: Uuid, kind: ProfileKind, id: Uuid, object: Uuid, ext: &str) -> String {
    format!("{org}/profiles/{}/{id}/{object}.{ext}", kind.as_str())
}

/// Where a soft-deleted document's bytes are moved, so its old signed URLs stop working.
pub fn trash_key(key: &str) -> Option<String> {
    let (org, rest) = key.split_once('/')?;
    Some(format!("{org}/trash/{rest}"))
}

/// The clinic a key belongs to.
pub fn key_org(key: &str) -> Option<Uuid> {
    key.split('/').next().and_then(|s| Uuid::parse_str(s).ok())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    Patient,
    Practitioner,
}

impl ProfileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileKind::Patient => "patient",
            ProfileKind::Practitioner => "practitioner",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn keys_follow_the_layout() {
        let org = Uuid::nil();
        let p = Uuid::from_u128(1);
        let o = Uuid::from_u128(2);
        let at = Utc.with_ymd_and_hms(2026, 4, 9, 10, 0, 0).single().expect("date");
        let k = document_key(org, p, at, o, "pdf");
        assert_eq!(k, format!("{org}/{p}/documents/2026/04/{o}.pdf"));
        assert_eq!(thumbnail_key(&k), format!("{org}/{p}/documents/2026/04/{o}_thumb.jpg"));
        assert_eq!(key_org(&k), Some(org));
        assert_eq!(trash_key(&k), Some(format!("{org}/trash/{p}/documents/2026/04/{o}.pdf")));
    }
}
