//! Sign in, sign out, who am I.

use crate::auth::{Caller, ClientAddr};
use crate::error::ApiResult;
use crate::extract::Body;
use crate::sessions;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use clinicdocs_core::api::{ErrorBody, LoginRequest, LoginResponse, Me};

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
