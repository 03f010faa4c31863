//! The rules of sharing: who may share (the policy's `Share`: admins and doctors), only
//! documents they may view, all of one patient, to a contact of the clinic or to that patient
//! themself; the link (256 random bits, kept only as a hash) goes out by email and nowhere
//! else. A share whose first email fails is forgotten (nothing is half-shared); a resend makes
//! a new link and kills the old one; a revoke kills it at once. Where the clinic asks for a
//! texted code, a share needs a recipient with a mobile number. Also the clinic's sharing
//! settings.

mod letter;

pub use letter::duration_phrase;

use crate::auth::{new_token, Caller};
use crate::config::SharingConfig;
use crate::db::shares::{ShareFilter, ShareRow};
use crate::documents::access::visible_document;
use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::sms::sms_number;
use crate::state::AppState;
use crate::{contacts, patients};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{
    NewShare, RecipientKind, Share, ShareQuery, ShareSecurity, ShareState, SharingSettings, SharingSettingsUpdate,
};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::limits::MAX_SHARE_DOCUMENTS;
use clinicdocs_core::policy::Action;
use letter::{share_letter, ShareNotice};
use uuid::Uuid;

/// Where a share stands at `now`.
pub fn share_state(s: &ShareRow, now: DateTime<Utc>) -> ShareState {
    if s.revoked_at.is_some() {
        ShareState::Revoked
    } else if s.sent_at.is_none() {
        ShareState::NotSent
    } else if s.opened_at.is_some() {
        ShareState::Opened
    } else if now >= s.expires_unused_at {
        ShareState::Expired
    } else {
        ShareState::Waiting
    }
}

/// The portal link for a token.
pub fn portal_link(sharing: &SharingConfig, token: &str) -> String {
    format!("{}/share/{token}", sharing.portal_base)
}

async fn may_share(state: &AppState, caller: &Caller, id: Option<Uuid>) -> ApiResult<()> {
    caller.require_documents()?;
    caller.check(state, Action::Share, None, false, (AuditTarget::Share, id.map(|i| i.to_string()))).await
}

fn mailer(state: &AppState) -> ApiResult<&Mailer> {
    state.sharing.mailer.as_ref().ok_or_else(|| {
        ApiError::NotConfigured(
            "Documents cannot be shared yet: this server has no mail server to send the links. Ask whoever runs \
             the server to set one up (CLINICDOCS_SMTP_URL, see the README)."
                .into(),
        )
    })
}

async fn view(state: &AppState, s: ShareRow) -> ApiResult<Share> {
    let documents = state.db.shares().documents(s.id, false).await?;
    Ok(Share {
        state: share_state(&s, state.now()),
        id: s.id,
        patient_id: s.patient_id,
        recipient_kind: s.recipient_kind,
        recipient_id: s.recipient_id,
        recipient_name: s.recipient_name,
        recipient_email: s.recipient_email,
        documents,
        created_by: s.created_by,
        created_by_name: s.created_by_name,
        created_at: s.created_at,
        sent_at: s.sent_at,
        expires_unused_at: s.expires_unused_at,
        opened_at: s.opened_at,
        revoked_at: s.revoked_at,
    })
}

/// A share of the caller's clinic.
async fn share(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<ShareRow> {
    match state.db.shares().get(caller.org_id(), id).await? {
        Some(s) => Ok(s),
        None => Err(caller.refuse(state, AuditTarget::Share, Some(id.to_string()), ApiError::NotFound("Share")).await),
    }
}

/// Who the documents go to: name, address, phone, and which kind and id.
struct Recipient {
    kind: RecipientKind,
    id: Uuid,
    name: String,
    email: String,
    phone: Option<String>,
}

async fn recipient(state: &AppState, caller: &Caller, new: &NewShare, patient_id: Uuid) -> ApiResult<Recipient> {
    match (new.contact_id, new.patient_id) {
        (Some(c), None) => {
            let c = contacts::contact(state, caller, c).await?;
            Ok(Recipient { kind: RecipientKind::Contact, id: c.id, name: c.name, email: c.email, phone: c.phone })
        }
        (None, Some(p)) => {
            let p = patients::patient(state, caller, p).await?.patient;
            if p.id != patient_id {
                return Err(ApiError::BadRequest(
                    "A patient can only be sent their own documents: these are another patient's.".into(),
                ));
            }
            let email = p.email.clone().ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "{} has no email address. Add one to the patient's details, then share again.",
                    p.name
                ))
            })?;
            Ok(Recipient { kind: RecipientKind::Patient, id: p.id, name: p.name, email, phone: p.phone })
        }
        _ => Err(ApiError::BadRequest(
            "Choose whom to share with: give either contact_id (a contact of the clinic) or patient_id (the patient)."
                .into(),
        )),
    }
}

