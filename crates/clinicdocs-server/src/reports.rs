//! What the clinic's admins read: the storage gauge (every role with Documents), the storage
//! report by type and by patient, and pages of the audit trail.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use clinicdocs_core::api::{AuditPage, AuditQuery, CategoryUsage, PatientUsage, StorageReport, StorageUsage};
use clinicdocs_core::audit::AuditTarget;
use clinicdocs_core::policy::Action;
use clinicdocs_core::Category;
use uuid::Uuid;

/// Patients the storage report names.
pub const TOP_PATIENTS: i64 = 10;
/// Audit events on a page unless the query asks for another count, and the most it may ask.
pub const DEFAULT_AUDIT_PAGE: i64 = 100;
pub const MAX_AUDIT_PAGE: i64 = 1000;

pub async fn usage(state: &AppState, caller: &Caller) -> ApiResult<StorageUsage> {
    caller.require_documents()?;
    Ok(StorageUsage {
        used_bytes: state.db.orgs().used_bytes(caller.org_id()).await?,
        quota_bytes: caller.limits.pool_bytes as i64,
        document_count: state.db.documents().count(caller.org_id()).await?,
    })
}

pub async fn storage_report(state: &AppState, caller: &Caller) -> ApiResult<StorageReport> {
    caller.require_documents()?;
    caller.check(state, Action::StorageReport, None, false, (AuditTarget::Storage, None)).await?;
    let org = caller.org_id();
    let by_category = state
        .db
        .documents()
        .usage_by_category(org)
        .await?
        .into_iter()
        .filter_map(|(c, documents, bytes)| Some(CategoryUsage { category: Category::parse(&c)?, documents, bytes }))
        .collect();
    let top_patients = state
        .db
        .documents()
        .usage_top_patients(org, TOP_PATIENTS)
        .await?
        .into_iter()
        .map(|(id, name, documents, bytes)| {
            Ok(PatientUsage { patient_id: Uuid::parse_str(&id).map_err(anyhow::Error::from)?, name, documents, bytes })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let usage = usage(state, caller).await?;
    Ok(StorageReport {
        used_bytes: usage.used_bytes,
        quota_bytes: usage.quota_bytes,
        document_count: usage.document_count,
        by_category,
        top_patients,
    })
}

pub async fn audit_page(state: &AppState, caller: &Caller, q: &AuditQuery) -> ApiResult<AuditPage> {
    caller.check(state, Action::ReadAudit, None, false, (AuditTarget::Audit, None)).await?;
    let limit = q.limit.unwrap_or(DEFAULT_AUDIT_PAGE).clamp(1, MAX_AUDIT_PAGE);
    let items = state.db.audit().events(caller.org_id(), q.before, q.action, limit).await?;
    let next_before = (items.len() as i64 == limit).then(|| items.last().map(|e| e.id)).flatten();
    Ok(AuditPage { items, next_before })
}
