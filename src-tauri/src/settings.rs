//! What the app remembers between runs that is not secret: the last server address and email,
//! the last few patients opened (with their visits, for working offline), and the scanner folder. One small JSON file in the app's
//! config folder, written to a temp name and renamed so a crash never leaves half a file.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;
use uuid::Uuid;

/// How many recent patients are kept.
pub const RECENT_PATIENTS: usize = 6;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecentPatient {
    pub id: Uuid,
    pub name: String,
    pub date_of_birth: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub server_url: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub recent_patients: Vec<RecentPatient>,
    /// Who signed in last on `server_url`, so the app can open offline with the kept token.
    #[serde(default)]
    pub last_me: Option<clinicdocs_core::api::Me>,
    /// The folder the front-desk scanner writes into (its files appear in the Scanned inbox).
    #[serde(default)]
    pub scanner_folder: Option<PathBuf>,
    /// The recent patients' files (who, and their visits) as last opened, so they can be opened
    /// and files queued for them while the server cannot be reached. Cleared at sign-out.
    #[serde(default)]
    pub kept_patients: Vec<KeptPatient>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptPatient {
    pub patient: clinicdocs_core::api::Patient,
    /// Newest first. (Files written before the rename call them `encounters`.)
    #[serde(alias = "encounters")]
    pub visits: Vec<clinicdocs_core::api::Visit>,
}

impl Settings {
    pub fn path(config_dir: &Path) -> PathBuf {
        config_dir.join("settings.json")
    }

    /// Missing or unreadable settings are the defaults: nothing here is worth refusing to start.
    pub fn load(config_dir: &Path) -> Settings {
        std::fs::read(Self::path(config_dir)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    pub fn save(&self, config_dir: &Path) -> std::io::Result<()> {
        crate::private_files::create_dir(config_dir)?;
        let tmp = config_dir.join("settings.json.tmp");
        crate::private_files::write(&tmp, &serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
        std::fs::rename(tmp, Self::path(config_dir))
    }

    /// Puts `p` first, without duplicates, keeping at most [`RECENT_PATIENTS`], with their
    /// file kept for working offline.
    pub fn remember_patient(&mut self, p: RecentPatient, file: Option<KeptPatient>) {
        self.recent_patients.retain(|r| r.id != p.id);
        self.recent_patients.insert(0, p);
        self.recent_patients.truncate(RECENT_PATIENTS);
        if let Some(f) = file {
            self.kept_patients.retain(|k| k.patient.id != f.patient.id);
            self.kept_patients.insert(0, f);
        }
        let recent: Vec<Uuid> = self.recent_patients.iter().map(|r| r.id).collect();
        self.kept_patients.retain(|k| recent.contains(&k.patient.id));
    }

    /// A recent patient's file as last opened.
    pub fn kept_patient(&self, id: Uuid) -> Option<&KeptPatient> {
        self.kept_patients.iter().find(|k| k.patient.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(n: u128) -> KeptPatient {
        KeptPatient {
            patient: clinicdocs_core::api::Patient {
                id: Uuid::from_u128(n),
                name: format!("P{n}"),
                date_of_birth: "1980-01-01".into(),
                created_at: chrono::DateTime::UNIX_EPOCH,
                sex: None,
                phone: None,
                email: None,
                patient_number: None,
            },
            visits: vec![],
        }
    }

    fn p(n: u128) -> RecentPatient {
        RecentPatient { id: Uuid::from_u128(n), name: format!("P{n}"), date_of_birth: "1980-01-01".into() }
    }

    #[test]
    fn recent_patients_are_most_recent_first_unique_and_bounded() {
        let mut s = Settings::default();
        for n in 1..=8 {
            s.remember_patient(p(n), Some(kept(n)));
        }
        s.remember_patient(p(5), Some(kept(5)));
        let ids: Vec<u128> = s.recent_patients.iter().map(|r| r.id.as_u128()).collect();
        assert_eq!(ids, vec![5, 8, 7, 6, 4, 3]);
        let kept_ids: Vec<u128> = s.kept_patients.iter().map(|k| k.patient.id.as_u128()).collect();
        assert_eq!(kept_ids, ids, "a file is kept for each recent patient only");
        assert_eq!(s.kept_patient(Uuid::from_u128(8)).map(|k| k.patient.name.as_str()), Some("P8"));
        assert!(s.kept_patient(Uuid::from_u128(1)).is_none());
    }

    #[test]
    fn settings_survive_a_round_trip_and_a_corrupt_file_gives_defaults() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Settings { server_url: Some("http://127.0.0.1:8080/".into()), ..Default::default() };
        s.remember_patient(p(1), Some(kept(1)));
        s.save(dir.path()).expect("save");
        assert_eq!(Settings::load(dir.path()), s);
        std::fs::write(Settings::path(dir.path()), b"{not json").expect("write");
        assert_eq!(Settings::load(dir.path()), Settings::default());
    }
}
