//! Annotations on a document's pages: list, create, update (with version check), delete.

use super::documents::visible_document;
use crate::auth::Caller;
use crate::db::annotations::NewAnnotationRow;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use clinicdocs_core::annotation::validate;
use clinicdocs_core::api::{Annotation, AnnotationUpdate, ErrorBody, NewAnnotation};
use clinicdocs_core::policy::Action;
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/documents/{id}/annotations", tag = "annotations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Annotation>), (status = 404, body = ErrorBody)))]
pub async fn list_annotations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Annotation>>> {
    let doc = visible_document(&state, &caller, id).await?;
    let rows = state.db.annotations(caller.org_id(), &doc.id).await?;
    Ok(Json(rows.iter().map(|r| r.to_api()).collect::<anyhow::Result<_>>()?))
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/annotations", tag = "annotations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewAnnotation,
    responses((status = 201, body = Annotation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_annotation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(new): Json<NewAnnotation>,
) -> ApiResult<(StatusCode, Json<Annotation>)> {
    let doc = visible_document(&state, &caller, id).await?;
    caller
        .check(
            &state,
            Action::Annotate,
            Some(doc.category()),
            doc.uploaded_by == caller.user_id(),
            ("document", Some(doc.id.clone())),
        )
        .await?;
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
        if let Some(stored) = replayed(&state, &caller, &doc.id, id).await? {
            return Ok((StatusCode::OK, Json(stored)));
        }
    }
    let aid = new.id.unwrap_or_else(Uuid::new_v4).to_string();
    let inserted = state
        .db
        .insert_annotation(NewAnnotationRow {
            id: aid.clone(),
            org: caller.org_id(),
            document: &doc.id,
            page: new.page_number,
            shape: &new.shape,
            style: &new.style,
            text: new.text.as_deref(),
            by: caller.user_id(),
            now: state.now(),
        })
        .await;
    if let Err(e) = inserted {
        // The same create sent twice at once: the loser answers with the winner's row.
        return match new.id {
            Some(id) => match replayed(&state, &caller, &doc.id, id).await? {
                Some(stored) => Ok((StatusCode::OK, Json(stored))),
                None if state.db.annotation_id_taken(&aid).await? => Err(id_taken()),
                None => Err(e.into()),
            },
            None => Err(e.into()),
        };
    }
    let mut ev = caller.event("annotation_created", "annotation", Some(aid.clone()));
    ev.detail = Some(format!("document {} page {} {}", doc.id, new.page_number, new.shape.kind()));
    state.audit(ev).await?;
    let row = state.db.annotation(caller.org_id(), &aid).await?.ok_or(ApiError::NotFound("Annotation"))?;
    Ok((StatusCode::CREATED, Json(row.to_api()?)))
}

/// A create sent again with its client id: the mark it stored (same document, same author),
/// or `None` when the id is unused. An id used for anything else answers 409, whichever clinic
/// it is in (ids are random UUIDs; nothing of another clinic's mark is shown).
async fn replayed(state: &AppState, caller: &Caller, document: &str, id: Uuid) -> ApiResult<Option<Annotation>> {
    let id = id.to_string();
    match state.db.annotation(caller.org_id(), &id).await? {
        Some(row) if row.document_id == document && row.created_by == caller.user_id() => Ok(Some(row.to_api()?)),
        Some(_) => Err(id_taken()),
        None if state.db.annotation_id_taken(&id).await? => Err(id_taken()),
        None => Ok(None),
    }
}

fn id_taken() -> ApiError {
    ApiError::Conflict("This annotation id is already in use; create the mark with a new id.".into())
}

/// Loads an annotation the caller may change: its document must be visible and annotatable.
async fn editable(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<crate::db::annotations::AnnotationRow> {
    caller.require_documents()?;
    let Some(row) = state.db.annotation(caller.org_id(), &id.to_string()).await? else {
        return Err(caller.refuse(state, "annotation", Some(id.to_string()), ApiError::NotFound("Annotation")).await);
    };
    let doc_id = Uuid::parse_str(&row.document_id).map_err(anyhow::Error::from)?;
    let doc = visible_document(state, caller, doc_id).await?;
    caller
        .check(
            state,
            Action::Annotate,
            Some(doc.category()),
            doc.uploaded_by == caller.user_id(),
            ("annotation", Some(row.id.clone())),
        )
        .await?;
    Ok(row)
}

/// Update; answers 409 when someone else changed the annotation since `version`.
#[utoipa::path(put, path = "/api/v1/annotations/{id}", tag = "annotations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AnnotationUpdate,
    responses((status = 200, body = Annotation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_annotation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(upd): Json<AnnotationUpdate>,
) -> ApiResult<Json<Annotation>> {
    let row = editable(&state, &caller, id).await?;
    validate(row.page_number, &upd.shape, &upd.style, upd.text.as_deref())?;
    let ok = state
        .db
        .update_annotation(
            caller.org_id(),
            &row.id,
            upd.version,
            &upd.shape,
            &upd.style,
            upd.text.as_deref(),
            state.now(),
        )
        .await?;
    if !ok {
        return Err(ApiError::Conflict(
            "Someone else changed this annotation since you opened it. Reload to see their version.".into(),
        ));
    }
    state.audit(caller.event("annotation_updated", "annotation", Some(row.id.clone()))).await?;
    let row = state.db.annotation(caller.org_id(), &row.id).await?.ok_or(ApiError::NotFound("Annotation"))?;
    Ok(Json(row.to_api()?))
}

/// `?version=N`: delete only if nobody changed the annotation since version N (else 409).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DeleteQuery {
    pub version: Option<i64>,
}

/// Delete; with `version`, answers 409 when someone else changed the annotation since.
#[utoipa::path(delete, path = "/api/v1/annotations/{id}", tag = "annotations", security(("bearer" = [])),
    params(("id" = Uuid, Path), DeleteQuery),
    responses((status = 204, description = "deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_annotation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<DeleteQuery>,
) -> ApiResult<StatusCode> {
    let row = editable(&state, &caller, id).await?;
    if !state.db.delete_annotation(caller.org_id(), &row.id, q.version).await? {
        return Err(match q.version {
            Some(_) => ApiError::Conflict(
                "Someone else changed this annotation since you opened it, so it was not deleted. Reload to see their version."
                    .into(),
            ),
            None => ApiError::NotFound("Annotation"),
        });
    }
    state.audit(caller.event("annotation_deleted", "annotation", Some(row.id.clone()))).await?;
    Ok(StatusCode::NO_CONTENT)
}
