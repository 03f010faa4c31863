//! The rules of a clinic's patients and their visits: finding them, registering a patient and
//! changing their details, opening a visit with a practitioner (roles the policy allows), names
//! checked by the same rule as document titles; the clinic's patient numbers are unique in it. Another clinic's patient answers 404 exactly like a missing one, and is audited.

use crate::auth::Caller;
use crate::db::patients::{PatientOutcome, PatientRow};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::NaiveDate;
use clinicdocs_core::api::{NewPatient, NewVisit, Patient, PatientPatch, PatientQuery, Practitioner, Visit};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::credentials::normalise_email;
use clinicdocs_core::limits::MAX_VISIT_REASON_CHARS;
use clinicdocs_core::names::validate_person_name;
use clinicdocs_core::policy::Action;
use uuid::Uuid;

/// Patients found unless the query asks for another count, and the most it may ask.
pub const DEFAULT_MATCHES: i64 = 25;
pub const MAX_MATCHES: i64 = 200;

fn date(raw: &str, what: &str) -> ApiResult<String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| ApiError::BadRequest(format!("The {what} must be a date like 1980-04-23.")))
}

/// A patient of the caller's clinic.
pub async fn patient(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<PatientRow> {
    match state.db.patients().get(caller.org_id(), id).await? {
        Some(p) => Ok(p),
        None => {
            Err(caller.refuse(state, AuditTarget::Patient, Some(id.to_string()), ApiError::NotFound("Patient")).await)
        }
    }
}

/// Patients whose name holds the query, or born on the date it gives.
pub async fn find(state: &AppState, caller: &Caller, q: &PatientQuery) -> ApiResult<Vec<Patient>> {
    if let (Some(name), Some(dob)) = (&q.name, &q.date_of_birth) {
        return namesakes(state, caller, name, dob).await;
    }
    let limit = q.limit.unwrap_or(DEFAULT_MATCHES).clamp(1, MAX_MATCHES);
    let rows = state.db.patients().search(caller.org_id(), q.q.as_deref().unwrap_or(""), limit).await?;
    Ok(rows.into_iter().map(|r| r.patient).collect())
}

/// The longest patient number and phone number taken, in characters.
const MAX_PATIENT_NUMBER_CHARS: usize = 64;
const MAX_PHONE_CHARS: usize = 32;

/// A typed detail trimmed, `None` when empty.
pub(crate) fn detail(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

/// A phone number as typed (trimmed; `None` when empty), or why it is not one.
pub(crate) fn phone(raw: Option<&str>) -> ApiResult<Option<String>> {
    let Some(p) = detail(raw) else { return Ok(None) };
    let ok = p.chars().count() <= MAX_PHONE_CHARS
        && p.chars().filter(char::is_ascii_digit).count() >= 3
        && p.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.' | '/'));
    if ok {
        Ok(Some(p))
    } else {
        Err(ApiError::BadRequest(format!(
            "The phone number may hold digits, spaces and + - ( ) . / only, up to {MAX_PHONE_CHARS} characters."
        )))
    }
}

fn patient_number(raw: Option<&str>) -> ApiResult<Option<String>> {
    let Some(n) = detail(raw) else { return Ok(None) };
    if n.chars().count() > MAX_PATIENT_NUMBER_CHARS || n.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "The patient number must be one line of up to {MAX_PATIENT_NUMBER_CHARS} characters."
        )));
    }
    Ok(Some(n))
}

fn email(raw: Option<&str>) -> ApiResult<Option<String>> {
    detail(raw).map(|e| normalise_email(&e)).transpose().map_err(ApiError::from)
}

fn number_taken(n: Option<&str>) -> ApiError {
    ApiError::Conflict(format!(
        "The patient number {} is already given to another patient of this clinic. Check the number, or find that patient.",
        n.unwrap_or_default()
    ))
}

pub async fn register(state: &AppState, caller: &Caller, new: &NewPatient) -> ApiResult<Patient> {
    caller.check(state, Action::ManagePatients, None, false, (AuditTarget::Patient, None)).await?;
    let p = Patient {
        id: Uuid::new_v4(),
        name: validate_person_name(&new.name)?,
        date_of_birth: date(&new.date_of_birth, "date of birth")?,
        created_at: state.now(),
        sex: new.sex,
        phone: phone(new.phone.as_deref())?,
        email: email(new.email.as_deref())?,
        patient_number: patient_number(new.patient_number.as_deref())?,
    };
    let event = caller.event(AuditAction::PatientCreated, AuditTarget::Patient, Some(p.id.to_string()));
    match state.db.patients().register(caller.org_id(), &p, &event, state.now()).await? {
        PatientOutcome::Stored => Ok(patient(state, caller, p.id).await?.patient),
        _ => Err(number_taken(p.patient_number.as_deref())),
    }
}

