//! The clinic's storage gauge, its storage report (admins) and the audit log, over HTTP.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::Params;
use crate::reports;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use clinicdocs_core::api::{AuditPage, AuditQuery, ErrorBody, StorageReport, StorageUsage};

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

/// Audit events of the caller's clinic, newest first (admin).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(reports::audit_page(&state, &caller, &q).await?))
}
