//! Finding a patient and opening their file.

use crate::error::CommandResult;
use crate::settings::RecentPatient;
use crate::state::AppState;
use clinicdocs_core::api::{Encounter, Patient};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;

/// How many matches a search shows.
const SEARCH_LIMIT: i64 = 25;

#[derive(Debug, Clone, Serialize, TS)]
pub struct PatientFile {
    pub patient: Patient,
    /// Newest first.
    pub encounters: Vec<Encounter>,
}

/// By part of the name, or a date of birth (`YYYY-MM-DD`, or `DD.MM.YYYY` / `DD/MM/YYYY` as
/// typed at a desk).
#[tauri::command]
pub async fn find_patients(state: State<'_, AppState>, query: String) -> CommandResult<Vec<Patient>> {
    let client = state.active().await?.client;
    client.find_patients(&normalise_query(&query), SEARCH_LIMIT).await
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

#[tauri::command]
pub async fn open_patient(state: State<'_, AppState>, patient_id: Uuid) -> CommandResult<PatientFile> {
    let client = state.active().await?.client;
    let (patient, mut encounters) = tokio::try_join!(client.patient(patient_id), client.encounters(patient_id))?;
    encounters.sort_by(|a, b| b.date.cmp(&a.date));
    state.update_settings(|s| {
        s.remember_patient(RecentPatient {
            id: patient.id,
            name: patient.name.clone(),
            date_of_birth: patient.date_of_birth.clone(),
        })
    });
    Ok(PatientFile { patient, encounters })
}

#[tauri::command]
pub fn recent_patients(state: State<'_, AppState>) -> Vec<RecentPatient> {
    state.settings().recent_patients
}

#[cfg(test)]
mod tests {
    use super::normalise_query;

    #[test]
    fn dates_typed_the_local_way_become_iso() {
        assert_eq!(normalise_query(" 03.11.1961 "), "1961-11-03");
        assert_eq!(normalise_query("3/1/1961"), "1961-01-03");
        assert_eq!(normalise_query("1961-11-03"), "1961-11-03");
        assert_eq!(normalise_query("Maria"), "Maria");
        assert_eq!(normalise_query("40.11.1961"), "40.11.1961");
    }
}