/// Patients of the clinic with the same name and date of birth as one about to be registered.
async fn namesakes(state: &AppState, caller: &Caller, name: &str, date_of_birth: &str) -> ApiResult<Vec<Patient>> {
    let dob = date(date_of_birth, "date of birth")?;
    let rows = state.db.patients().namesakes(caller.org_id(), name, &dob).await?;
    Ok(rows.into_iter().map(|r| r.patient).collect())
}

/// Changes a patient's details; fields left out stay, an empty text clears one.
pub async fn change(state: &AppState, caller: &Caller, id: Uuid, patch: &PatientPatch) -> ApiResult<Patient> {
    caller.check(state, Action::ManagePatients, None, false, (AuditTarget::Patient, Some(id.to_string()))).await?;
    let before = patient(state, caller, id).await?.patient;
    let keep = |new: &Option<String>, old: &Option<String>| {
        new.as_deref().map(Some).unwrap_or(old.as_deref()).map(String::from)
    };
    let p = Patient {
        name: patch.name.as_deref().map(validate_person_name).transpose()?.unwrap_or(before.name.clone()),
        date_of_birth: match &patch.date_of_birth {
            Some(d) => date(d, "date of birth")?,
            None => before.date_of_birth.clone(),
        },
        sex: patch.sex.or(before.sex),
        phone: phone(keep(&patch.phone, &before.phone).as_deref())?,
        email: email(keep(&patch.email, &before.email).as_deref())?,
        patient_number: patient_number(keep(&patch.patient_number, &before.patient_number).as_deref())?,
        ..before.clone()
    };
    let mut event = caller.event(AuditAction::PatientUpdated, AuditTarget::Patient, Some(id.to_string()));
    let mut said = Vec::new();
    for (what, old, new) in [
        ("name", Some(before.name.clone()), Some(p.name.clone())),
        ("date_of_birth", Some(before.date_of_birth.clone()), Some(p.date_of_birth.clone())),
        ("sex", before.sex.map(|x| x.as_str().into()), p.sex.map(|x| x.as_str().into())),
        ("phone", before.phone.clone(), p.phone.clone()),
        ("email", before.email.clone(), p.email.clone()),
        ("patient_number", before.patient_number.clone(), p.patient_number.clone()),
    ] {
        if old != new {
            said.push(format!("{what}={}", new.unwrap_or_else(|| "-".into())));
        }
    }
    event.detail = Some(if said.is_empty() { "nothing changed".into() } else { said.join(" ") });
    match state.db.patients().update(caller.org_id(), &p, &event, state.now()).await? {
        PatientOutcome::Stored => Ok(patient(state, caller, id).await?.patient),
        PatientOutcome::NumberTaken => Err(number_taken(p.patient_number.as_deref())),
        PatientOutcome::Missing => Err(ApiError::NotFound("Patient")),
    }
}

/// Whom a visit can be with.
pub async fn practitioners(state: &AppState, caller: &Caller) -> ApiResult<Vec<Practitioner>> {
    Ok(state.db.users().practitioners(caller.org_id()).await?)
}

pub async fn visits(state: &AppState, caller: &Caller, patient_id: Uuid) -> ApiResult<Vec<Visit>> {
    let p = patient(state, caller, patient_id).await?;
    Ok(state.db.patients().visits(caller.org_id(), p.patient.id).await?)
}

pub async fn open_visit(state: &AppState, caller: &Caller, patient_id: Uuid, new: &NewVisit) -> ApiResult<Visit> {
    let target = (AuditTarget::Patient, Some(patient_id.to_string()));
    caller.check(state, Action::ManagePatients, None, false, target).await?;
    let p = patient(state, caller, patient_id).await?;
    let reason = new.reason.trim();
    if reason.chars().count() > MAX_VISIT_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "The visit reason must be one line of up to {MAX_VISIT_REASON_CHARS} characters."
        )));
    }
    if let Some(pr) = new.practitioner_id {
        let known = state.db.users().practitioners(caller.org_id()).await?.iter().any(|x| x.id == pr);
        if !known {
            return Err(ApiError::BadRequest(
                "Choose the practitioner from the clinic's doctors (the one chosen is not one of them).".into(),
            ));
        }
    }
    let v = Visit {
        id: Uuid::new_v4(),
        patient_id: p.patient.id,
        date: date(&new.date, "visit date")?,
        reason: reason.to_string(),
        document_count: 0,
        practitioner_id: new.practitioner_id,
    };
    state.db.patients().create_visit(caller.org_id(), &v, state.now()).await?;
    state.audit(caller.event(AuditAction::VisitCreated, AuditTarget::Visit, Some(v.id.to_string()))).await?;
    state.db.patients().visit(caller.org_id(), v.id).await?.ok_or(ApiError::NotFound("Visit"))
}
