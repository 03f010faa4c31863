//! Which documents a caller may see: a live document of their clinic in a category their role
//! may view (or only their own uploads, as the policy says). Anything else — another clinic's,
//! a deleted one, one the role may not see — answers 404 exactly like a missing id, and the
//! attempt is audited.

use crate::auth::Caller;
use crate::db::documents::DocumentRow;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use clinicdocs_core::audit::AuditTarget;
use clinicdocs_core::policy::Action;
use uuid::Uuid;

/// Loads a live document the caller may see.
pub async fn visible_document(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<DocumentRow> {
    caller.require_documents()?;
    match state.db.documents().get(caller.org_id(), id).await? {
        Some(d) if caller.may(Action::View, Some(d.category()), d.doc.uploaded_by == caller.user_id()) => Ok(d),
        _ => {
            Err(caller.refuse(state, AuditTarget::Document, Some(id.to_string()), ApiError::NotFound("Document")).await)
        }
    }
}

/// Whether the caller uploaded the document (some roles may act only on their own uploads).
pub fn own(caller: &Caller, doc: &DocumentRow) -> bool {
    doc.doc.uploaded_by == caller.user_id()
}
