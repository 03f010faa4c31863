//! The clinic's staff, managed by its administrators: list, add (with a one-time setup code to
//! hand over), rename, change role, end or restore access, issue a new setup code. The clinic
//! always keeps an active administrator. Another clinic's user ids answer exactly like missing ones.

use crate::auth::{token_hash, Caller};
use crate::db::is_unique_violation;
use crate::db::users::{NewSetupCode, StaffChange, StaffOutcome};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{NewStaff, SetupCode, StaffAdded, StaffMember, StaffPatch, User};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::credentials::{
    format_setup_code, normalise_email, normalise_setup_code, SETUP_CODE_CHARS, SETUP_CODE_TTL_HOURS,
};
use clinicdocs_core::names::validate_person_name;
use clinicdocs_core::policy::Action;
use rand::RngCore;
use uuid::Uuid;

/// A fresh setup code made at `now`: what is shown once, and what is stored (its hash).
pub fn new_setup_code(now: DateTime<Utc>) -> (SetupCode, NewSetupCode) {
    let mut random = [0u8; SETUP_CODE_CHARS];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let code = format_setup_code(&random);
    let expires_at = now + chrono::Duration::hours(SETUP_CODE_TTL_HOURS);
    let stored = NewSetupCode { code_hash: setup_code_hash(&code), expires_at };
    (SetupCode { code, expires_at }, stored)
}

/// The hash a typed setup code is looked up by.
pub fn setup_code_hash(typed: &str) -> String {
    token_hash(&normalise_setup_code(typed))
}

async fn require_admin(state: &AppState, caller: &Caller, target: Option<Uuid>) -> ApiResult<()> {
    caller.check(state, Action::ManageStaff, None, false, (AuditTarget::User, target.map(|t| t.to_string()))).await
}

/// The clinic's staff, active first.
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<StaffMember>> {
    require_admin(state, caller, None).await?;
    Ok(state.db.users().staff(caller.org_id()).await?.iter().map(|u| u.to_staff()).collect())
}

/// Adds a staff member; they choose their password with the setup code in the answer.
pub async fn add(state: &AppState, caller: &Caller, new: &NewStaff) -> ApiResult<StaffAdded> {
    require_admin(state, caller, None).await?;
    let email = normalise_email(&new.email)?;
    let name = validate_person_name(&new.name)?;
    let now = state.now();
    let user = User { id: Uuid::new_v4(), name, email, role: new.role, org_id: caller.org_id() };
    let (setup, stored) = new_setup_code(now);
    let mut event = caller.event(AuditAction::StaffAdded, AuditTarget::User, Some(user.id.to_string()));
    event.detail = Some(format!("{} <{}> as {}", user.name, user.email, user.role.as_str()));
    match state.db.users().add_staff(caller.user_id(), &user, &stored, &event, now).await {
        Ok(StaffOutcome::Changed) => {}
        Ok(_) => return Err(caller.refuse(state, AuditTarget::User, None, ApiError::forbidden()).await),
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::Conflict(format!(
                "{} already has an account. Each person signs in with an email of their own.",
                user.email
            )))
        }
        Err(e) => return Err(e.into()),
    }
    let row = state.db.users().in_org(caller.org_id(), user.id).await?.ok_or(ApiError::NotFound("User"))?;
    Ok(StaffAdded { user: row.to_staff(), setup })
}

/// Renames a staff member, changes their role, or ends or restores their access.
pub async fn change(state: &AppState, caller: &Caller, id: Uuid, patch: &StaffPatch) -> ApiResult<StaffMember> {
    require_admin(state, caller, Some(id)).await?;
    if patch.name.is_none() && patch.role.is_none() && patch.active.is_none() {
        return Err(ApiError::BadRequest("Say what to change: a name, a role or whether they have access.".into()));
    }
    let name = patch.name.as_deref().map(validate_person_name).transpose()?;
    let change = StaffChange { name, role: patch.role, active: patch.active };
    let before = state.db.users().in_org(caller.org_id(), id).await?;
    let Some(before) = before else {
        return Err(caller.refuse(state, AuditTarget::User, Some(id.to_string()), ApiError::NotFound("User")).await);
    };
    let action = match patch.active {
        Some(false) if before.active() => AuditAction::StaffDeactivated,
        Some(true) if !before.active() => AuditAction::StaffReactivated,
        _ => AuditAction::StaffUpdated,
    };
    let mut event = caller.event(action, AuditTarget::User, Some(id.to_string()));
    let mut said = Vec::new();
    if let Some(n) = &change.name {
        said.push(format!("name={n}"));
    }
    if let Some(r) = change.role {
        said.push(format!("role={}", r.as_str()));
    }
    if let Some(a) = change.active {
        said.push(format!("active={a}"));
    }
    event.detail = Some(said.join(" "));
    let refused =
        match state.db.users().change_staff(caller.org_id(), caller.user_id(), id, &change, &event, state.now()).await?
        {
            StaffOutcome::Changed => None,
            StaffOutcome::Missing => Some(ApiError::NotFound("User")),
            StaffOutcome::LastAdmin => Some(ApiError::LastAdmin),
            StaffOutcome::NotAllowed => Some(ApiError::forbidden()),
        };
    if let Some(e) = refused {
        return Err(caller.refuse(state, AuditTarget::User, Some(id.to_string()), e).await);
    }
    let row = state.db.users().in_org(caller.org_id(), id).await?.ok_or(ApiError::NotFound("User"))?;
    Ok(row.to_staff())
}

/// A new setup code for a staff member who lost theirs, never used it, or forgot their
/// password (using it then replaces the password and ends their sessions); earlier codes stop
/// working.
pub async fn renew_setup_code(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<SetupCode> {
    require_admin(state, caller, Some(id)).await?;
    let now = state.now();
    let mut event = caller.event(AuditAction::SetupCodeIssued, AuditTarget::User, Some(id.to_string()));
    if let Some(u) = state.db.users().in_org(caller.org_id(), id).await? {
        if !u.active() {
            return Err(ApiError::Conflict(
                "This person's access has ended. Restore their access before giving them a setup code.".into(),
            ));
        }
        if u.password_set() {
            event.detail = Some("a password reset: using the code replaces their password".into());
        }
    }
    let (setup, stored) = new_setup_code(now);
    let refused = match state
        .db
        .users()
        .renew_setup_code(caller.org_id(), Some(caller.user_id()), id, &stored, &event, now)
        .await?
    {
        StaffOutcome::Changed => return Ok(setup),
        StaffOutcome::NotAllowed => ApiError::forbidden(),
        StaffOutcome::Missing | StaffOutcome::LastAdmin => ApiError::NotFound("User"),
    };
    Err(caller.refuse(state, AuditTarget::User, Some(id.to_string()), refused).await)
}
