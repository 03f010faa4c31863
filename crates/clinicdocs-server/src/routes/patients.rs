//! Patients, their visits, and profile images of patients and practitioners.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use clinicdocs_core::api::{Encounter, ErrorBody, NewEncounter, NewPatient, Patient, PatientQuery, ProfileImage};
use clinicdocs_core::limits::{AVATAR_EDGE, PROFILE_EDGE};
use clinicdocs_core::media::{image_file, sniff, MediaError};
use clinicdocs_core::policy::Action;
use clinicdocs_core::storage_key::{profile_key, thumbnail_key, ProfileKind};
use clinicdocs_core::Role;
use uuid::Uuid;

fn person_name(raw: &str) -> ApiResult<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(ApiError::BadRequest("Give the patient's full name (up to 200 characters).".into()));
    }
    if t.chars().any(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')) {
        return Err(ApiError::BadRequest("The name contains invisible control characters. Type it again.".into()));
    }
    Ok(t.to_string())
}

fn date(raw: &str, what: &str) -> ApiResult<String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| ApiError::BadRequest(format!("The {what} must be a date like 1980-04-23.")))
}

async fn patient_row(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<crate::db::people::PatientRow> {
    match state.db.patient(caller.org_id(), &id.to_string()).await? {
        Some(p) => Ok(p),
        None => Err(caller.refuse(state, "patient", Some(id.to_string()), ApiError::NotFound("Patient")).await),
    }
}

/// Find patients by part of the name or by date of birth (`YYYY-MM-DD`).
#[utoipa::path(get, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])), params(PatientQuery),
    responses((status = 200, body = Vec<Patient>)))]
pub async fn list_patients(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PatientQuery>,
) -> ApiResult<Json<Vec<Patient>>> {
    let limit = q.limit.unwrap_or(25).clamp(1, 200);
    let rows = state.db.search_patients(caller.org_id(), q.q.as_deref().unwrap_or(""), limit).await?;
    Ok(Json(rows.iter().map(|r| r.to_api()).collect::<anyhow::Result<_>>()?))
}

