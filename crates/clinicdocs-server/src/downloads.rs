//! Signed downloads for the local store (`/files/{key}?expires=&sig=`): the HMAC is checked in
//! constant time before anything else, then expiry, then that the key still belongs to a live
//! document (or a current profile picture). Every answer that delivers a document's bytes is
//! audited, ranges included; refused links are audited too. Single `Range` requests are
//! honoured; others (several ranges, other units) are answered whole.

use crate::db::audit::NewAuditEvent;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::storage::LinkError;
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::media::FileKind;
use clinicdocs_core::names::download_file_name;
use clinicdocs_core::storage_key::key_org;
use std::ops::Range;

/// The most of a storage key kept in an audit event (keys are about 130 characters).
const MAX_KEY_IN_LOG: usize = 200;

/// The longest `Range` header kept in an audit event's detail, in characters.
const MAX_RANGE_IN_LOG: usize = 100;

/// What a verified link delivers: how to name it to the browser, its size, and the byte
/// range to send (`None`: all of it).
pub struct Delivery {
    pub content_type: String,
    pub disposition: String,
    pub size: u64,
    pub range: Option<Range<u64>>,
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` for a file of `size` bytes. `Ok(None)` means
/// "send the whole file" (no header, or a multi-range request, which we answer in full).
pub fn parse_range(value: Option<&str>, size: u64) -> ApiResult<Option<Range<u64>>> {
    let Some(v) = value else { return Ok(None) };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(ApiError::RangeNotSatisfiable { size })?;
    let unsat = ApiError::RangeNotSatisfiable { size };
    let range = if a.is_empty() {
        let n: u64 = b.trim().parse().map_err(|_| ApiError::RangeNotSatisfiable { size })?;
        if n == 0 || size == 0 {
            return Err(unsat);
        }
        size.saturating_sub(n)..size
    } else {
        let start: u64 = a.trim().parse().map_err(|_| ApiError::RangeNotSatisfiable { size })?;
        let end = if b.trim().is_empty() {
            size
        } else {
            b.trim().parse::<u64>().map_err(|_| ApiError::RangeNotSatisfiable { size })?.saturating_add(1).min(size)
        };
        if start >= size || start >= end {
            return Err(unsat);
        }
        start..end
    };
    Ok(Some(range))
}

/// Checks a `/files` link and says what it delivers; refusals and document downloads are
/// audited. `range` is the request's `Range` header.
pub async fn open(
    state: &AppState,
    key: &str,
    expires: Option<&str>,
    sig: Option<&str>,
    addr: Option<String>,
    range: Option<&str>,
) -> ApiResult<Delivery> {
    // Only a link this server signed names a clinic: a refusal goes in that clinic's log, with
    // the key cut short. A link that does not verify names nobody, so it writes nothing —
    // anyone can send those by the thousand.
    let refused = |detail: String| NewAuditEvent {
        org_id: key_org(key),
        target_id: Some(key.chars().take(MAX_KEY_IN_LOG).collect()),
        detail: Some(detail),
        remote_addr: addr.clone(),
        ..NewAuditEvent::new(AuditAction::DownloadRefused, AuditTarget::Object)
    };
    let expires = expires.and_then(|e| e.parse::<i64>().ok());
    let check = match (expires, sig) {
        (Some(e), Some(sig)) => state.storage.verify_local(key, e, sig, state.now()),
        _ => Err(LinkError::Invalid),
    };
    match check {
        Ok(()) => {}
        Err(LinkError::Invalid) => return Err(ApiError::SignatureInvalid),
        Err(e @ LinkError::Expired) => {
            state.audit(refused("link expired".into())).await?;
            return Err(e.into());
        }
    }
    let Some(row) = state.db.documents().by_object_key(key).await? else {
        if state.db.patients().has_photo_key(key).await? || state.db.users().has_photo_key(key).await? {
            let size = state.storage.size(key).await?;
            return Ok(Delivery {
                content_type: "image/jpeg".into(),
                disposition: "inline; filename=\"photo.jpg\"".into(),
                size,
                range: parse_range(range, size)?,
            });
        }
        state.audit(refused("no live document".into())).await?;
        return Err(ApiError::NotFound("File"));
    };
    let is_thumb = row.thumb_key.as_deref() == Some(key);
    let content_type = if is_thumb { "image/jpeg".to_string() } else { row.doc.content_type.clone() };
    let ext = FileKind::from_mime(&content_type).map_or("bin", FileKind::ext);
    let disposition = format!(
        "{}; filename=\"{}\"",
        if is_thumb { "inline" } else { "attachment" },
        download_file_name(&row.doc.title, ext)
    );
    let size = state.storage.size(key).await?;
    let bytes = parse_range(range, size)?;
    // Every answer that delivers bytes is audited, whatever its range: a client could
    // otherwise read a whole document in ranges that never start at byte 0.
    let what = if is_thumb { "thumbnail" } else { "original" };
    let detail = match range {
        Some(r) => format!(
            "{what}, range {}",
            r.chars().filter(|c| !c.is_control()).take(MAX_RANGE_IN_LOG).collect::<String>()
        ),
        None => what.to_string(),
    };
    let event = NewAuditEvent {
        org_id: Some(row.doc.org_id),
        target_id: Some(row.doc.id.to_string()),
        detail: Some(detail),
        remote_addr: addr,
        ..NewAuditEvent::new(AuditAction::DocumentDownloaded, AuditTarget::Document)
    };
    state.audit(event).await?;
    Ok(Delivery { content_type, disposition, size, range: bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_rfc_9110() {
        assert_eq!(parse_range(Some("bytes=0-9"), 100).ok().flatten(), Some(0..10));
        assert_eq!(parse_range(Some("bytes=90-"), 100).ok().flatten(), Some(90..100));
        assert_eq!(parse_range(Some("bytes=-10"), 100).ok().flatten(), Some(90..100));
        assert_eq!(parse_range(Some("bytes=50-500"), 100).ok().flatten(), Some(50..100));
        assert!(parse_range(Some("bytes=100-"), 100).is_err());
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100).ok().flatten(), None);
        assert_eq!(parse_range(None, 100).ok().flatten(), None);
    }
}
