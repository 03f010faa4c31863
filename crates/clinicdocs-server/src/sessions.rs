//! Signing in and out. A wrong email and a wrong password take the same time and answer the
//! same; guessing is slowed down (`sign_ins`).

use crate::auth::{new_token, Caller, SESSION_HOURS};
use crate::db::audit::NewAuditEvent;
use crate::db::users::UserRow;
use crate::error::{ApiError, ApiResult};
use crate::passwords::{hash_off_thread, hash_password};
use crate::sign_ins::typed_email;
use crate::state::AppState;
use crate::throttle::Counted;
use clinicdocs_core::api::{LoginResponse, Me};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::credentials::{check_new_password, MAX_PASSWORD_BYTES};
use std::sync::OnceLock;

/// The most of a client address kept in an event's detail.
const MAX_ADDRESS_CHARS: usize = 64;

/// A hash to verify against when the email is unknown, so both cases take the same time.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("not-a-password").unwrap_or_default())
}

/// Signs in with an email and password. Paused accounts and addresses hear 429 with how long
/// to wait, the same whether the account exists or not. A failure is audited in the log of the
/// clinic whose account it was — its first failure of a burst, and a summary when the burst
/// pauses the account — never one row per guess; a guess at an unknown email writes nothing.
pub async fn sign_in(state: &AppState, email: &str, password: &str, addr: Option<String>) -> ApiResult<LoginResponse> {
    let guard = &state.sign_ins;
    let email = typed_email(email);
    let now = state.now();
    let address = addr.clone().unwrap_or_default();
    let wait = guard.accounts.wait(&email, now).into_iter().chain(guard.addresses.wait(&address, now)).max();
    paused(wait)?;
    // An account whose access ended, or without a password yet, is checked against the dummy
    // hash and refused alike: the answer and its timing say nothing about it.
    let account = if email.contains('@') { state.db.users().by_email(&email).await? } else { None };
    let usable = account.as_ref().filter(|a| a.active() && a.password_set());
    let hash = usable.map_or(dummy_hash(), |u| u.password_hash.as_str()).to_string();
    // A password longer than any real one is wrong without hashing a megabyte.
    let password = (password.len() <= MAX_PASSWORD_BYTES).then(|| password.to_string());
    let ok = match password {
        Some(p) => guard.check(p, hash).await,
        None => false,
    };
    let account = match account {
        Some(a) if ok && a.active() && a.password_set() => a,
        account => return Err(failed(state, &email, &address, addr, account, now).await),
    };
    guard.accounts.succeeded(&email);
    let user = account.user;
    let (token, hash) = new_token();
    state.db.users().create_session(&hash, user.id, now, now + chrono::Duration::hours(SESSION_HOURS)).await?;
    let event = own_event(&user, AuditAction::SignInSucceeded, addr);
    state.audit(event).await?;
    Ok(LoginResponse { token, user })
}

/// While a pause lasts: refused with how long to wait, in whole seconds (at least one).
fn paused(wait: Option<chrono::Duration>) -> ApiResult<()> {
    match wait {
        Some(w) => {
            Err(ApiError::TooManyAttempts { retry_after_secs: ((w.num_milliseconds() + 999) / 1000).max(1) as u64 })
        }
        None => Ok(()),
    }
}

/// An event of someone about their own account (signing in, choosing a password).
fn own_event(user: &clinicdocs_core::api::User, action: AuditAction, addr: Option<String>) -> NewAuditEvent {
    NewAuditEvent {
        org_id: Some(user.org_id),
        actor_id: Some(user.id),
        actor_email: Some(user.email.clone()),
        target_id: Some(user.id.to_string()),
        remote_addr: addr,
        ..NewAuditEvent::new(action, AuditTarget::User)
    }
}

