//! A clinic's patients and their visits (the `visits` table; a document's link to one is its
//! `encounter_id`).

use super::audit::{insert_event, NewAuditEvent};
use super::columns::{select_list, Columns, Reader};
use super::{is_unique_violation, ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{Patient, Sex, Visit};
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
const PATIENT_COLUMNS: [&str; 10] = [
    "id",
    "name",
    "date_of_birth",
    "created_at",
    "sex",
    "phone",
    "email",
    "patient_number",
    "photo_key",
    "photo_thumb_key",
];

impl PatientRow {
    fn read<C: Columns + ?Sized>(r: &mut Reader<'_, C>) -> sqlx::Result<PatientRow> {
        Ok(PatientRow {
            patient: Patient {
                id: r.uuid()?,
                name: r.text()?,
                date_of_birth: r.text()?,
                created_at: r.time()?,
                // A spelling this build does not know reads as none rather than failing.
                sex: r.opt_text()?.as_deref().and_then(Sex::parse),
                phone: r.opt_text()?,
                email: r.opt_text()?,
                patient_number: r.opt_text()?,
            },
            photo_key: r.opt_text()?,
            photo_thumb_key: r.opt_text()?,
        })
    }
}

fn patient(row: AnyRow) -> sqlx::Result<PatientRow> {
    PatientRow::read(&mut Reader::new(&row))
}

/// A visit row's columns, in the order [`read_visit`] reads them.
const VISIT_COLUMNS: [&str; 6] = ["id", "patient_id", "date", "reason", "document_count", "practitioner_id"];

fn read_visit(row: AnyRow) -> sqlx::Result<Visit> {
    let mut r = Reader::new(&row);
    Ok(Visit {
        id: r.uuid()?,
        patient_id: r.uuid()?,
        date: r.text()?,
        reason: r.text()?,
        document_count: r.int()?,
        practitioner_id: r.opt_uuid()?,
    })
}

/// What the outcome of registering or changing a patient was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatientOutcome {
    Stored,
    /// Another patient of the clinic has this patient number.
    NumberTaken,
    /// No such patient in the clinic.
    Missing,
}

async fn insert_patient(conn: &mut sqlx::AnyConnection, org: Uuid, p: &Patient) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO patients (id, org_id, name, name_lower, date_of_birth, created_at, sex, phone, email, patient_number) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.id.to_string())
    .bind(org.to_string())
    .bind(&p.name)
    .bind(p.name.to_lowercase())
    .bind(&p.date_of_birth)
    .bind(ms(p.created_at))
    .bind(p.sex.map(|x| x.as_str().to_string()))
    .bind(p.phone.clone())
    .bind(p.email.clone())
    .bind(p.patient_number.clone())
    .execute(conn)
    .await
    .map(|_| ())
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
    /// Adds a patient without an event (demo data).
    pub async fn create(&self, org: Uuid, p: &Patient) -> sqlx::Result<()> {
        insert_patient(&mut *self.0.pool.acquire().await?, org, p).await
    }

    /// Registers a patient with its audit event, in one transaction.
    pub async fn register(
        &self,
        org: Uuid,
        p: &Patient,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<PatientOutcome> {
        let mut tx = self.0.pool.begin().await?;
        match insert_patient(&mut tx, org, p).await {
            Err(e) if is_unique_violation(&e) => return Ok(PatientOutcome::NumberTaken),
            other => other?,
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(PatientOutcome::Stored)
    }

    /// Writes a patient's details as `p` has them, with its audit event, in one transaction.
    pub async fn update(
        &self,
        org: Uuid,
        p: &Patient,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<PatientOutcome> {
        let mut tx = self.0.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE patients SET name = $1, name_lower = $2, date_of_birth = $3, sex = $4, phone = $5, email = $6, \
             patient_number = $7 WHERE org_id = $8 AND id = $9",
        )
        .bind(&p.name)
        .bind(p.name.to_lowercase())
        .bind(&p.date_of_birth)
        .bind(p.sex.map(|x| x.as_str().to_string()))
        .bind(p.phone.clone())
        .bind(p.email.clone())
        .bind(p.patient_number.clone())
        .bind(org.to_string())
        .bind(p.id.to_string())
        .execute(&mut *tx)
        .await;
        match changed {
            Err(e) if is_unique_violation(&e) => return Ok(PatientOutcome::NumberTaken),
            Err(e) => return Err(e),
            Ok(r) if r.rows_affected() == 0 => return Ok(PatientOutcome::Missing),
            Ok(_) => {}
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(PatientOutcome::Stored)
    }

    /// Patients of the clinic with this name (any case) and date of birth: possible duplicates.
    pub async fn namesakes(&self, org: Uuid, name: &str, date_of_birth: &str) -> sqlx::Result<Vec<PatientRow>> {
        let sql = format!(
            "SELECT {} FROM patients WHERE org_id = $1 AND name_lower = $2 AND date_of_birth = $3 ORDER BY id",
            select_list(&PATIENT_COLUMNS)
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(name.trim().to_lowercase())
            .bind(date_of_birth)
            .fetch_all(&self.0.pool)
            .await?
            .into_iter()
            .map(patient)
            .collect()
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
            "INSERT INTO visits (id, org_id, patient_id, date, reason, document_count, created_at, practitioner_id) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
        )
        .bind(v.id.to_string())
        .bind(org.to_string())
        .bind(v.patient_id.to_string())
        .bind(&v.date)
        .bind(&v.reason)
        .bind(ms(now))
        .bind(v.practitioner_id.map(|p| p.to_string()))
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