#[utoipa::path(post, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])), request_body = NewPatient,
    responses((status = 201, body = Patient), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_patient(
    State(state): State<AppState>,
    caller: Caller,
    Json(p): Json<NewPatient>,
) -> ApiResult<(StatusCode, Json<Patient>)> {
    caller.check(&state, Action::ManagePatients, None, false, ("patient", None)).await?;
    let name = person_name(&p.name)?;
    let dob = date(&p.date_of_birth, "date of birth")?;
    let id = Uuid::new_v4();
    state.db.create_patient(id, caller.org_id(), &name, &dob, state.now()).await?;
    state.audit(caller.event("patient_created", "patient", Some(id.to_string()))).await?;
    let row = state.db.patient(caller.org_id(), &id.to_string()).await?.ok_or(ApiError::NotFound("Patient"))?;
    Ok((StatusCode::CREATED, Json(row.to_api()?)))
}

#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Patient), (status = 404, body = ErrorBody)))]
pub async fn get_patient(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Patient>> {
    Ok(Json(patient_row(&state, &caller, id).await?.to_api()?))
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/encounters", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Encounter>), (status = 404, body = ErrorBody)))]
pub async fn list_encounters(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Encounter>>> {
    let p = patient_row(&state, &caller, id).await?;
    let rows = state.db.encounters(caller.org_id(), &p.id).await?;
    Ok(Json(rows.iter().map(|r| r.to_api()).collect::<anyhow::Result<_>>()?))
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/encounters", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = NewEncounter, responses((status = 201, body = Encounter), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_encounter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(e): Json<NewEncounter>,
) -> ApiResult<(StatusCode, Json<Encounter>)> {
    caller.check(&state, Action::ManagePatients, None, false, ("patient", Some(id.to_string()))).await?;
    let p = patient_row(&state, &caller, id).await?;
    let d = date(&e.date, "visit date")?;
    let reason = e.reason.trim();
    if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(ApiError::BadRequest("The visit reason must be one line of up to 500 characters.".into()));
    }
    let eid = Uuid::new_v4();
    state.db.create_encounter(eid, caller.org_id(), &p.id, &d, reason, state.now()).await?;
    state.audit(caller.event("encounter_created", "encounter", Some(eid.to_string()))).await?;
    let row = state.db.encounter(caller.org_id(), &eid.to_string()).await?.ok_or(ApiError::NotFound("Visit"))?;
    Ok((StatusCode::CREATED, Json(row.to_api()?)))
}

/// Resizes an uploaded profile picture and its avatar, stores both, removes the previous pair.
async fn replace_photo(
    state: &AppState,
    caller: &Caller,
    kind: ProfileKind,
    id: Uuid,
    old: (Option<String>, Option<String>),
    body: Bytes,
) -> ApiResult<(String, String)> {
    let file_kind = sniff(&body[..body.len().min(512)])?;
    if !file_kind.is_decodable_image() {
        return Err(MediaError::Unsupported("not a JPEG, PNG, TIFF or WebP picture").into());
    }
    let (large, small) = tokio::task::spawn_blocking(move || -> Result<_, MediaError> {
        let img = image_file::decode(&body, file_kind)?;
        Ok((image_file::thumbnail_jpeg(&img, PROFILE_EDGE)?, image_file::thumbnail_jpeg(&img, AVATAR_EDGE)?))
    })
    .await
    .map_err(anyhow::Error::from)??;
    let org = Uuid::parse_str(caller.org_id()).map_err(anyhow::Error::from)?;
    let key = profile_key(org, kind, id, Uuid::new_v4(), "jpg");
    let thumb = thumbnail_key(&key);
    state.storage.put_bytes(&key, large, "image/jpeg").await?;
    if let Err(e) = state.storage.put_bytes(&thumb, small, "image/jpeg").await {
        state.storage.delete_all(std::slice::from_ref(&key)).await;
        return Err(e);
    }
    let saved = state.db.set_profile_photo(kind, caller.org_id(), &id.to_string(), &key, &thumb).await;
    if let Err(e) = saved {
        state.storage.delete_all(&[key, thumb]).await;
        return Err(e.into());
    }
    let old: Vec<String> = old.0.into_iter().chain(old.1).collect();
    state.storage.delete_all(&old).await;
    state.audit(caller.event("profile_image_set", kind.as_str(), Some(id.to_string()))).await?;
    Ok((key, thumb))
}

async fn photo_urls(state: &AppState, key: Option<String>, thumb: Option<String>) -> ApiResult<ProfileImage> {
    let (Some(k), Some(t)) = (key, thumb) else {
        return Err(ApiError::NotFound("Profile image"));
    };
    let now = state.now();
    Ok(ProfileImage {
        url: state.storage.signed_url(&k, now, state.signed_url_ttl).await?,
        avatar_url: state.storage.signed_url(&t, now, state.signed_url_ttl).await?,
    })
}

/// Set a patient's photo (raw JPEG/PNG/TIFF/WebP body); the previous one is removed.
#[utoipa::path(put, path = "/api/v1/patients/{id}/photo", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ProfileImage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn put_patient_photo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> ApiResult<Json<ProfileImage>> {
    caller.check(&state, Action::ManagePatients, None, false, ("patient", Some(id.to_string()))).await?;
    let p = patient_row(&state, &caller, id).await?;
    let (k, t) =
        replace_photo(&state, &caller, ProfileKind::Patient, id, (p.photo_key, p.photo_thumb_key), body).await?;
    Ok(Json(photo_urls(&state, Some(k), Some(t)).await?))
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/photo", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ProfileImage), (status = 404, body = ErrorBody)))]
pub async fn get_patient_photo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ProfileImage>> {
    let p = patient_row(&state, &caller, id).await?;
    Ok(Json(photo_urls(&state, p.photo_key, p.photo_thumb_key).await?))
}

/// Set a practitioner's photo: the practitioner themself or an admin.
#[utoipa::path(put, path = "/api/v1/practitioners/{id}/photo", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ProfileImage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put_practitioner_photo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> ApiResult<Json<ProfileImage>> {
    let Some(u) = state.db.user_in_org(caller.org_id(), &id.to_string()).await? else {
        return Err(caller
            .refuse(&state, "practitioner", Some(id.to_string()), ApiError::NotFound("Practitioner"))
            .await);
    };
    if u.id != caller.user_id() && caller.role() != Role::Admin {
        return Err(caller.refuse(&state, "practitioner", Some(id.to_string()), ApiError::forbidden()).await);
    }
    let (k, t) =
        replace_photo(&state, &caller, ProfileKind::Practitioner, id, (u.photo_key, u.photo_thumb_key), body).await?;
    Ok(Json(photo_urls(&state, Some(k), Some(t)).await?))
}

#[utoipa::path(get, path = "/api/v1/practitioners/{id}/photo", tag = "patients", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ProfileImage), (status = 404, body = ErrorBody)))]
pub async fn get_practitioner_photo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ProfileImage>> {
    let Some(u) = state.db.user_in_org(caller.org_id(), &id.to_string()).await? else {
        return Err(caller
            .refuse(&state, "practitioner", Some(id.to_string()), ApiError::NotFound("Practitioner"))
            .await);
    };
    Ok(Json(photo_urls(&state, u.photo_key, u.photo_thumb_key).await?))
}