/// Where the clinic asks recipients for a texted code: that a gateway can send it, and that
/// the recipient has a mobile number to send it to.
async fn reachable_by_text(state: &AppState, caller: &Caller, to: &Recipient) -> ApiResult<()> {
    if state.db.shares().security(caller.org_id()).await? != ShareSecurity::Sms {
        return Ok(());
    }
    if state.sharing.sms.is_none() {
        return Err(ApiError::NotConfigured(
            "This clinic asks recipients for a code by text message, but this server has no SMS gateway to send it. \
             Ask whoever runs the server to set one up, or an admin to switch the clinic to link-only sharing."
                .into(),
        ));
    }
    if to.phone.as_deref().and_then(sms_number).is_none() {
        let whose = match to.kind {
            RecipientKind::Contact => "to the contact",
            RecipientKind::Patient => "to the patient's details",
        };
        return Err(ApiError::BadRequest(format!(
            "This clinic asks recipients for a code by text message, and {} has no mobile number. Add one {whose}, \
             then share again.",
            to.name
        )));
    }
    Ok(())
}

/// Sends a share's link by email; the error names the recipient and says why.
async fn send_link(state: &AppState, caller: &Caller, s: &ShareRow, token: &str, documents: usize) -> ApiResult<()> {
    let link = portal_link(&state.sharing, token);
    let letter = share_letter(&ShareNotice {
        clinic: &caller.org.name,
        sender: &caller.user().name,
        recipient_name: &s.recipient_name,
        recipient_email: &s.recipient_email,
        documents,
        link: &link,
        unused_ttl: state.sharing.unused_ttl,
    });
    mailer(state)?
        .send(&letter)
        .await
        .map_err(|e| ApiError::SendFailed(format!("The email to {} could not be sent: {e}.", s.recipient_name)))
}

