//! The clinic's storage gauge, its storage report (admins) and the audit trail, over HTTP.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::Params;
use crate::state::AppState;
use crate::{audit_trail, reports};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use clinicdocs_core::api::{AuditFormat, AuditPage, AuditQuery, ErrorBody, StorageReport, StorageUsage};

/// Used space of the clinic's pool. Every role with Documents sees the gauge.
#[utoipa::path(get, path = "/api/v1/storage", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = StorageUsage), (status = 403, body = ErrorBody)))]
pub async fn storage(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<StorageUsage>> {
    Ok(Json(reports::usage(&state, &caller).await?))
}

/// What fills the clinic's pool, by type and by patient (admin).
#[utoipa::path(get, path = "/api/v1/storage/report", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = StorageReport), (status = 403, body = ErrorBody)))]
pub async fn storage_report(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<StorageReport>> {
    Ok(Json(reports::storage_report(&state, &caller).await?))
}

/// Audit events of the caller's clinic, newest first, filtered (admin): pages of JSON, or with
/// `format=csv` every matching event as a CSV file (an export is itself audited).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, content((AuditPage = "application/json"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<AuditQuery>,
) -> ApiResult<Response> {
    if q.format == Some(AuditFormat::Csv) {
        let csv = audit_trail::csv(&state, &caller, &q).await?;
        let name = format!("attachment; filename=\"audit-{}.csv\"", state.now().format("%Y-%m-%d"));
        let headers =
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)];
        return Ok((headers, csv).into_response());
    }
    Ok(Json(audit_trail::page(&state, &caller, &q).await?).into_response())
}
