//! The rules of the clinic's external contacts: who may manage them (the roles that may share),
//! names checked by the people's-names rule, a real email address (shares go to it) and an
//! optional mobile number (for SMS codes). Another clinic's contact answers 404 like a missing
//! one, and the attempt is audited.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::patients::{detail, phone};
use crate::state::AppState;
use clinicdocs_core::api::{Contact, ContactPatch, NewContact};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::credentials::normalise_email;
use clinicdocs_core::limits::MAX_ORGANISATION_CHARS;
use clinicdocs_core::names::validate_person_name;
use clinicdocs_core::policy::Action;
use uuid::Uuid;

fn organisation(raw: Option<&str>) -> ApiResult<Option<String>> {
    let Some(o) = detail(raw) else { return Ok(None) };
    if o.chars().count() > MAX_ORGANISATION_CHARS || o.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "The organisation must be one line of up to {MAX_ORGANISATION_CHARS} characters."
        )));
    }
    Ok(Some(o))
}

fn email(raw: &str) -> ApiResult<String> {
    if raw.trim().is_empty() {
        return Err(ApiError::BadRequest("A contact needs an email address: shared documents are sent to it.".into()));
    }
    Ok(normalise_email(raw)?)
}

async fn may_manage(state: &AppState, caller: &Caller, id: Option<Uuid>) -> ApiResult<()> {
    caller.check(state, Action::Share, None, false, (AuditTarget::Contact, id.map(|i| i.to_string()))).await
}

/// A current contact of the caller's clinic.
pub async fn contact(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Contact> {
    match state.db.contacts().get(caller.org_id(), id).await? {
        Some(c) => Ok(c),
        None => {
            Err(caller.refuse(state, AuditTarget::Contact, Some(id.to_string()), ApiError::NotFound("Contact")).await)
        }
    }
}

pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<Contact>> {
    may_manage(state, caller, None).await?;
    Ok(state.db.contacts().list(caller.org_id()).await?)
}

pub async fn add(state: &AppState, caller: &Caller, new: &NewContact) -> ApiResult<Contact> {
    may_manage(state, caller, None).await?;
    let c = Contact {
        id: Uuid::new_v4(),
        name: validate_person_name(&new.name)?,
        organisation: organisation(new.organisation.as_deref())?,
        email: email(&new.email)?,
        phone: phone(new.phone.as_deref())?,
        created_at: state.now(),
    };
    let mut event = caller.event(AuditAction::ContactCreated, AuditTarget::Contact, Some(c.id.to_string()));
    event.detail = Some(format!("{} <{}>", c.name, c.email));
    state.db.contacts().create(caller.org_id(), &c, &event, state.now()).await?;
    Ok(c)
}

/// Changes a contact; fields left out stay, an empty organisation or phone clears it.
pub async fn change(state: &AppState, caller: &Caller, id: Uuid, patch: &ContactPatch) -> ApiResult<Contact> {
    may_manage(state, caller, Some(id)).await?;
    let before = contact(state, caller, id).await?;
    let c = Contact {
        name: patch.name.as_deref().map(validate_person_name).transpose()?.unwrap_or(before.name.clone()),
        organisation: match &patch.organisation {
            Some(o) => organisation(Some(o))?,
            None => before.organisation.clone(),
        },
        email: patch.email.as_deref().map(email).transpose()?.unwrap_or(before.email.clone()),
        phone: match &patch.phone {
            Some(p) => phone(Some(p))?,
            None => before.phone.clone(),
        },
        ..before.clone()
    };
    let mut event = caller.event(AuditAction::ContactUpdated, AuditTarget::Contact, Some(id.to_string()));
    event.detail = Some(format!("{} <{}>", c.name, c.email));
    if !state.db.contacts().update(caller.org_id(), &c, &event, state.now()).await? {
        return Err(ApiError::NotFound("Contact"));
    }
    Ok(c)
}

/// Removes a contact; the shares sent to them stay listed and keep working until revoked.
pub async fn remove(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<()> {
    may_manage(state, caller, Some(id)).await?;
    let c = contact(state, caller, id).await?;
    let mut event = caller.event(AuditAction::ContactDeleted, AuditTarget::Contact, Some(id.to_string()));
    event.detail = Some(format!("{} <{}>", c.name, c.email));
    if !state.db.contacts().remove(caller.org_id(), id, &event, state.now()).await? {
        return Err(ApiError::NotFound("Contact"));
    }
    Ok(())
}