/// Counts a failed sign-in and audits it in the account's clinic (see [`sign_in`]).
async fn failed(
    state: &AppState,
    email: &str,
    address: &str,
    addr: Option<String>,
    account: Option<UserRow>,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiError {
    let guard = &state.sign_ins;
    let counted = guard.accounts.failed(email, now);
    guard.addresses.failed(address, now);
    let Some(a) = account else { return ApiError::InvalidCredentials };
    let detail = match counted {
        Counted::First => None,
        Counted::Again => return ApiError::InvalidCredentials,
        Counted::Paused(p) => Some(format!(
            "repeated failed sign-ins; sign-in paused for {} s (the latest from {})",
            p.num_seconds(),
            address.chars().take(MAX_ADDRESS_CHARS).collect::<String>()
        )),
    };
    let event = NewAuditEvent {
        org_id: Some(a.user.org_id),
        actor_email: Some(email.to_string()),
        target_id: Some(a.user.id.to_string()),
        detail,
        remote_addr: addr,
        ..NewAuditEvent::new(AuditAction::SignInFailed, AuditTarget::User)
    };
    match state.audit(event).await {
        Ok(()) => ApiError::InvalidCredentials,
        Err(e) => e,
    }
}

/// First sign-in: a setup code and the password its owner chose. The password must pass the
/// rules (`credentials`); the code works once, until it expires. Wrong codes count against the
/// address like failed sign-ins.
pub async fn set_up(state: &AppState, code: &str, password: &str, addr: Option<String>) -> ApiResult<LoginResponse> {
    let guard = &state.sign_ins;
    let now = state.now();
    let address = addr.clone().unwrap_or_default();
    paused(guard.addresses.wait(&address, now))?;
    let code_hash = crate::staff::setup_code_hash(code);
    let account = state.db.users().by_setup_code(&code_hash, now).await?.filter(|a| a.active());
    let Some(account) = account else {
        guard.addresses.failed(&address, now);
        return Err(ApiError::SetupCodeInvalid);
    };
    let user = account.user;
    check_new_password(password, &[&user.email, &user.name])?;
    let hash = hash_off_thread(password).await?;
    let (token, token_hash) = new_token();
    let event = own_event(&user, AuditAction::PasswordSet, addr);
    let session = (token_hash.as_str(), now + chrono::Duration::hours(SESSION_HOURS));
    if !state.db.users().set_password_with_code(&code_hash, user.id, &hash, session, &event, now).await? {
        return Err(ApiError::SetupCodeInvalid);
    }
    Ok(LoginResponse { token, user })
}

/// Changes the caller's own password; their other sessions end, this one stays.
pub async fn change_password(state: &AppState, caller: &Caller, current: &str, new: &str) -> ApiResult<()> {
    let user = caller.user();
    let (guard, now) = (&state.sign_ins, state.now());
    paused(guard.accounts.wait(&user.email, now))?;
    let ok = current.len() <= MAX_PASSWORD_BYTES
        && guard.check(current.to_string(), caller.account.password_hash.clone()).await;
    if !ok {
        guard.accounts.failed(&user.email, now);
        let err = ApiError::Forbidden("Your current password is not right.".into());
        let mut event = caller.event(AuditAction::AccessRefused, AuditTarget::User, Some(user.id.to_string()));
        event.detail = Some("a password change with a wrong current password".into());
        state.audit(event).await?;
        return Err(err);
    }
    check_new_password(new, &[&user.email, &user.name])?;
    if new == current {
        return Err(ApiError::BadRequest("The new password is the one you have now. Choose another.".into()));
    }
    let hash = hash_off_thread(new).await?;
    let event = caller.event(AuditAction::PasswordChanged, AuditTarget::User, Some(user.id.to_string()));
    state.db.users().change_password(user.id, &hash, &caller.token_hash, &event, state.now()).await?;
    Ok(())
}

pub async fn sign_out(state: &AppState, caller: &Caller) -> ApiResult<()> {
    Ok(state.db.users().delete_session(&caller.token_hash).await?)
}

/// Who the caller is, their clinic and the limits it works under.
pub fn me(caller: &Caller) -> Me {
    Me { org: caller.org.to_api(caller.limits), user: caller.user().clone() }
}
