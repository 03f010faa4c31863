//! Signing in and out of this workstation, and what the first screen needs. Signing out, or
//! signing in as someone else, leaves nothing of the previous user here: recent patients,
//! patient files kept for working offline, cached pictures and documents, the documents the
//! window knew. Their unsent uploads stay in the queue (their own, sent when they sign in
//! again) but no one else can see them.

use crate::api_client::{parse_server_url, ApiClient};
use crate::error::{CommandResult, LocalCode};
use crate::queue::runner::session_started;
use crate::session::Session;
use crate::state::AppState;
use crate::token_store::TokenStore;
use clinicdocs_core::api::{ErrorCode, LoginResponse, Me};
use clinicdocs_core::audit::AuditAction;
use clinicdocs_core::credentials::MIN_PASSWORD_CHARS;
use clinicdocs_core::limits::{MAX_NOTES_CHARS, MAX_TITLE_CHARS, SESSION_IDLE_CHOICES};
use clinicdocs_core::policy::{self, Access, Action};
use clinicdocs_core::{Category, Role};
use serde::Serialize;
use ts_rs::TS;
use url::Url;

#[derive(Debug, Clone, Serialize, TS)]
pub struct CategoryInfo {
    pub value: Category,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RoleInfo {
    pub value: Role,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AuditActionInfo {
    pub value: AuditAction,
    /// "Document downloaded".
    pub label: String,
}

/// What the UI needs to draw its first screen.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    /// Prefill for the sign-in form: `CLINICDOCS_SERVER_URL`, else the last address used.
    pub server_url: Option<String>,
    pub email: Option<String>,
    /// Every document type in the shared order, with its label.
    pub categories: Vec<CategoryInfo>,
    pub max_title_chars: u32,
    pub max_notes_chars: u32,
    /// The shortest password the server takes (it also refuses common ones).
    pub min_password_chars: u32,
    /// Every staff role, with its label.
    pub roles: Vec<RoleInfo>,
    /// The session idle timeouts a clinic can choose, in minutes.
    pub idle_minute_choices: Vec<u32>,
    /// Every action the audit trail records, for its filter.
    pub audit_actions: Vec<AuditActionInfo>,
}

/// What the signed-in role may do, from the shared policy table: the UI offers only these.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Permissions {
    pub upload: Vec<Category>,
    pub annotate: bool,
    pub delete: bool,
    pub read_audit: bool,
    pub storage_report: bool,
    pub manage_patients: bool,
    /// Add and remove staff, change the clinic's settings.
    pub manage_staff: bool,
    /// Share documents with contacts and patients; manage contacts.
    pub share: bool,
    /// Limits of the clinic's plan, for checks before sending.
    pub max_file_bytes: f64,
    pub max_files_per_visit: u32,
    pub documents_enabled: bool,
}

