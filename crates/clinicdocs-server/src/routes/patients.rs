//! Patients, their visits, and profile images of patients and practitioners, over HTTP. Each
//! handler parses, calls `crate::patients` or `crate::profiles`, and answers.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Body, Params, PathParam};
use crate::state::AppState;
use crate::{patients, profiles};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use clinicdocs_core::api::{
    ErrorBody, NewPatient, NewVisit, Patient, PatientPatch, PatientQuery, Practitioner, ProfileImage, Visit,
};
use uuid::Uuid;

/// Find patients by part of the name or by date of birth (`YYYY-MM-DD`); or, with `name` and
/// `date_of_birth`, the patients who have exactly those (possible duplicates).
#[utoipa::path(get, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])), params(PatientQuery),
    responses((status = 200, body = Vec<Patient>)))]
pub async fn list_patients(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<PatientQuery>,
) -> ApiResult<Json<Vec<Patient>>> {
    Ok(Json(patients::find(&state, &caller, &q).await?))
}

#[utoipa::path(post, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])), request_body = NewPatient,
    responses((status = 201, body = Patient), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "the patient number is another patient's", body = ErrorBody)))]
pub async fn create_patient(
    State(state): State<AppState>,
    caller: Caller,
    Body(p): Body<NewPatient>,
) -> ApiResult<(StatusCode, Json<Patient>)> {
    Ok((StatusCode::CREATED, Json(patients::register(&state, &caller, &p).await?)))
}

#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Patient), (status = 404, body = ErrorBody)))]
pub async fn get_patient(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<Json<Patient>> {
    Ok(Json(patients::patient(&state, &caller, id).await?.patient))
}

/// Changes a patient's details; fields left out stay, an empty text clears one.
#[utoipa::path(patch, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = PatientPatch, responses((status = 200, body = Patient), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the patient number is another patient's", body = ErrorBody)))]
pub async fn patch_patient(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    Body(patch): Body<PatientPatch>,
) -> ApiResult<Json<Patient>> {
    Ok(Json(patients::change(&state, &caller, id, &patch).await?))
}

/// The clinic's active doctors and administrators: whom a visit can be with.
#[utoipa::path(get, path = "/api/v1/practitioners", tag = "patients", security(("bearer" = [])),
    responses((status = 200, body = Vec<Practitioner>)))]
pub async fn list_practitioners(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Practitioner>>> {
    Ok(Json(patients::practitioners(&state, &caller).await?))
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/encounters", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Visit>), (status = 404, body = ErrorBody)))]
pub async fn list_visits(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<Json<Vec<Visit>>> {
    Ok(Json(patients::visits(&state, &caller, id).await?))
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/encounters", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = NewVisit, responses((status = 201, body = Visit), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_visit(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    Body(v): Body<NewVisit>,
) -> ApiResult<(StatusCode, Json<Visit>)> {
    Ok((StatusCode::CREATED, Json(patients::open_visit(&state, &caller, id, &v).await?)))
}

/// Set a patient's photo (raw JPEG/PNG/TIFF/WebP body); the previous one is removed.
#[utoipa::path(put, path = "/api/v1/patients/{id}/photo", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ProfileImage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn put_patient_photo(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    body: Bytes,
) -> ApiResult<Json<ProfileImage>> {
    Ok(Json(profiles::set_patient_photo(&state, &caller, id, body).await?))
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/photo", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ProfileImage), (status = 404, body = ErrorBody)))]
pub async fn get_patient_photo(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<Json<ProfileImage>> {
    Ok(Json(profiles::patient_photo(&state, &caller, id).await?))
}

/// Set a practitioner's photo: the practitioner themself or an admin.
#[utoipa::path(put, path = "/api/v1/practitioners/{id}/photo", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ProfileImage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put_practitioner_photo(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    body: Bytes,
) -> ApiResult<Json<ProfileImage>> {
    Ok(Json(profiles::set_practitioner_photo(&state, &caller, id, body).await?))
}

#[utoipa::path(get, path = "/api/v1/practitioners/{id}/photo", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ProfileImage), (status = 404, body = ErrorBody)))]
pub async fn get_practitioner_photo(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<Json<ProfileImage>> {
    Ok(Json(profiles::practitioner_photo(&state, &caller, id).await?))
}
