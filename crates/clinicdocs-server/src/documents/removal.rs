//! Soft-deleting a document (admins): the row is marked deleted, its bytes given back to the
//! clinic's pool and its visit's slot freed, in one transaction with the audit event; then its
//! objects move under the clinic's trash prefix, so links handed out earlier stop working.

use super::access::{own, visible_document};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::policy::Action;
use clinicdocs_core::storage_key::trash_key;
use uuid::Uuid;

pub async fn delete(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<()> {
    let row = visible_document(state, caller, id).await?;
    let target = (AuditTarget::Document, Some(id.to_string()));
    caller.check(state, Action::Delete, Some(row.category()), own(caller, &row), target).await?;
    let mut event = caller.event(AuditAction::DocumentDeleted, AuditTarget::Document, Some(id.to_string()));
    event.detail = Some(row.doc.title.clone());
    if !state.db.documents().soft_delete(&row, caller.user_id(), &event, state.now()).await? {
        return Err(ApiError::NotFound("Document"));
    }
    for key in std::iter::once(&row.storage_key).chain(row.thumb_key.as_ref()) {
        if let Some(t) = trash_key(key) {
            if let Err(e) = state.storage.rename(key, &t).await {
                tracing::warn!(key = %key, error = %e, "could not move a deleted document's object to the trash");
            }
        }
    }
    Ok(())
}
