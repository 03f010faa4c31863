//! Editing a document: rename, recategorise (only into a type the role may upload), relink to
//! another of the patient's visits (within the visit limit) or to none, change its notes. The
//! row, both visits' counts and the audit event change in one transaction.

use super::access::{own, visible_document};
use crate::auth::Caller;
use crate::db::documents::{DocumentEdit, EditOutcome};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use clinicdocs_core::api::{Document, DocumentPatch};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::limits::messages;
use clinicdocs_core::names::{validate_notes, validate_title};
use clinicdocs_core::policy::Action;
use uuid::Uuid;

/// Applies `patch` to the document `id`; fields left out stay as they are.
pub async fn edit(state: &AppState, caller: &Caller, id: Uuid, patch: &DocumentPatch) -> ApiResult<Document> {
    let row = visible_document(state, caller, id).await?;
    let doc = &row.doc;
    let target = (AuditTarget::Document, Some(id.to_string()));
    caller.check(state, Action::Edit, Some(doc.category), own(caller, &row), target.clone()).await?;
    let title = match &patch.title {
        Some(t) => validate_title(t)?,
        None => doc.title.clone(),
    };
    let category = patch.category.unwrap_or(doc.category);
    if category != doc.category {
        caller.check(state, Action::Upload, Some(category), true, target).await?;
    }
    let notes = match &patch.notes {
        Some(n) => Some(validate_notes(n)?).filter(|n| !n.is_empty()),
        None => doc.notes.clone(),
    };
    let visit = match patch.encounter_id {
        None => doc.encounter_id,
        Some(None) => None,
        Some(Some(e)) => match state.db.patients().visit(caller.org_id(), e).await? {
            Some(v) if v.patient_id == doc.patient_id => Some(v.id),
            _ => {
                return Err(caller
                    .refuse(state, AuditTarget::Visit, Some(e.to_string()), ApiError::NotFound("Visit"))
                    .await)
            }
        },
    };
    let edit = DocumentEdit { title: &title, category, visit, notes: notes.as_deref() };
    let mut event = caller.event(AuditAction::DocumentUpdated, AuditTarget::Document, Some(id.to_string()));
    event.detail = Some(format!(
        "title={title} category={category} visit={}",
        visit.map_or_else(|| "-".to_string(), |e| e.to_string())
    ));
    let max = i64::from(caller.limits.max_files_per_visit);
    match state.db.documents().edit(&row, &edit, max, &event, state.now()).await? {
        EditOutcome::Edited => {}
        EditOutcome::VisitFull => {
            return Err(ApiError::VisitLimit(messages::visit_full(caller.limits.max_files_per_visit)))
        }
        EditOutcome::Changed => {
            return Err(match state.db.documents().get(caller.org_id(), id).await? {
                Some(_) => {
                    ApiError::Conflict("Someone changed this document meanwhile. Open it again and retry.".into())
                }
                None => ApiError::NotFound("Document"),
            })
        }
    }
    let row = state.db.documents().get(caller.org_id(), id).await?.ok_or(ApiError::NotFound("Document"))?;
    Ok(row.doc)
}
