//! Signing in and out, and what the first screen needs (`crate::account`).

use crate::account::{self, AppInfo, SessionInfo};
use crate::error::CommandResult;
use crate::state::AppState;
use tauri::State;

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    account::app_info(&state)
}

/// Signs in again with the token the keyring kept, if it is still good.
#[tauri::command]
pub async fn restore_session(state: State<'_, AppState>) -> CommandResult<Option<SessionInfo>> {
    account::restore(&state).await
}

#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    server_url: String,
    email: String,
    password: String,
) -> CommandResult<SessionInfo> {
    account::sign_in(&state, &server_url, &email, &password).await
}

/// First sign-in with a one-time setup code and a new password.
#[tauri::command]
pub async fn first_sign_in(
    state: State<'_, AppState>,
    server_url: String,
    code: String,
    password: String,
) -> CommandResult<SessionInfo> {
    account::first_sign_in(&state, &server_url, &code, &password).await
}

#[tauri::command]
pub async fn change_password(state: State<'_, AppState>, current: String, new: String) -> CommandResult<()> {
    account::change_password(&state, &current, &new).await
}

/// Ends the session and leaves nothing of the user on this workstation.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> CommandResult<()> {
    account::sign_out(&state).await
}
