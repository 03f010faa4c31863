//! What the clinic's admins read: the storage gauge (every role with Documents), the storage
//! report by type and by patient (`audit_trail` has the audit log).

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use clinicdocs_core::api::{CategoryUsage, PatientUsage, StorageReport, StorageUsage};
use clinicdocs_core::audit::AuditTarget;
use clinicdocs_core::policy::Action;
use clinicdocs_core::Category;
use uuid::Uuid;

/// Patients the storage report names.
pub const TOP_PATIENTS: i64 = 10;

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
