//! The clinic's storage gauge, its storage report (admins) and the audit log.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use clinicdocs_core::api::{
    AuditPage, AuditQuery, CategoryUsage, ErrorBody, PatientUsage, StorageReport, StorageUsage,
};
use clinicdocs_core::policy::Action;
use clinicdocs_core::Category;
use uuid::Uuid;

/// Used space of the clinic's pool. Every role with Documents sees the gauge.
#[utoipa::path(get, path = "/api/v1/storage", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = StorageUsage), (status = 403, body = ErrorBody)))]
pub async fn storage(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<StorageUsage>> {
    caller.require_documents()?;
    let org = state.db.org(caller.org_id()).await?.map_or(0, |o| o.used_bytes);
    Ok(Json(StorageUsage {
        used_bytes: org,
        quota_bytes: caller.limits.pool_bytes as i64,
        document_count: state.db.document_count(caller.org_id()).await?,
    }))
}

/// What fills the clinic's pool, by type and by patient (admin).
#[utoipa::path(get, path = "/api/v1/storage/report", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = StorageReport), (status = 403, body = ErrorBody)))]
pub async fn storage_report(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<StorageReport>> {
    caller.require_documents()?;
    caller.check(&state, Action::StorageReport, None, false, ("storage", None)).await?;
    let org = caller.org_id();
    let by_category = state
        .db
        .usage_by_category(org)
        .await?
        .into_iter()
        .filter_map(|(c, documents, bytes)| Some(CategoryUsage { category: Category::parse(&c)?, documents, bytes }))
        .collect();
    let top_patients = state
        .db
        .usage_top_patients(org, 10)
        .await?
        .into_iter()
        .map(|(id, name, documents, bytes)| {
            Ok(PatientUsage { patient_id: Uuid::parse_str(&id).map_err(anyhow::Error::from)?, name, documents, bytes })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(StorageReport {
        used_bytes: state.db.used_bytes(org).await?,
        quota_bytes: caller.limits.pool_bytes as i64,
        document_count: state.db.document_count(org).await?,
        by_category,
        top_patients,
    }))
}

/// Audit events of the caller's clinic, newest first (admin).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    caller.check(&state, Action::ReadAudit, None, false, ("audit", None)).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state.db.audit_events(caller.org_id(), q.before, q.action.as_deref(), limit).await?;
    let next_before = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id)).flatten();
    Ok(Json(AuditPage { items: rows.iter().map(|r| r.to_api()).collect::<anyhow::Result<_>>()?, next_before }))
}
