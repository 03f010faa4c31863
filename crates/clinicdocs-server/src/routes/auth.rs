//! Sign in, sign out, who am I.

use crate::auth::Caller;
use crate::client_addr::ClientAddr;
use crate::error::ApiResult;
use crate::extract::Body;
use crate::sessions;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use clinicdocs_core::api::{ErrorBody, LoginRequest, LoginResponse, Me, PasswordChange, SetupRequest};

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 429, description = "too many failed sign-ins for this account or address; retry after `Retry-After`", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    Ok(Json(sessions::sign_in(&state, &req.email, &req.password, addr.0).await?))
}

/// First sign-in with a one-time setup code: sets the password and signs in.
#[utoipa::path(post, path = "/api/v1/auth/setup", tag = "auth", request_body = SetupRequest,
    responses((status = 200, body = LoginResponse),
        (status = 400, description = "the code is wrong, used, replaced or expired", body = ErrorBody),
        (status = 422, description = "the password is too short or too common", body = ErrorBody),
        (status = 429, description = "too many wrong codes from this address; retry after `Retry-After`", body = ErrorBody)))]
pub async fn setup(
    State(state): State<AppState>,
    addr: ClientAddr,
    Body(req): Body<SetupRequest>,
) -> ApiResult<Json<LoginResponse>> {
    Ok(Json(sessions::set_up(&state, &req.code, &req.password, addr.0).await?))
}

/// Changes the caller's own password; their other sessions end.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 204, description = "changed"), (status = 403, description = "the current password is not right", body = ErrorBody),
        (status = 422, description = "the new password is too short or too common", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Body(req): Body<PasswordChange>,
) -> ApiResult<StatusCode> {
    sessions::change_password(&state, &caller, &req.current, &req.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    sessions::sign_out(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(caller: Caller) -> ApiResult<Json<Me>> {
    Ok(Json(sessions::me(&caller)))
}