impl Permissions {
    pub fn of(me: &Me) -> Self {
        let role = me.user.role;
        let any = |a: Action| policy::access(role, a, None) == Access::Allowed;
        let limits = me.org.limits;
        Permissions {
            upload: Category::ALL
                .into_iter()
                .filter(|c| policy::permits(role, Action::Upload, Some(*c), true))
                .collect(),
            annotate: any(Action::Annotate),
            delete: any(Action::Delete),
            read_audit: any(Action::ReadAudit),
            storage_report: any(Action::StorageReport),
            manage_patients: any(Action::ManagePatients),
            manage_staff: any(Action::ManageStaff),
            share: any(Action::Share),
            max_file_bytes: limits.max_file_bytes as f64,
            max_files_per_visit: limits.max_files_per_visit,
            documents_enabled: limits.documents_enabled && me.org.documents_enabled,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    pub me: Me,
    pub server_url: String,
    pub can: Permissions,
    /// Opened with the kept token while the server could not be reached: uploads can be
    /// queued, nothing can be read until it is back.
    pub offline: bool,
}

fn info(active: &Session) -> SessionInfo {
    SessionInfo {
        me: active.me.clone(),
        server_url: active.client.base().to_string(),
        can: Permissions::of(&active.me),
        offline: false,
    }
}

pub fn app_info(state: &AppState) -> AppInfo {
    let settings = state.settings();
    let env_url = std::env::var("CLINICDOCS_SERVER_URL").ok().filter(|s| !s.trim().is_empty());
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        server_url: env_url.or(settings.server_url),
        email: settings.email,
        categories: Category::ALL
            .into_iter()
            .map(|c| CategoryInfo { value: c, label: c.label().to_string() })
            .collect(),
        max_title_chars: MAX_TITLE_CHARS as u32,
        max_notes_chars: MAX_NOTES_CHARS as u32,
        min_password_chars: MIN_PASSWORD_CHARS as u32,
        roles: Role::ALL.into_iter().map(|r| RoleInfo { value: r, label: r.label().to_string() }).collect(),
        idle_minute_choices: SESSION_IDLE_CHOICES.to_vec(),
        audit_actions: AuditAction::ALL
            .into_iter()
            .map(|a| AuditActionInfo { value: a, label: action_label(a) })
            .collect(),
    }
}

/// `document_link_issued` → "Document link issued".
fn action_label(a: AuditAction) -> String {
    let words = a.as_str().replace('_', " ");
    let mut c = words.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Signs in again with the token the keyring kept, if it is still good.
pub async fn restore(state: &AppState) -> CommandResult<Option<SessionInfo>> {
    let settings = state.settings();
    let Some(server) = settings.server_url else { return Ok(None) };
    let Ok(url) = parse_server_url(&server) else { return Ok(None) };
    let store = TokenStore::for_server(url.as_str());
    let Some(token) = store.load() else { return Ok(None) };
    let client = ApiClient::new(url, Some(token))?;
    let (me, offline) = match client.me().await {
        Ok(me) => {
            state.update_settings(|s| s.last_me = Some(me.clone()));
            (me, false)
        }
        Err(e) if e.is(ErrorCode::Unauthorized) => {
            store.delete();
            return Ok(None);
        }
        // The network is down: open with who signed in last, so files can still be queued.
        Err(e) if e.is_local(LocalCode::ServerUnreachable) => match settings.last_me {
            Some(me) => (me, true),
            None => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let active = Session { client, me };
    *state.session.write().await = Some(active.clone());
    session_started(&state.queue, &active, &state.queue_wake).await;
    Ok(Some(SessionInfo { offline, ..info(&active) }))
}

pub async fn sign_in(state: &AppState, server_url: &str, email: &str, password: &str) -> CommandResult<SessionInfo> {
    let url = parse_server_url(server_url)?;
    let anon = ApiClient::new(url.clone(), None)?;
    let login = anon.login(email, password).await?;
    signed_in(state, url, &anon, login).await
}

/// First sign-in: the one-time setup code an administrator handed over, and the password the
/// person chose (checked on the server: long enough, not a common one).
pub async fn first_sign_in(
    state: &AppState,
    server_url: &str,
    code: &str,
    password: &str,
) -> CommandResult<SessionInfo> {
    let url = parse_server_url(server_url)?;
    let anon = ApiClient::new(url.clone(), None)?;
    let login = anon.set_up(code, password).await?;
    signed_in(state, url, &anon, login).await
}

/// Changes the signed-in person's password; their sessions elsewhere end.
pub async fn change_password(state: &AppState, current: &str, new: &str) -> CommandResult<()> {
    state.active().await?.client.change_password(current, new).await
}

/// The session a sign-in opened becomes this workstation's.
async fn signed_in(state: &AppState, url: Url, anon: &ApiClient, login: LoginResponse) -> CommandResult<SessionInfo> {
    let client = anon.with_token(login.token.clone());
    let me = client.me().await?;
    // Someone else signed in here last (their session ended): nothing of theirs stays.
    let last = state.settings();
    let same = last.last_me.as_ref().is_some_and(|m| m.user.id == me.user.id)
        && last.server_url.as_deref() == Some(url.as_str());
    if !same {
        state.forget_session().await;
    }
    let keyring = TokenStore::for_server(url.as_str()).save(&login.token);
    state.update_settings(|s| {
        s.server_url = Some(url.to_string());
        s.email = Some(me.user.email.clone());
        s.last_me = Some(me.clone());
    });
    let active = Session { client, me };
    *state.session.write().await = Some(active.clone());
    session_started(&state.queue, &active, &state.queue_wake).await;
    if let Err(e) = keyring {
        tracing::warn!("{e}");
    }
    Ok(info(&active))
}

/// Ends the session on the server (when reachable), removes the token from the keyring and
/// everything of the user's on this workstation.
pub async fn sign_out(state: &AppState) -> CommandResult<()> {
    if let Some(active) = state.session.read().await.clone() {
        let _ = active.client.logout().await;
        TokenStore::for_server(active.client.base().as_str()).delete();
    }
    state.forget_session().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clinicdocs_core::api::{Org, User};
    use clinicdocs_core::limits::{Plan, PlanLimits};
    use clinicdocs_core::Role;
    use uuid::Uuid;

    fn me(role: Role) -> Me {
        let org_id = Uuid::from_u128(1);
        Me {
            user: User { id: Uuid::from_u128(2), name: "A".into(), email: "a@demo.clinic".into(), role, org_id },
            org: Org {
                id: org_id,
                name: "Demo".into(),
                plan: Plan::Professional,
                documents_enabled: true,
                limits: PlanLimits::PROFESSIONAL,
                session_idle_minutes: 30,
            },
        }
    }

    #[test]
    fn only_what_the_policy_allows_is_offered() {
        let admin = Permissions::of(&me(Role::Admin));
        assert!(admin.delete && admin.annotate && admin.read_audit);
        assert_eq!(admin.upload.len(), Category::ALL.len());
        let reception = Permissions::of(&me(Role::Receptionist));
        assert!(!reception.delete && !reception.annotate);
        let billing = Permissions::of(&me(Role::Billing));
        assert_eq!(billing.upload, vec![Category::Insurance]);
        assert!(!billing.delete);
    }
}
