//! A clinic's document listing as the API answers it: the caller's role decides what is
//! visible, filters and sort come from the query, pages are keyset cursors. A page asked again
//! while none of the clinic's documents changed is answered from memory (`list_cache`).

use crate::auth::Caller;
use crate::db::listing::{Cursor, CursorValue, ListFilter};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use clinicdocs_core::api::{DocumentPage, DocumentQuery, SortKey, SortOrder};
use clinicdocs_core::audit::AuditTarget;
use clinicdocs_core::policy::visible_categories;

/// Documents on a page unless the query asks for another count, and the most it may ask.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

fn parse_time(s: &str, end_of_day: bool) -> ApiResult<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc).timestamp_millis());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(format!("'{s}' is not a date; use YYYY-MM-DD.")))?;
    let d = if end_of_day { d.succ_opt().unwrap_or(d) } else { d };
    Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default())
}

fn encode_cursor(c: &Cursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(s: &str) -> ApiResult<Cursor> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ApiError::BadRequest("The page cursor is not valid; start from the first page.".into()))
}

/// One page of the listing as its JSON body. The page is kept in memory under the query as
/// parsed (so a query spelled another way, or with parameters it does not take, makes no new
/// entry), after every value in it proved valid.
pub async fn page(state: &AppState, caller: &Caller, q: &DocumentQuery) -> ApiResult<Bytes> {
    caller.require_documents()?;
    let query = serde_json::to_string(q).map_err(anyhow::Error::from)?;
    let key = format!("{}|{}|{query}", caller.user_id(), caller.role().as_str());
    let version = caller.org.doc_version;
    if let Some(body) = state.list_cache.get(&key, version) {
        return Ok(body);
    }
    let (visible_all, visible_own) = visible_categories(caller.role());
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let sort = q.sort.unwrap_or_default();
    let filter = ListFilter {
        org: caller.org_id(),
        user: caller.user_id(),
        visible_all,
        visible_own,
        patient: q.patient_id,
        category: q.category,
        visit: q.encounter_id,
        from: q.from.as_deref().map(|s| parse_time(s, false)).transpose()?,
        to: q.to.as_deref().map(|s| parse_time(s, true)).transpose()?,
        sort,
        order: q.order.unwrap_or(if sort == SortKey::Date { SortOrder::Desc } else { SortOrder::Asc }),
        limit,
        after: q.cursor.as_deref().map(decode_cursor).transpose()?,
    };
    let rows = state.db.list_documents(&filter).await?;
    // Rows are filtered by clinic, so a non-empty page proves the patient and visit are ours;
    // an empty one must tell "none yet" from another clinic's (or no) patient.
    if rows.is_empty() {
        if let Some(p) = q.patient_id {
            if state.db.patients().get(filter.org, p).await?.is_none() {
                return Err(caller
                    .refuse(state, AuditTarget::Patient, Some(p.to_string()), ApiError::NotFound("Patient"))
                    .await);
            }
        }
        if let Some(e) = q.encounter_id {
            if state.db.patients().visit(filter.org, e).await?.is_none() {
                return Err(caller
                    .refuse(state, AuditTarget::Visit, Some(e.to_string()), ApiError::NotFound("Visit"))
                    .await);
            }
        }
    }
    let next_cursor = (rows.len() as i64 == limit).then(|| rows.last()).flatten().map(|last| {
        let d = &last.doc;
        let v = match sort {
            SortKey::Date => CursorValue::Int(d.created_at.timestamp_millis()),
            SortKey::Name => CursorValue::Text(clinicdocs_core::natural_order::sort_key(&d.title)),
            SortKey::Uploader => CursorValue::Text(d.uploaded_by_name.clone()),
        };
        encode_cursor(&Cursor { v, id: d.id.to_string() })
    });
    let items = rows.into_iter().map(|r| r.doc).collect();
    let body = Bytes::from(serde_json::to_vec(&DocumentPage { items, next_cursor }).map_err(anyhow::Error::from)?);
    state.list_cache.put(key, version, body.clone());
    Ok(body)
}
