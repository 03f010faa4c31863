//! Finding a patient and opening their file; registering one at the desk (names checked by the
//! shared rule first), changing their details, opening today's visit. The recent patients' files are kept on this
//! computer, so that while the server cannot be reached they can still be found and opened
//! and files queued for them; signing out forgets them.

use crate::error::{CommandError, CommandResult, LocalCode};
use crate::settings::{KeptPatient, RecentPatient, Settings};
use crate::state::AppState;
use clinicdocs_core::api::{NewPatient, NewVisit, Patient, PatientPatch, Practitioner, Visit};
use clinicdocs_core::names::validate_person_name;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

/// How many matches a search shows.
const SEARCH_LIMIT: i64 = 25;

#[derive(Debug, Clone, Serialize, TS)]
pub struct PatientFile {
    pub patient: Patient,
    /// Newest first.
    pub visits: Vec<Visit>,
    /// The server could not be reached: this is the file as last opened on this computer.
    pub offline: bool,
}

pub async fn register_patient(state: &AppState, new: NewPatient) -> CommandResult<Patient> {
    let new = NewPatient { name: validate_person_name(&new.name)?, ..new };
    state.active().await?.client.register_patient(&new).await
}

/// Patients with exactly this name and date of birth: shown before registering another.
pub async fn namesakes(state: &AppState, name: String, date_of_birth: String) -> CommandResult<Vec<Patient>> {
    state.active().await?.client.namesakes(name.trim(), date_of_birth.trim()).await
}

pub async fn update_patient(state: &AppState, id: Uuid, patch: PatientPatch) -> CommandResult<Patient> {
    let patch = PatientPatch { name: patch.name.as_deref().map(validate_person_name).transpose()?, ..patch };
    state.active().await?.client.update_patient(id, &patch).await
}

pub async fn practitioners(state: &AppState) -> CommandResult<Vec<Practitioner>> {
    state.active().await?.client.practitioners().await
}

pub async fn open_visit(state: &AppState, patient_id: Uuid, new: NewVisit) -> CommandResult<Visit> {
    state.active().await?.client.open_visit(patient_id, &new).await
}

/// By part of the name, or a date of birth (`YYYY-MM-DD`, or `DD.MM.YYYY` / `DD/MM/YYYY` as
/// typed at a desk).
/// Offline, the recent patients kept on this computer are searched instead.
pub async fn find_patients(state: &AppState, query: String) -> CommandResult<Vec<Patient>> {
    let client = state.active().await?.client;
    let q = normalise_query(&query);
    match client.find_patients(&q, SEARCH_LIMIT).await {
        Err(e) if e.is_local(LocalCode::ServerUnreachable) => Ok(kept_matches(&state.settings(), &q)),
        other => other,
    }
}

/// Kept patients whose name contains `q` (any case) or who were born on `q`.
pub fn kept_matches(settings: &Settings, q: &str) -> Vec<Patient> {
    let q = q.to_lowercase();
    settings
        .kept_patients
        .iter()
        .map(|k| &k.patient)
        .filter(|p| p.name.to_lowercase().contains(&q) || p.date_of_birth == q)
        .cloned()
        .collect()
}

/// Turns `03.11.1961` or `3/11/1961` into `1961-11-03`; anything else is returned trimmed.
pub fn normalise_query(q: &str) -> String {
    let q = q.trim();
    let parts: Vec<&str> = q.split(['.', '/']).collect();
    if let [d, m, y] = parts.as_slice() {
        if let (Ok(d), Ok(m), Ok(y)) = (d.parse::<u32>(), m.parse::<u32>(), y.parse::<u32>()) {
            if (1..=31).contains(&d) && (1..=12).contains(&m) && (1000..=9999).contains(&y) {
                return format!("{y:04}-{m:02}-{d:02}");
            }
        }
    }
    q.to_string()
}

pub async fn open_patient(state: &AppState, patient_id: Uuid) -> CommandResult<PatientFile> {
    let client = state.active().await?.client;
    let (patient, mut visits) = match tokio::try_join!(client.patient(patient_id), client.visits(patient_id)) {
        Ok(found) => found,
        Err(e) if e.is_local(LocalCode::ServerUnreachable) => {
            return match state.settings().kept_patient(patient_id) {
                Some(k) => Ok(PatientFile { patient: k.patient.clone(), visits: k.visits.clone(), offline: true }),
                None => Err(CommandError::local(
                    LocalCode::ServerUnreachable,
                    "The clinic server cannot be reached, and this patient was not opened on this computer recently. \
                         Try again when the connection is back.",
                )),
            };
        }
        Err(e) => return Err(e),
    };
    visits.sort_by(|a, b| b.date.cmp(&a.date));
    let kept = KeptPatient { patient: patient.clone(), visits: visits.clone() };
    state.update_settings(|s| {
        s.remember_patient(
            RecentPatient { id: patient.id, name: patient.name.clone(), date_of_birth: patient.date_of_birth.clone() },
            Some(kept),
        )
    });
    Ok(PatientFile { patient, visits, offline: false })
}

pub fn recent_patients(state: &AppState) -> Vec<RecentPatient> {
    state.settings().recent_patients
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_search_finds_kept_patients_by_name_or_date_of_birth() {
        let mut s = Settings::default();
        for (n, name, dob) in [(1, "Maria Garcia", "1961-11-03"), (2, "John Smith", "1975-11-02")] {
            let patient = Patient {
                id: Uuid::from_u128(n),
                name: name.into(),
                date_of_birth: dob.into(),
                created_at: chrono::DateTime::UNIX_EPOCH,
                sex: None,
                phone: None,
                email: None,
                patient_number: None,
            };
            let recent = RecentPatient { id: patient.id, name: name.into(), date_of_birth: dob.into() };
            s.remember_patient(recent, Some(KeptPatient { patient, visits: vec![] }));
        }
        let names = |q: &str| kept_matches(&s, &normalise_query(q)).into_iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(names("garc"), ["Maria Garcia"]);
        assert_eq!(names("02.11.1975"), ["John Smith"]);
        assert!(names("Aisha").is_empty());
    }

    #[test]
    fn dates_typed_the_local_way_become_iso() {
        assert_eq!(normalise_query(" 03.11.1961 "), "1961-11-03");
        assert_eq!(normalise_query("3/1/1961"), "1961-01-03");
        assert_eq!(normalise_query("1961-11-03"), "1961-11-03");
        assert_eq!(normalise_query("Maria"), "Maria");
        assert_eq!(normalise_query("40.11.1961"), "40.11.1961");
    }
}
