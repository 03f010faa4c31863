//! Clinics, staff accounts, sessions, patients and their visits.

use super::{from_ms, ms, parse_uuid, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{Encounter, Org, Patient, User};
use clinicdocs_core::limits::Plan;
use clinicdocs_core::storage_key::ProfileKind;
use clinicdocs_core::Role;
use sqlx::{AnyConnection, FromRow};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub plan: String,
    pub used_bytes: i64,
    /// Bumped by the database on every change to the clinic's documents (see migrations 0002).
    pub doc_version: i64,
}

impl OrgRow {
    pub fn plan(&self) -> Plan {
        Plan::parse(&self.plan).unwrap_or(Plan::Basic)
    }
    pub fn to_api(&self, documents_enabled: bool) -> anyhow::Result<Org> {
        Ok(Org { id: parse_uuid(&self.id)?, name: self.name.clone(), plan: self.plan(), documents_enabled })
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub photo_key: Option<String>,
    pub photo_thumb_key: Option<String>,
}

impl UserRow {
    pub fn to_api(&self) -> anyhow::Result<User> {
        Ok(User {
            id: parse_uuid(&self.id)?,
            name: self.name.clone(),
            email: self.email.clone(),
            role: Role::parse(&self.role).ok_or_else(|| anyhow::anyhow!("bad role {}", self.role))?,
            org_id: parse_uuid(&self.org_id)?,
        })
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct PatientRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub date_of_birth: String,
    pub photo_key: Option<String>,
    pub photo_thumb_key: Option<String>,
    pub created_at: i64,
}

impl PatientRow {
    pub fn to_api(&self) -> anyhow::Result<Patient> {
        Ok(Patient {
            id: parse_uuid(&self.id)?,
            name: self.name.clone(),
            date_of_birth: self.date_of_birth.clone(),
            created_at: from_ms(self.created_at),
        })
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct EncounterRow {
    pub id: String,
    pub patient_id: String,
    pub date: String,
    pub reason: String,
    pub document_count: i64,
}

impl EncounterRow {
    pub fn to_api(&self) -> anyhow::Result<Encounter> {
        Ok(Encounter {
            id: parse_uuid(&self.id)?,
            patient_id: parse_uuid(&self.patient_id)?,
            date: self.date.clone(),
            reason: self.reason.clone(),
            document_count: self.document_count,
        })
    }
}

#[derive(Debug, Clone, FromRow)]
struct SessionRow {
    token_hash: String,
    expires_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
    org_name: String,
    org_domain: String,
    org_plan: String,
    org_used_bytes: i64,
    org_doc_version: i64,
}

/// A session's row: whose it is and until when (Unix ms).
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub token_hash: String,
    pub expires_at: i64,
    pub user: UserRow,
    pub org: OrgRow,
}

const USER_COLS: &str = "id, org_id, email, name, role, password_hash, photo_key, photo_thumb_key";
const PATIENT_COLS: &str = "id, org_id, name, date_of_birth, photo_key, photo_thumb_key, created_at";

impl Db {
    pub async fn org_by_domain(&self, domain: &str) -> sqlx::Result<Option<OrgRow>> {
        sqlx::query_as("SELECT id, name, domain, plan, used_bytes, doc_version FROM orgs WHERE domain = $1")
            .bind(domain)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn org(&self, id: &str) -> sqlx::Result<Option<OrgRow>> {
        sqlx::query_as("SELECT id, name, domain, plan, used_bytes, doc_version FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn create_org(
        &self,
        id: Uuid,
        name: &str,
        domain: &str,
        plan: Plan,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO orgs (id, name, domain, plan, used_bytes, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
            .bind(id.to_string())
            .bind(name)
            .bind(domain)
            .bind(plan.as_str())
            .bind(ms(now))
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_user(
        &self,
        id: Uuid,
        org: Uuid,
        email: &str,
        name: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO users (id, org_id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(email.to_lowercase())
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(ms(now))
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    pub async fn user_by_email(&self, email: &str) -> sqlx::Result<Option<UserRow>> {
        sqlx::query_as(&format!("SELECT {USER_COLS} FROM users WHERE email = $1"))
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn user_in_org(&self, org: &str, id: &str) -> sqlx::Result<Option<UserRow>> {
        sqlx::query_as(&format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 AND id = $2"))
            .bind(org)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Points a patient's or practitioner's profile image at new keys.
    pub async fn set_profile_photo(
        &self,
        kind: ProfileKind,
        org: &str,
        id: &str,
        key: &str,
        thumb: &str,
    ) -> sqlx::Result<()> {
        let table = match kind {
            ProfileKind::Patient => "patients",
            ProfileKind::Practitioner => "users",
        };
        sqlx::query(&format!("UPDATE {table} SET photo_key = $1, photo_thumb_key = $2 WHERE org_id = $3 AND id = $4"))
            .bind(key)
            .bind(thumb)
            .bind(org)
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Whether `key` is a current profile image (or its avatar) of a patient or practitioner.
    pub async fn is_profile_key(&self, key: &str) -> sqlx::Result<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM patients WHERE photo_key = $1 OR photo_thumb_key = $1) \
             + (SELECT COUNT(*) FROM users WHERE photo_key = $1 OR photo_thumb_key = $1)",
        )
        .bind(key)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user)
            .bind(ms(now))
            .bind(ms(expires))
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// The users and clinics behind session tokens, in one query on `conn` (every request
    /// asks; `session_reads` keeps its own connections for it). Each row comes with its token
    /// hash and expiry (Unix ms), so the caller can tell expired sessions with its own time.
    pub async fn session_users(conn: &mut AnyConnection, token_hashes: &[&str]) -> sqlx::Result<Vec<SessionUser>> {
        if token_hashes.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=token_hashes.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT s.token_hash, s.expires_at, u.id, u.org_id, u.email, u.name, u.role, u.password_hash, u.photo_key, \
             u.photo_thumb_key, o.name AS org_name, o.domain AS org_domain, o.plan AS org_plan, \
             o.used_bytes AS org_used_bytes, o.doc_version AS org_doc_version \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id \
             WHERE s.token_hash IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, SessionRow>(&sql);
        for h in token_hashes {
            q = q.bind(*h);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let org = OrgRow {
                    id: r.user.org_id.clone(),
                    name: r.org_name,
                    domain: r.org_domain,
                    plan: r.org_plan,
                    used_bytes: r.org_used_bytes,
                    doc_version: r.org_doc_version,
                };
                SessionUser { token_hash: r.token_hash, expires_at: r.expires_at, user: r.user, org }
            })
            .collect())
    }

    pub async fn delete_session(&self, token_hash: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await.map(|_| ())
    }

    pub async fn create_patient(
        &self,
        id: Uuid,
        org: &str,
        name: &str,
        dob: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO patients (id, org_id, name, name_lower, date_of_birth, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(org)
        .bind(name)
        .bind(name.to_lowercase())
        .bind(dob)
        .bind(ms(now))
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    pub async fn patient(&self, org: &str, id: &str) -> sqlx::Result<Option<PatientRow>> {
        sqlx::query_as(&format!("SELECT {PATIENT_COLS} FROM patients WHERE org_id = $1 AND id = $2"))
            .bind(org)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Patients whose name contains `q` (any case) or whose date of birth is `q`.
    pub async fn search_patients(&self, org: &str, q: &str, limit: i64) -> sqlx::Result<Vec<PatientRow>> {
        let needle = q.trim().to_lowercase().replace(['%', '_'], "");
        sqlx::query_as(&format!(
            "SELECT {PATIENT_COLS} FROM patients WHERE org_id = $1 AND (name_lower LIKE $2 OR date_of_birth = $3) ORDER BY name_lower, id LIMIT $4"
        ))
        .bind(org)
        .bind(format!("%{needle}%"))
        .bind(q.trim())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn create_encounter(
        &self,
        id: Uuid,
        org: &str,
        patient: &str,
        date: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO encounters (id, org_id, patient_id, date, reason, document_count, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(id.to_string())
        .bind(org)
        .bind(patient)
        .bind(date)
        .bind(reason)
        .bind(ms(now))
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    pub async fn encounters(&self, org: &str, patient: &str) -> sqlx::Result<Vec<EncounterRow>> {
        sqlx::query_as(
            "SELECT id, patient_id, date, reason, document_count FROM encounters WHERE org_id = $1 AND patient_id = $2 ORDER BY date DESC, id",
        )
        .bind(org)
        .bind(patient)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn encounter(&self, org: &str, id: &str) -> sqlx::Result<Option<EncounterRow>> {
        sqlx::query_as(
            "SELECT id, patient_id, date, reason, document_count FROM encounters WHERE org_id = $1 AND id = $2",
        )
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Atomically adds `n` documents to a visit unless that would pass `max`.
    pub async fn reserve_visit_slots(&self, org: &str, encounter: &str, n: i64, max: i64) -> sqlx::Result<bool> {
        let r = sqlx::query(
            "UPDATE encounters SET document_count = document_count + $1 WHERE org_id = $2 AND id = $3 AND document_count + $1 <= $4",
        )
        .bind(n)
        .bind(org)
        .bind(encounter)
        .bind(max)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn release_visit_slots(&self, org: &str, encounter: &str, n: i64) -> sqlx::Result<()> {
        sqlx::query("UPDATE encounters SET document_count = document_count - $1 WHERE org_id = $2 AND id = $3 AND document_count >= $1")
            .bind(n)
            .bind(org)
            .bind(encounter)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}
