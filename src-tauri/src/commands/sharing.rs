//! The commands over `crate::sharing` (admins and doctors).

use crate::error::CommandResult;
use crate::state::AppState;
use clinicdocs_core::api::{Contact, ContactPatch, NewContact, NewShare, Share, ShareSecurity, SharingSettings};
use tauri::State;
use uuid::Uuid;

#[tauri::command]
pub async fn list_contacts(state: State<'_, AppState>) -> CommandResult<Vec<Contact>> {
    crate::sharing::contacts(&state).await
}

#[tauri::command]
pub async fn add_contact(state: State<'_, AppState>, new: NewContact) -> CommandResult<Contact> {
    crate::sharing::add_contact(&state, new).await
}

#[tauri::command]
pub async fn change_contact(state: State<'_, AppState>, id: Uuid, patch: ContactPatch) -> CommandResult<Contact> {
    crate::sharing::change_contact(&state, id, patch).await
}

/// Removes a contact; shares already sent to them keep working until revoked.
#[tauri::command]
pub async fn remove_contact(state: State<'_, AppState>, id: Uuid) -> CommandResult<()> {
    crate::sharing::remove_contact(&state, id).await
}

/// Shares documents of one patient; the server emails the link to the recipient.
#[tauri::command]
pub async fn share_documents(state: State<'_, AppState>, new: NewShare) -> CommandResult<Share> {
    crate::sharing::share(&state, new).await
}

#[tauri::command]
pub async fn document_shares(state: State<'_, AppState>, document_id: Uuid) -> CommandResult<Vec<Share>> {
    crate::sharing::shares_of(&state, document_id).await
}

/// Everything shared of a patient's documents, newest first.
#[tauri::command]
pub async fn patient_shares(state: State<'_, AppState>, patient_id: Uuid) -> CommandResult<Vec<Share>> {
    crate::sharing::shares_of_patient(&state, patient_id).await
}

/// Emails a new link; the earlier one stops working.
#[tauri::command]
pub async fn resend_share(state: State<'_, AppState>, id: Uuid) -> CommandResult<Share> {
    crate::sharing::resend(&state, id).await
}

/// The clinic's share security (link, or link and a texted code) and what the server can send.
#[tauri::command]
pub async fn sharing_settings(state: State<'_, AppState>) -> CommandResult<SharingSettings> {
    crate::sharing::settings(&state).await
}

#[tauri::command]
pub async fn change_sharing_settings(
    state: State<'_, AppState>,
    security: ShareSecurity,
) -> CommandResult<SharingSettings> {
    crate::sharing::change_settings(&state, security).await
}

#[tauri::command]
pub async fn revoke_share(state: State<'_, AppState>, id: Uuid) -> CommandResult<()> {
    crate::sharing::revoke(&state, id).await
}
