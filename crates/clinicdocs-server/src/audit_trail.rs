//! The audit trail as the clinic's admins read it: events filtered by person, patient,
//! document, action and time, each worded ("Dr. Dana Doctor downloaded ‘CBC-Report-Apr2026’ of
//! Maria Garcia"), in pages, or every matching event as a CSV file (UTF-8, a header row, one
//! event per line, cells that a spreadsheet would run as a formula neutralised). An export is
//! itself audited.

use crate::auth::Caller;
use crate::db::audit::EventFilter;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use clinicdocs_core::api::{AuditEvent, AuditPage, AuditQuery};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::policy::Action;

/// Audit events on a page unless the query asks for another count, and the most it may ask.
pub const DEFAULT_AUDIT_PAGE: i64 = 100;
pub const MAX_AUDIT_PAGE: i64 = 1000;
/// The most events one CSV export holds (newest first).
pub const MAX_CSV_EVENTS: usize = 100_000;

/// The CSV's columns, in order.
const CSV_HEADER: [&str; 11] = [
    "time (UTC)",
    "who",
    "email",
    "action",
    "what happened",
    "patient",
    "document",
    "detail",
    "address",
    "target",
    "event",
];

/// A moment given as RFC 3339, or a day (`YYYY-MM-DD`, UTC) meaning its start — or with
/// `end_of_day`, the start of the next day (so `to=2026-12-01` includes that day).
fn moment(raw: &str, name: &str, end_of_day: bool) -> ApiResult<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!("`{name}` must be a day (2026-12-01) or a moment (2026-12-01T08:00:00Z)."))
    })?;
    let day = if end_of_day { day.succ_opt().unwrap_or(day) } else { day };
    Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

fn filter(q: &AuditQuery) -> ApiResult<EventFilter> {
    let from = q.from.as_deref().filter(|s| !s.trim().is_empty()).map(|s| moment(s, "from", false)).transpose()?;
    let to = q.to.as_deref().filter(|s| !s.trim().is_empty()).map(|s| moment(s, "to", true)).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(ApiError::BadRequest("The end of the time range is before its start.".into()));
        }
    }
    Ok(EventFilter { action: q.action, actor: q.user_id, patient: q.patient_id, document: q.document_id, from, to })
}

/// A page of the clinic's events matching the query, newest first.
pub async fn page(state: &AppState, caller: &Caller, q: &AuditQuery) -> ApiResult<AuditPage> {
    caller.check(state, Action::ReadAudit, None, false, (AuditTarget::Audit, None)).await?;
    let f = filter(q)?;
    let limit = q.limit.unwrap_or(DEFAULT_AUDIT_PAGE).clamp(1, MAX_AUDIT_PAGE);
    let items = state.db.audit().events(caller.org_id(), &f, q.before, limit).await?;
    let next_before = (items.len() as i64 == limit).then(|| items.last().map(|e| e.id)).flatten();
    Ok(AuditPage { items, next_before })
}

/// Every event matching the query (at most [`MAX_CSV_EVENTS`], newest first) as CSV text.
pub async fn csv(state: &AppState, caller: &Caller, q: &AuditQuery) -> ApiResult<String> {
    caller.check(state, Action::ReadAudit, None, false, (AuditTarget::Audit, None)).await?;
    let f = filter(q)?;
    let mut out = String::new();
    push_row(&mut out, CSV_HEADER.iter().map(|h| h.to_string()));
    let (mut before, mut rows) = (q.before, 0usize);
    while rows < MAX_CSV_EVENTS {
        let want = MAX_AUDIT_PAGE.min((MAX_CSV_EVENTS - rows) as i64);
        let events = state.db.audit().events(caller.org_id(), &f, before, want).await?;
        for e in &events {
            push_row(&mut out, cells(e));
        }
        rows += events.len();
        match events.last() {
            Some(last) if events.len() as i64 == want => before = Some(last.id),
            _ => break,
        }
    }
    let mut event = caller.event(AuditAction::AuditExported, AuditTarget::Audit, None);
    event.detail = Some(format!("{rows} events as CSV; {}", describe(q)));
    state.audit(event).await?;
    Ok(out)
}

/// The query's filters in words, for the export's audit event.
fn describe(q: &AuditQuery) -> String {
    let mut parts = Vec::new();
    if let Some(a) = q.action {
        parts.push(format!("action={a}"));
    }
    for (k, v) in [("user_id", q.user_id), ("patient_id", q.patient_id), ("document_id", q.document_id)] {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    }
    for (k, v) in [("from", &q.from), ("to", &q.to)] {
        if let Some(v) = v {
            parts.push(format!("{k}={}", v.chars().take(40).collect::<String>()));
        }
    }
    if parts.is_empty() {
        "no filter".into()
    } else {
        parts.join(" ")
    }
}

fn cells(e: &AuditEvent) -> impl Iterator<Item = String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let target = match &e.target_id {
        Some(id) => format!("{} {id}", e.target_type.as_str()),
        None => e.target_type.as_str().to_string(),
    };
    [
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        o(&e.actor_name),
        o(&e.actor_email),
        e.action.as_str().to_string(),
        e.summary.clone(),
        o(&e.patient_name),
        o(&e.document_title),
        o(&e.detail),
        o(&e.remote_addr),
        target,
        e.id.to_string(),
    ]
    .into_iter()
}

/// Appends one CSV line (RFC 4180, CRLF).
fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(&c));
    }
    out.push_str("\r\n");
}

/// One cell: a value a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab or a
/// carriage return first) gets a `'` in front; a cell with a comma, quote or line break is
/// quoted, its quotes doubled.
fn csv_cell(raw: &str) -> String {
    let mut v = String::with_capacity(raw.len() + 2);
    if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.push('\'');
    }
    v.push_str(raw);
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised_and_the_rest_quoted_as_needed() {
        assert_eq!(csv_cell("CBC-Report-Apr2026"), "CBC-Report-Apr2026");
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("Garcia, Maria"), "\"Garcia, Maria\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("Ülkü ‘X’"), "Ülkü ‘X’");
    }

    #[test]
    fn a_day_means_its_start_or_with_the_end_the_next_days_start() {
        assert_eq!(moment("2026-12-01", "from", false).ok(), "2026-12-01T00:00:00Z".parse().ok());
        assert_eq!(moment("2026-12-01", "to", true).ok(), "2026-12-02T00:00:00Z".parse().ok());
        assert_eq!(moment("2026-12-01T08:30:00+01:00", "to", true).ok(), "2026-12-01T07:30:00Z".parse().ok());
        assert!(moment("yesterday", "from", false).is_err());
    }
}
