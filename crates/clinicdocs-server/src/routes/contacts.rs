//! The clinic's external contacts and its sharing, over HTTP: contacts, the sharing settings
//! and shares. Each handler parses, calls `crate::contacts` or `crate::shares`, and answers.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Body, Params, PathParam};
use crate::state::AppState;
use crate::{contacts, shares};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use clinicdocs_core::api::{
    Contact, ContactPatch, ErrorBody, NewContact, NewShare, Share, ShareQuery, SharingSettings, SharingSettingsUpdate,
};
use uuid::Uuid;

/// The clinic's contacts, by name (admins and doctors).
#[utoipa::path(get, path = "/api/v1/contacts", tag = "sharing", security(("bearer" = [])),
    responses((status = 200, body = Vec<Contact>), (status = 403, body = ErrorBody)))]
pub async fn list_contacts(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Contact>>> {
    Ok(Json(contacts::list(&state, &caller).await?))
}

#[utoipa::path(post, path = "/api/v1/contacts", tag = "sharing", security(("bearer" = [])), request_body = NewContact,
    responses((status = 201, body = Contact), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_contact(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewContact>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    Ok((StatusCode::CREATED, Json(contacts::add(&state, &caller, &new).await?)))
}

/// Changes a contact; fields left out stay, an empty organisation or phone clears it.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "sharing", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = ContactPatch, responses((status = 200, body = Contact), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn change_contact(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    Body(patch): Body<ContactPatch>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(contacts::change(&state, &caller, id, &patch).await?))
}

/// Removes a contact; shares already sent to them stay listed and keep working until revoked.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "sharing", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_contact(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<StatusCode> {
    contacts::remove(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What recipients must do before they see shared documents, and what this server can send.
#[utoipa::path(get, path = "/api/v1/sharing/settings", tag = "sharing", security(("bearer" = [])),
    responses((status = 200, body = SharingSettings), (status = 403, body = ErrorBody)))]
pub async fn sharing_settings(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SharingSettings>> {
    Ok(Json(shares::settings(&state, &caller).await?))
}

/// Sets the clinic's share security (admin); `sms` needs an SMS gateway on this server.
#[utoipa::path(put, path = "/api/v1/sharing/settings", tag = "sharing", security(("bearer" = [])),
    request_body = SharingSettingsUpdate, responses((status = 200, body = SharingSettings), (status = 403, body = ErrorBody),
        (status = 503, description = "this server cannot send SMS codes", body = ErrorBody)))]
pub async fn change_sharing_settings(
    State(state): State<AppState>,
    caller: Caller,
    Body(update): Body<SharingSettingsUpdate>,
) -> ApiResult<Json<SharingSettings>> {
    Ok(Json(shares::change_settings(&state, &caller, &update).await?))
}

/// Shares documents of one patient with a contact or the patient: the link goes out by email.
#[utoipa::path(post, path = "/api/v1/shares", tag = "sharing", security(("bearer" = [])), request_body = NewShare,
    responses((status = 201, body = Share), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 502, description = "the email could not be sent; nothing was shared", body = ErrorBody),
        (status = 503, description = "this server has no mail server set up", body = ErrorBody)))]
pub async fn create_share(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewShare>,
) -> ApiResult<(StatusCode, Json<Share>)> {
    Ok((StatusCode::CREATED, Json(shares::create(&state, &caller, &new).await?)))
}

/// The clinic's shares of a document or a patient, newest first.
#[utoipa::path(get, path = "/api/v1/shares", tag = "sharing", security(("bearer" = [])), params(ShareQuery),
    responses((status = 200, body = Vec<Share>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_shares(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<ShareQuery>,
) -> ApiResult<Json<Vec<Share>>> {
    Ok(Json(shares::list(&state, &caller, &q).await?))
}

/// Revokes a share: its link stops working at once.
#[utoipa::path(delete, path = "/api/v1/shares/{id}", tag = "sharing", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "revoked"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_share(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<StatusCode> {
    shares::revoke(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a share again with a new link; the earlier link stops working at once.
#[utoipa::path(post, path = "/api/v1/shares/{id}/resend", tag = "sharing", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Share), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "revoked, or its documents deleted", body = ErrorBody),
        (status = 502, description = "the email could not be sent", body = ErrorBody),
        (status = 503, description = "this server has no mail server set up", body = ErrorBody)))]
pub async fn resend_share(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> ApiResult<Json<Share>> {
    Ok(Json(shares::resend(&state, &caller, id).await?))
}