/// Shares documents of one patient with a contact or the patient, and emails the link.
pub async fn create(state: &AppState, caller: &Caller, new: &NewShare) -> ApiResult<Share> {
    may_share(state, caller, None).await?;
    mailer(state)?;
    if new.document_ids.len() > MAX_SHARE_DOCUMENTS {
        return Err(ApiError::BadRequest(format!(
            "One share sends at most {MAX_SHARE_DOCUMENTS} documents; this one has {}. Share them in parts.",
            new.document_ids.len()
        )));
    }
    let mut ids: Vec<Uuid> = Vec::new();
    for id in &new.document_ids {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    if ids.is_empty() {
        return Err(ApiError::BadRequest("Choose at least one document to share.".into()));
    }
    let mut patient = None;
    for id in &ids {
        let d = visible_document(state, caller, *id).await?;
        caller
            .check(
                state,
                Action::Share,
                Some(d.category()),
                crate::documents::access::own(caller, &d),
                (AuditTarget::Document, Some(id.to_string())),
            )
            .await?;
        match patient {
            None => patient = Some(d.doc.patient_id),
            Some(p) if p != d.doc.patient_id => {
                return Err(ApiError::BadRequest(
                    "The documents of one share must all be of one patient. Share each patient's documents separately."
                        .into(),
                ))
            }
            Some(_) => {}
        }
    }
    let patient_id = patient.ok_or_else(|| ApiError::BadRequest("Choose at least one document to share.".into()))?;
    let to = recipient(state, caller, new, patient_id).await?;
    reachable_by_text(state, caller, &to).await?;
    let now = state.now();
    let row = ShareRow {
        id: Uuid::new_v4(),
        org_id: caller.org_id(),
        patient_id,
        recipient_kind: to.kind,
        recipient_id: to.id,
        recipient_name: to.name,
        recipient_email: to.email,
        recipient_phone: to.phone,
        created_by: caller.user_id(),
        created_by_name: caller.user().name.clone(),
        created_at: now,
        sent_at: None,
        expires_unused_at: now + state.sharing.unused_ttl,
        opened_at: None,
        revoked_at: None,
    };
    let (token, hash) = new_token();
    let target = Some(row.id.to_string());
    let mut event = caller.event(AuditAction::ShareCreated, AuditTarget::Share, target.clone());
    event.detail = Some(format!("{} document(s) to {} <{}>", ids.len(), row.recipient_name, row.recipient_email));
    state.db.shares().create(&row, &hash, &ids, &event, now).await?;
    if let Err(e) = send_link(state, caller, &row, &token, ids.len()).await {
        let mut failed = caller.event(AuditAction::ShareEmailFailed, AuditTarget::Share, target);
        failed.detail = Some(format!("{e}"));
        state.db.shares().forget_unsent(caller.org_id(), row.id, &failed, state.now()).await?;
        return Err(match e {
            ApiError::SendFailed(m) => ApiError::SendFailed(format!("{m} Nothing was shared; try again.")),
            other => other,
        });
    }
    sent(state, caller, &row, "the link").await?;
    view(state, share(state, caller, row.id).await?).await
}

/// Notes that a share's email went out: its link works from now.
async fn sent(state: &AppState, caller: &Caller, row: &ShareRow, what: &str) -> ApiResult<()> {
    let at = state.now();
    let mut event = caller.event(AuditAction::ShareEmailSent, AuditTarget::Share, Some(row.id.to_string()));
    event.detail = Some(format!("{what} to {}", row.recipient_email));
    state.db.shares().mark_sent(caller.org_id(), row.id, at, at + state.sharing.unused_ttl, &event).await?;
    Ok(())
}

/// Sends a share again with a new link; the old link stops working at once.
pub async fn resend(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Share> {
    may_share(state, caller, Some(id)).await?;
    mailer(state)?;
    let row = share(state, caller, id).await?;
    if row.revoked_at.is_some() {
        return Err(ApiError::Conflict("This share was revoked. To send the documents again, share them anew.".into()));
    }
    let documents = state.db.shares().documents(id, true).await?.len();
    if documents == 0 {
        return Err(ApiError::Conflict(
            "Every document of this share has been deleted: there is nothing to send.".into(),
        ));
    }
    // To the recipient's address as it is now: "it never arrived" is often a mistyped address,
    // corrected in the contact or the patient's details before sending again.
    let ask = NewShare {
        document_ids: Vec::new(),
        contact_id: (row.recipient_kind == RecipientKind::Contact).then_some(row.recipient_id),
        patient_id: (row.recipient_kind == RecipientKind::Patient).then_some(row.recipient_id),
    };
    let to = match recipient(state, caller, &ask, row.patient_id).await {
        // A removed contact keeps their shares listed, so the doctor is told why, not "not found".
        Err(ApiError::NotFound(_)) if row.recipient_kind == RecipientKind::Contact => {
            return Err(ApiError::Conflict(format!(
                "{} is no longer among the clinic's contacts, so no new link can be sent to them. The link sent \
                 before works until you revoke it; to send a new one, add them as a contact again and share anew.",
                row.recipient_name
            )));
        }
        other => other?,
    };
    reachable_by_text(state, caller, &to).await?;
    let (token, hash) = new_token();
    if !state.db.shares().renew_link(caller.org_id(), id, &hash, (&to.name, &to.email, to.phone.as_deref())).await? {
        return Err(ApiError::Conflict("This share was revoked. To send the documents again, share them anew.".into()));
    }
    let row = ShareRow { recipient_name: to.name, recipient_email: to.email, recipient_phone: to.phone, ..row };
    if let Err(e) = send_link(state, caller, &row, &token, documents).await {
        let mut failed = caller.event(AuditAction::ShareEmailFailed, AuditTarget::Share, Some(id.to_string()));
        failed.detail = Some(format!("{e}"));
        state.audit(failed).await?;
        return Err(match e {
            ApiError::SendFailed(m) => ApiError::SendFailed(format!(
                "{m} The earlier link no longer works; send it again when the mail server is back."
            )),
            other => other,
        });
    }
    sent(state, caller, &row, "a new link (the earlier one no longer works)").await?;
    view(state, share(state, caller, id).await?).await
}

/// Revokes a share: the portal refuses its link from now on. Revoking twice is no error.
pub async fn revoke(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<()> {
    // Not behind the plan check: a clinic that left the plan can still withdraw its links.
    caller.check(state, Action::Share, None, false, (AuditTarget::Share, Some(id.to_string()))).await?;
    share(state, caller, id).await?;
    let event = caller.event(AuditAction::ShareRevoked, AuditTarget::Share, Some(id.to_string()));
    state.db.shares().revoke(caller.org_id(), id, &event, state.now()).await?;
    Ok(())
}

/// The clinic's shares of a document or a patient (or all), newest first.
pub async fn list(state: &AppState, caller: &Caller, q: &ShareQuery) -> ApiResult<Vec<Share>> {
    may_share(state, caller, None).await?;
    if let Some(d) = q.document_id {
        visible_document(state, caller, d).await?;
    }
    if let Some(p) = q.patient_id {
        patients::patient(state, caller, p).await?;
    }
    let rows =
        state.db.shares().list(caller.org_id(), ShareFilter { document: q.document_id, patient: q.patient_id }).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(state, r).await?);
    }
    Ok(out)
}

fn settings_of(state: &AppState, security: ShareSecurity) -> SharingSettings {
    SharingSettings {
        security,
        email_available: state.sharing.mailer.is_some(),
        sms_available: state.sharing.sms.is_some(),
    }
}

pub async fn settings(state: &AppState, caller: &Caller) -> ApiResult<SharingSettings> {
    may_share(state, caller, None).await?;
    Ok(settings_of(state, state.db.shares().security(caller.org_id()).await?))
}

/// Sets what recipients must do before seeing documents (admins).
pub async fn change_settings(
    state: &AppState,
    caller: &Caller,
    update: &SharingSettingsUpdate,
) -> ApiResult<SharingSettings> {
    caller
        .check(state, Action::ManageStaff, None, false, (AuditTarget::Clinic, Some(caller.org_id().to_string())))
        .await?;
    if update.security == ShareSecurity::Sms && !settings_of(state, update.security).sms_available {
        return Err(ApiError::NotConfigured(
            "SMS codes cannot be chosen: this server has no SMS gateway set up to send them. Ask whoever runs the \
             server to set one up."
                .into(),
        ));
    }
    let mut event = caller.event(AuditAction::ClinicChanged, AuditTarget::Clinic, Some(caller.org_id().to_string()));
    event.detail = Some(format!("share_security={}", update.security.as_str()));
    state.db.shares().set_security(caller.org_id(), update.security, &event, state.now()).await?;
    Ok(settings_of(state, update.security))
}
