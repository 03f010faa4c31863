//! The rules of a clinic's patients and their visits: finding them, registering a patient and
//! opening a visit (roles the policy allows), names checked by the same rule as document
//! titles. Another clinic's patient answers 404 exactly like a missing one, and is audited.

use crate::auth::Caller;
use crate::db::patients::PatientRow;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::NaiveDate;
use clinicdocs_core::api::{NewPatient, NewVisit, Patient, PatientQuery, Visit};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
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
    let limit = q.limit.unwrap_or(DEFAULT_MATCHES).clamp(1, MAX_MATCHES);
    let rows = state.db.patients().search(caller.org_id(), q.q.as_deref().unwrap_or(""), limit).await?;
    Ok(rows.into_iter().map(|r| r.patient).collect())
}

pub async fn register(state: &AppState, caller: &Caller, new: &NewPatient) -> ApiResult<Patient> {
    caller.check(state, Action::ManagePatients, None, false, (AuditTarget::Patient, None)).await?;
    let p = Patient {
        id: Uuid::new_v4(),
        name: validate_person_name(&new.name)?,
        date_of_birth: date(&new.date_of_birth, "date of birth")?,
        created_at: state.now(),
    };
    state.db.patients().create(caller.org_id(), &p).await?;
    state.audit(caller.event(AuditAction::PatientCreated, AuditTarget::Patient, Some(p.id.to_string()))).await?;
    Ok(patient(state, caller, p.id).await?.patient)
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
    let v = Visit {
        id: Uuid::new_v4(),
        patient_id: p.patient.id,
        date: date(&new.date, "visit date")?,
        reason: reason.to_string(),
        document_count: 0,
    };
    state.db.patients().create_visit(caller.org_id(), &v, state.now()).await?;
    state.audit(caller.event(AuditAction::VisitCreated, AuditTarget::Visit, Some(v.id.to_string()))).await?;
    state.db.patients().visit(caller.org_id(), v.id).await?.ok_or(ApiError::NotFound("Visit"))
}
