//! Sharing documents with a contact or the patient, for the roles that may share: the clinic's
//! contacts (added, changed, removed; a name or email checked by the shared rules before it is
//! sent), a share of documents of one patient (the server emails the link; the app never sees
//! it), the shares of a document or of a patient, a resend and a revoke; the clinic's share
//! security.

use crate::error::CommandResult;
use crate::state::AppState;
use clinicdocs_core::api::{
    Contact, ContactPatch, NewContact, NewShare, Share, ShareQuery, ShareSecurity, SharingSettings,
    SharingSettingsUpdate,
};
use clinicdocs_core::credentials::normalise_email;
use clinicdocs_core::names::validate_person_name;
use uuid::Uuid;

pub async fn contacts(state: &AppState) -> CommandResult<Vec<Contact>> {
    state.active().await?.client.contacts().await
}

pub async fn add_contact(state: &AppState, new: NewContact) -> CommandResult<Contact> {
    let blank = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let new = NewContact {
        name: validate_person_name(&new.name)?,
        email: normalise_email(&new.email)?,
        organisation: blank(new.organisation),
        phone: blank(new.phone),
    };
    state.active().await?.client.add_contact(&new).await
}

/// Changes a contact: fields left `None` stay; an empty organisation or mobile clears it.
pub async fn change_contact(state: &AppState, id: Uuid, patch: ContactPatch) -> CommandResult<Contact> {
    let patch = ContactPatch {
        name: patch.name.as_deref().map(validate_person_name).transpose()?,
        email: patch.email.as_deref().map(normalise_email).transpose()?,
        organisation: patch.organisation.map(|s| s.trim().to_string()),
        phone: patch.phone.map(|s| s.trim().to_string()),
    };
    state.active().await?.client.change_contact(id, &patch).await
}

/// Removes a contact; what was shared with them stays listed and working until revoked.
pub async fn remove_contact(state: &AppState, id: Uuid) -> CommandResult<()> {
    state.active().await?.client.remove_contact(id).await
}

pub async fn share(state: &AppState, new: NewShare) -> CommandResult<Share> {
    state.active().await?.client.share(&new).await
}

/// The shares holding a document, newest first.
pub async fn shares_of(state: &AppState, document_id: Uuid) -> CommandResult<Vec<Share>> {
    let q = ShareQuery { document_id: Some(document_id), patient_id: None };
    state.active().await?.client.shares(&q).await
}

/// The shares of a patient's documents, newest first: what went to whom, and where it stands.
pub async fn shares_of_patient(state: &AppState, patient_id: Uuid) -> CommandResult<Vec<Share>> {
    let q = ShareQuery { document_id: None, patient_id: Some(patient_id) };
    state.active().await?.client.shares(&q).await
}

pub async fn resend(state: &AppState, id: Uuid) -> CommandResult<Share> {
    state.active().await?.client.resend_share(id).await
}

pub async fn revoke(state: &AppState, id: Uuid) -> CommandResult<()> {
    state.active().await?.client.revoke_share(id).await
}

/// What recipients must do before seeing documents, and what the server can send.
pub async fn settings(state: &AppState) -> CommandResult<SharingSettings> {
    state.active().await?.client.sharing_settings().await
}

/// Sets what recipients must do before seeing documents (administrators).
pub async fn change_settings(state: &AppState, security: ShareSecurity) -> CommandResult<SharingSettings> {
    state.active().await?.client.change_sharing_settings(&SharingSettingsUpdate { security }).await
}
