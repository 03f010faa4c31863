//! A clinic's patients and their visits (the `visits` table; a document's link to one is its
//! `encounter_id`).

use super::columns::{select_list, Columns, Reader};
use super::{ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{Patient, Visit};
use sqlx::any::AnyRow;
use uuid::Uuid;

/// A patient: what the API shows, and the profile image's keys.
#[derive(Debug, Clone)]
pub struct PatientRow {
    pub patient: Patient,
    pub photo_key: Option<String>,
    pub photo_thumb_key: Option<String>,
}

/// A patient row's columns, in the order [`PatientRow::read`] reads them.
const PATIENT_COLUMNS: [&str; 6] = ["id", "name", "date_of_birth", "created_at", "photo_key", "photo_thumb_key"];

impl PatientRow {
    fn read<C: Columns + ?Sized>(r: &mut Reader<'_, C>) -> sqlx::Result<PatientRow> {
        Ok(PatientRow {
            patient: Patient { id: r.uuid()?, name: r.text()?, date_of_birth: r.text()?, created_at: r.time()? },
            photo_key: r.opt_text()?,
            photo_thumb_key: r.opt_text()?,
        })
    }
}

fn patient(row: AnyRow) -> sqlx::Result<PatientRow> {
    PatientRow::read(&mut Reader::new(&row))
}

/// A visit row's columns, in the order [`read_visit`] reads them.
const VISIT_COLUMNS: [&str; 5] = ["id", "patient_id", "date", "reason", "document_count"];

fn read_visit(row: AnyRow) -> sqlx::Result<Visit> {
    let mut r = Reader::new(&row);
    Ok(Visit { id: r.uuid()?, patient_id: r.uuid()?, date: r.text()?, reason: r.text()?, document_count: r.int()? })
}

/// The patients and visits tables.
pub struct Patients<'a>(pub(super) &'a Db);

impl Db {
    /// Patients and their visits.
    pub fn patients(&self) -> Patients<'_> {
        Patients(self)
    }
}

impl Patients<'_> {
    pub async fn create(&self, org: Uuid, p: &Patient) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO patients (id, org_id, name, name_lower, date_of_birth, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(p.id.to_string())
        .bind(org.to_string())
        .bind(&p.name)
        .bind(p.name.to_lowercase())
        .bind(&p.date_of_birth)
        .bind(ms(p.created_at))
        .execute(&self.0.pool)
        .await
        .map(|_| ())
    }

    /// A patient of the clinic `org` (another clinic's id finds nothing).
    pub async fn get(&self, org: Uuid, id: Uuid) -> sqlx::Result<Option<PatientRow>> {
        let sql = format!("SELECT {} FROM patients WHERE org_id = $1 AND id = $2", select_list(&PATIENT_COLUMNS));
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.0.pool)
            .await?
            .map(patient)
            .transpose()
    }

    /// Patients whose name contains `q` (any case) or whose date of birth is `q`.
    pub async fn search(&self, org: Uuid, q: &str, limit: i64) -> sqlx::Result<Vec<PatientRow>> {
        let needle = q.trim().to_lowercase().replace(['%', '_'], "");
        let sql = format!(
            "SELECT {} FROM patients WHERE org_id = $1 AND (name_lower LIKE $2 OR date_of_birth = $3) \
             ORDER BY name_lower, id LIMIT $4",
            select_list(&PATIENT_COLUMNS)
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(format!("%{needle}%"))
            .bind(q.trim())
            .bind(limit)
            .fetch_all(&self.0.pool)
            .await?
            .into_iter()
            .map(patient)
            .collect()
    }

    /// Points a patient's profile image at new keys.
    pub async fn set_photo(&self, org: Uuid, id: Uuid, key: &str, thumb: &str) -> sqlx::Result<()> {
        super::photos::set(self.0, "patients", org, id, key, thumb).await
    }

    /// Whether `key` is a patient's current profile image (or its avatar).
    pub async fn has_photo_key(&self, key: &str) -> sqlx::Result<bool> {
        super::photos::holds(self.0, "patients", key).await
    }

    pub async fn create_visit(&self, org: Uuid, v: &Visit, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO visits (id, org_id, patient_id, date, reason, document_count, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(v.id.to_string())
        .bind(org.to_string())
        .bind(v.patient_id.to_string())
        .bind(&v.date)
        .bind(&v.reason)
        .bind(ms(now))
        .execute(&self.0.pool)
        .await
        .map(|_| ())
    }

    /// A patient's visits, latest first.
    pub async fn visits(&self, org: Uuid, patient: Uuid) -> sqlx::Result<Vec<Visit>> {
        let sql = format!(
            "SELECT {} FROM visits WHERE org_id = $1 AND patient_id = $2 ORDER BY date DESC, id",
            select_list(&VISIT_COLUMNS)
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(patient.to_string())
            .fetch_all(&self.0.pool)
            .await?
            .into_iter()
            .map(read_visit)
            .collect()
    }

    /// A visit of the clinic `org`.
    pub async fn visit(&self, org: Uuid, id: Uuid) -> sqlx::Result<Option<Visit>> {
        let sql = format!("SELECT {} FROM visits WHERE org_id = $1 AND id = $2", select_list(&VISIT_COLUMNS));
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.0.pool)
            .await?
            .map(read_visit)
            .transpose()
    }
}
