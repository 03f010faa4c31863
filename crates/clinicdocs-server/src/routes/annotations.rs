//! Annotations over HTTP: list, create, update (with version check), delete. Each handler
//! parses, calls the mark rules (`crate::annotations`) and answers.

use crate::annotations::{self, Created};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Body, Params, PathParam};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use clinicdocs_core::api::{Annotation, AnnotationUpdate, ErrorBody, NewAnnotation};
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/documents/{id}/annotations", tag = "annotations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Annotation>), (status = 404, body = ErrorBody)))]
pub async fn list_annotations(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<Json<Vec<Annotation>>> {
    Ok(Json(annotations::list(&state, &caller, id).await?))
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/annotations", tag = "annotations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewAnnotation,
    responses((status = 201, body = Annotation), (status = 200, description = "created again with its id: the stored mark", body = Annotation),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "its id is taken by a different mark", body = ErrorBody)))]
pub async fn create_annotation(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    Body(new): Body<NewAnnotation>,
) -> ApiResult<(StatusCode, Json<Annotation>)> {
    Ok(match annotations::create(&state, &caller, id, &new).await? {
        Created::New(a) => (StatusCode::CREATED, Json(a)),
        Created::Earlier(a) => (StatusCode::OK, Json(a)),
    })
}

/// Update; answers 409 when someone else changed the annotation since `version`.
#[utoipa::path(put, path = "/api/v1/annotations/{id}", tag = "annotations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AnnotationUpdate,
    responses((status = 200, body = Annotation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_annotation(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    Body(upd): Body<AnnotationUpdate>,
) -> ApiResult<Json<Annotation>> {
    Ok(Json(annotations::update(&state, &caller, id, &upd).await?))
}

/// `?version=N`: delete only if nobody changed the annotation since version N (else 409).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
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
    PathParam(id): PathParam<Uuid>,
    Params(q): Params<DeleteQuery>,
) -> ApiResult<StatusCode> {
    annotations::delete(&state, &caller, id, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}
