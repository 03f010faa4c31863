//! Sign in, sign out, who am I.

use crate::auth::{hash_password, new_token, verify_password, Caller, ClientAddr, SESSION_HOURS};
use crate::db::audit::NewAuditEvent;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use clinicdocs_core::api::{ErrorBody, LoginRequest, LoginResponse, Me};
use std::sync::OnceLock;

/// A hash to verify against when the email is unknown, so both cases take the same time.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("not-a-password").unwrap_or_default())
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let user = state.db.user_by_email(&req.email).await?;
    let hash = user.as_ref().map_or(dummy_hash(), |u| u.password_hash.as_str()).to_string();
    let password = req.password.clone();
    let ok =
        tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(anyhow::Error::from)?;
    let Some(user) = user.filter(|_| ok) else {
        state
            .audit(NewAuditEvent {
                action: "login_failed",
                target_type: "user",
                actor_email: Some(req.email.trim().to_lowercase()),
                remote_addr: addr.0,
                ..Default::default()
            })
            .await?;
        return Err(ApiError::InvalidCredentials);
    };
    let now = state.now();
    let (token, hash) = new_token();
    state.db.create_session(&hash, &user.id, now, now + chrono::Duration::hours(SESSION_HOURS)).await?;
    state
        .audit(NewAuditEvent {
            org_id: Some(user.org_id.clone()),
            actor_id: Some(user.id.clone()),
            actor_email: Some(user.email.clone()),
            action: "login",
            target_type: "user",
            target_id: Some(user.id.clone()),
            remote_addr: addr.0,
            detail: None,
        })
        .await?;
    Ok(Json(LoginResponse { token, user: user.to_api()? }))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    state.db.delete_session(&caller.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(caller: Caller) -> ApiResult<Json<Me>> {
    Ok(Json(Me { org: caller.org.to_api(caller.limits.documents_enabled)?, user: caller.user }))
}
