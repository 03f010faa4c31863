//! Signing in and out. A wrong email and a wrong password take the same time and answer the
//! same; both are audited.

use crate::auth::{hash_password, new_token, verify_password, Caller, SESSION_HOURS};
use crate::db::audit::NewAuditEvent;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use clinicdocs_core::api::{LoginResponse, Me};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use std::sync::OnceLock;

/// A hash to verify against when the email is unknown, so both cases take the same time.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("not-a-password").unwrap_or_default())
}

pub async fn sign_in(state: &AppState, email: &str, password: &str, addr: Option<String>) -> ApiResult<LoginResponse> {
    let account = state.db.users().by_email(email).await?;
    let hash = account.as_ref().map_or(dummy_hash(), |u| u.password_hash.as_str()).to_string();
    let password = password.to_string();
    let ok =
        tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(anyhow::Error::from)?;
    let Some(account) = account.filter(|_| ok) else {
        let event = NewAuditEvent {
            actor_email: Some(email.trim().to_lowercase()),
            remote_addr: addr,
            ..NewAuditEvent::new(AuditAction::SignInFailed, AuditTarget::User)
        };
        state.audit(event).await?;
        return Err(ApiError::InvalidCredentials);
    };
    let user = account.user;
    let now = state.now();
    let (token, hash) = new_token();
    state.db.users().create_session(&hash, user.id, now, now + chrono::Duration::hours(SESSION_HOURS)).await?;
    let event = NewAuditEvent {
        org_id: Some(user.org_id),
        actor_id: Some(user.id),
        actor_email: Some(user.email.clone()),
        target_id: Some(user.id.to_string()),
        remote_addr: addr,
        ..NewAuditEvent::new(AuditAction::SignInSucceeded, AuditTarget::User)
    };
    state.audit(event).await?;
    Ok(LoginResponse { token, user })
}

pub async fn sign_out(state: &AppState, caller: &Caller) -> ApiResult<()> {
    Ok(state.db.users().delete_session(&caller.token_hash).await?)
}

/// Who the caller is, their clinic and the limits it works under.
pub fn me(caller: &Caller) -> Me {
    Me { org: caller.org.to_api(caller.limits), user: caller.user().clone() }
}
