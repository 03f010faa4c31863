//! The rules of a document's marks: who may add, change and delete them (the document must be
//! visible and the role allowed to annotate), validation against the page count, a create sent
//! again with its client id stored once, and edits based on an older version refused with 409
//! rather than overwriting a colleague's. Each change is audited.

use crate::auth::Caller;
use crate::db::annotations::{MarkEdit, NewMark};
use crate::documents::access::own;
use crate::documents::visible_document;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use clinicdocs_core::annotation::validate;
use clinicdocs_core::api::{Annotation, AnnotationUpdate, NewAnnotation};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::policy::Action;
use uuid::Uuid;

/// How a create ended: stored now, or stored by an earlier send of the same create.
pub enum Created {
    New(Annotation),
    Earlier(Annotation),
}

pub async fn list(state: &AppState, caller: &Caller, document: Uuid) -> ApiResult<Vec<Annotation>> {
    let doc = visible_document(state, caller, document).await?;
    Ok(state.db.annotations().of_document(caller.org_id(), doc.doc.id).await?)
}

pub async fn create(state: &AppState, caller: &Caller, document: Uuid, new: &NewAnnotation) -> ApiResult<Created> {
    let row = visible_document(state, caller, document).await?;
    let doc = &row.doc;
    let target = (AuditTarget::Document, Some(doc.id.to_string()));
    caller.check(state, Action::Annotate, Some(doc.category), own(caller, &row), target).await?;
    validate(new.page_number, &new.shape, &new.style, new.text.as_deref())?;
    if let Some(pages) = doc.page_count {
        if new.page_number > pages {
            return Err(ApiError::BadRequest(format!(
                "The document has {pages} pages; page {} does not exist.",
                new.page_number
            )));
        }
    } else if !doc.content_type.starts_with("application/pdf") && new.page_number != 1 {
        return Err(ApiError::BadRequest("An image has one page; use page 1.".into()));
    }
    if let Some(id) = new.id {
        if let Some(stored) = replayed(state, caller, doc.id, id).await? {
            return Ok(Created::Earlier(stored));
        }
    }
    let id = new.id.unwrap_or_else(Uuid::new_v4);
    let mark = NewMark {
        id,
        org: caller.org_id(),
        document: doc.id,
        page: new.page_number,
        shape: &new.shape,
        style: &new.style,
        text: new.text.as_deref(),
        by: caller.user_id(),
        now: state.now(),
    };
    if let Err(e) = state.db.annotations().insert(&mark).await {
        // The same create sent twice at once: the loser answers with the winner's row.
        return match new.id {
            Some(id) => match replayed(state, caller, doc.id, id).await? {
                Some(stored) => Ok(Created::Earlier(stored)),
                None if state.db.annotations().id_taken(id).await? => Err(id_taken()),
                None => Err(e.into()),
            },
            None => Err(e.into()),
        };
    }
    let mut ev = caller.event(AuditAction::AnnotationCreated, AuditTarget::Annotation, Some(id.to_string()));
    ev.detail = Some(format!("document {} page {} {}", doc.id, new.page_number, new.shape.kind()));
    state.audit(ev).await?;
    let stored = state.db.annotations().get(caller.org_id(), id).await?.ok_or(ApiError::NotFound("Annotation"))?;
    Ok(Created::New(stored))
}

/// A create sent again with its client id: the mark it stored (same document, same author),
/// or `None` when the id is unused. An id used for anything else answers 409, whichever clinic
/// it is in (ids are random UUIDs; nothing of another clinic's mark is shown).
async fn replayed(state: &AppState, caller: &Caller, document: Uuid, id: Uuid) -> ApiResult<Option<Annotation>> {
    match state.db.annotations().get(caller.org_id(), id).await? {
        Some(a) if a.document_id == document && a.created_by == caller.user_id() => Ok(Some(a)),
        Some(_) => Err(id_taken()),
        None if state.db.annotations().id_taken(id).await? => Err(id_taken()),
        None => Ok(None),
    }
}

fn id_taken() -> ApiError {
    ApiError::Conflict("This annotation id is already in use; create the mark with a new id.".into())
}

/// Loads an annotation the caller may change: its document must be visible and annotatable.
async fn editable(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Annotation> {
    caller.require_documents()?;
    let Some(mark) = state.db.annotations().get(caller.org_id(), id).await? else {
        return Err(caller
            .refuse(state, AuditTarget::Annotation, Some(id.to_string()), ApiError::NotFound("Annotation"))
            .await);
    };
    let row = visible_document(state, caller, mark.document_id).await?;
    let target = (AuditTarget::Annotation, Some(id.to_string()));
    caller.check(state, Action::Annotate, Some(row.category()), own(caller, &row), target).await?;
    Ok(mark)
}

/// Changes a mark unless someone else changed it since `version`.
pub async fn update(state: &AppState, caller: &Caller, id: Uuid, upd: &AnnotationUpdate) -> ApiResult<Annotation> {
    let mark = editable(state, caller, id).await?;
    validate(mark.page_number, &upd.shape, &upd.style, upd.text.as_deref())?;
    let edit = MarkEdit { shape: &upd.shape, style: &upd.style, text: upd.text.as_deref() };
    if !state.db.annotations().update(caller.org_id(), id, upd.version, &edit, state.now()).await? {
        return Err(ApiError::Conflict(
            "Someone else changed this annotation since you opened it. Reload to see their version.".into(),
        ));
    }
    state.audit(caller.event(AuditAction::AnnotationUpdated, AuditTarget::Annotation, Some(id.to_string()))).await?;
    state.db.annotations().get(caller.org_id(), id).await?.ok_or(ApiError::NotFound("Annotation"))
}

/// Deletes a mark; with `version`, only if nobody changed it since.
pub async fn delete(state: &AppState, caller: &Caller, id: Uuid, version: Option<i64>) -> ApiResult<()> {
    editable(state, caller, id).await?;
    if !state.db.annotations().delete(caller.org_id(), id, version).await? {
        return Err(match version {
            Some(_) => ApiError::Conflict(
                "Someone else changed this annotation since you opened it, so it was not deleted. Reload to see their version."
                    .into(),
            ),
            None => ApiError::NotFound("Annotation"),
        });
    }
    state.audit(caller.event(AuditAction::AnnotationDeleted, AuditTarget::Annotation, Some(id.to_string()))).await?;
    Ok(())
}
