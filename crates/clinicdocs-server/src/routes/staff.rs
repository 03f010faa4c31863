//! The clinic's staff and its settings, over HTTP (administrators). Each handler parses, calls
//! `crate::staff` or `crate::clinics`, and answers.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Body, PathParam};
use crate::state::AppState;
use crate::{clinics, staff};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use clinicdocs_core::api::{ClinicPatch, ErrorBody, NewStaff, Org, SetupCode, StaffAdded, StaffMember, StaffPatch};
use uuid::Uuid;

/// The clinic's staff, active first (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffMember>), (status = 403, body = ErrorBody)))]
pub async fn list_staff(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<StaffMember>>> {
    Ok(Json(staff::list(&state, &caller).await?))
}

/// Adds a staff member (admin). The answer holds their one-time setup code, shown only here.
#[utoipa::path(post, path = "/api/v1/users", tag = "staff", security(("bearer" = [])), request_body = NewStaff,
    responses((status = 201, body = StaffAdded), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "the email has an account already", body = ErrorBody)))]
pub async fn add_staff(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewStaff>,
) -> ApiResult<(StatusCode, Json<StaffAdded>)> {
    Ok((StatusCode::CREATED, Json(staff::add(&state, &caller, &new).await?)))
}

/// Renames a staff member, changes their role, or ends (`active: false`) or restores their
/// access (admin). Ending access ends every session of theirs at once.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "staff", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = StaffPatch, responses((status = 200, body = StaffMember), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "the clinic's last active administrator", body = ErrorBody)))]
pub async fn change_staff(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    Body(patch): Body<StaffPatch>,
) -> ApiResult<Json<StaffMember>> {
    Ok(Json(staff::change(&state, &caller, id, &patch).await?))
}

/// A new one-time setup code for a staff member; earlier ones stop working (admin).
#[utoipa::path(post, path = "/api/v1/users/{id}/setup-code", tag = "staff", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 201, body = SetupCode), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the person's access has ended", body = ErrorBody)))]
pub async fn new_setup_code(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<(StatusCode, Json<SetupCode>)> {
    Ok((StatusCode::CREATED, Json(staff::renew_setup_code(&state, &caller, id).await?)))
}

/// Changes the clinic's settings (admin); the answer is the clinic as `/me` shows it.
#[utoipa::path(patch, path = "/api/v1/clinic", tag = "staff", security(("bearer" = [])), request_body = ClinicPatch,
    responses((status = 200, body = Org), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn change_clinic(
    State(state): State<AppState>,
    caller: Caller,
    Body(patch): Body<ClinicPatch>,
) -> ApiResult<Json<Org>> {
    Ok(Json(clinics::change_settings(&state, &caller, &patch).await?))
}
