//! Who is calling: bearer session tokens (stored only as SHA-256 hashes), and the `Caller`
//! extractor that every authenticated route takes, with its policy checks.

use crate::client_addr::ClientAddr;
use crate::db::audit::NewAuditEvent;
use crate::db::orgs::OrgRow;
use crate::db::users::UserRow;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use clinicdocs_core::api::User;
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::limits::PlanLimits;
use clinicdocs_core::policy::{self, Action};
use clinicdocs_core::{Category, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Session lifetime.
pub const SESSION_HOURS: i64 = 12;
/// How often a session's last use is written down (the idle timeout counts from it).
const SESSION_TOUCH_MS: i64 = 60_000;

/// A new random session token and the hash under which it is stored.
pub fn new_token() -> (String, String) {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user behind a request, with their clinic and its plan limits.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: UserRow,
    pub org: OrgRow,
    pub limits: PlanLimits,
    pub token_hash: String,
    pub addr: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        PendingCaller::from_request_parts(parts, state).await?.resolve(state).await
    }
}

/// A request's bearer session, not yet looked up: for a route that reads its body while the
/// lookup runs (the upload). A request without a bearer token is refused here; the rest is
/// [`PendingCaller::resolve`].
pub struct PendingCaller {
    token_hash: String,
    addr: Option<String>,
}

impl FromRequestParts<AppState> for PendingCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header.strip_prefix("Bearer ").ok_or(ApiError::Unauthorized)?.trim();
        let token_hash = token_hash(token);
        let addr = ClientAddr::from_request_parts(parts, state).await.unwrap_or_default().0;
        Ok(PendingCaller { token_hash, addr })
    }
}

impl PendingCaller {
    /// Looks the session up: the signed-in user, or `Unauthorized` (no such session, past its
    /// lifetime, unused for longer than the clinic's idle timeout, or its user deactivated). A
    /// session's last use is noted at most once a minute.
    pub async fn resolve(self, state: &AppState) -> ApiResult<Caller> {
        let hash = self.token_hash;
        let now = state.now();
        let s = state.sessions.lookup(&hash, now).await?.ok_or(ApiError::Unauthorized)?;
        // Best effort: a busy database delays the note of this use, not the request. (A missed
        // note only makes the idle timeout count from an earlier use.)
        if crate::db::ms(now) - s.last_used_at >= SESSION_TOUCH_MS {
            if let Err(e) = state.db.users().touch_session(&hash, now).await {
                tracing::warn!(error = %e, "could not note a session's use");
            }
        }
        Ok(Caller { limits: state.limits(&s.org), account: s.user, org: s.org, token_hash: hash, addr: self.addr })
    }
}

impl Caller {
    pub fn user(&self) -> &User {
        &self.account.user
    }
    pub fn org_id(&self) -> Uuid {
        self.org.id
    }
    pub fn user_id(&self) -> Uuid {
        self.account.user.id
    }
    pub fn role(&self) -> Role {
        self.account.user.role
    }

    /// An audit event with this caller as the actor.
    pub fn event(&self, action: AuditAction, target_type: AuditTarget, target_id: Option<String>) -> NewAuditEvent {
        NewAuditEvent {
            org_id: Some(self.org.id),
            actor_id: Some(self.user_id()),
            actor_email: Some(self.account.user.email.clone()),
            target_id,
            remote_addr: self.addr.clone(),
            ..NewAuditEvent::new(action, target_type)
        }
    }

    /// The Documents feature is part of the plan.
    pub fn require_documents(&self) -> ApiResult<()> {
        if self.limits.documents_enabled {
            Ok(())
        } else {
            Err(ApiError::PlanRequired)
        }
    }

    pub fn may(&self, action: Action, category: Option<Category>, own: bool) -> bool {
        policy::permits(self.role(), action, category, own)
    }

    /// Records a refused attempt in the audit log and returns the error to answer with.
    pub async fn refuse(
        &self,
        state: &AppState,
        target_type: AuditTarget,
        target_id: Option<String>,
        err: ApiError,
    ) -> ApiError {
        let mut e = self.event(AuditAction::AccessRefused, target_type, target_id);
        e.detail = Some(format!("{:?}", err.code()));
        if let Err(a) = state.audit(e).await {
            return a;
        }
        err
    }

    /// Checks the policy; a refusal is audited.
    pub async fn check(
        &self,
        state: &AppState,
        action: Action,
        category: Option<Category>,
        own: bool,
        target: (AuditTarget, Option<String>),
    ) -> ApiResult<()> {
        if self.may(action, category, own) {
            Ok(())
        } else {
            Err(self.refuse(state, target.0, target.1, ApiError::forbidden()).await)
        }
    }
}
