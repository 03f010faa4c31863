//! Staff accounts, their sessions (bearer tokens, stored only as SHA-256 hashes) and their
//! one-time setup codes (stored only as SHA-256 hashes too). Every change to staff runs in one
//! transaction with its audit event.

use super::audit::{insert_event, NewAuditEvent};
use super::columns::{select_list, Columns, Reader};
use super::orgs::{OrgRow, StoredLimits, ORG_COLUMNS};
use super::{ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{Practitioner, StaffMember, User};
use clinicdocs_core::limits::Plan;
use clinicdocs_core::Role;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use uuid::Uuid;

/// A staff account: what the API shows of it, and what only the server keeps.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub user: User,
    pub password_hash: String,
    pub photo_key: Option<String>,
    pub photo_thumb_key: Option<String>,
    /// When an administrator ended their access; `None` while they may sign in.
    pub deactivated_at: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    pub fn active(&self) -> bool {
        self.deactivated_at.is_none()
    }

    /// Whether they chose a password yet (a new account has none until its setup code is used).
    pub fn password_set(&self) -> bool {
        !self.password_hash.is_empty()
    }

    pub fn to_staff(&self) -> StaffMember {
        let u = &self.user;
        StaffMember {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role,
            active: self.active(),
            password_set: self.password_set(),
            created_at: self.created_at,
        }
    }
}

/// A user row's columns, in the order [`UserRow::read`] reads them (`u.` is the users table).
pub const USER_COLUMNS: [&str; 10] = [
    "u.id",
    "u.org_id",
    "u.email",
    "u.name",
    "u.role",
    "u.password_hash",
    "u.photo_key",
    "u.photo_thumb_key",
    "u.deactivated_at",
    "u.created_at",
];

impl UserRow {
    pub fn read<C: Columns + ?Sized>(r: &mut Reader<'_, C>) -> sqlx::Result<UserRow> {
        let (id, org_id, email, name) = (r.uuid()?, r.uuid()?, r.text()?, r.text()?);
        let role = r.parsed(Role::parse)?;
        Ok(UserRow {
            user: User { id, name, email, role, org_id },
            password_hash: r.text()?,
            photo_key: r.opt_text()?,
            photo_thumb_key: r.opt_text()?,
            deactivated_at: r.opt_int()?,
            created_at: r.time()?,
        })
    }
}

fn user(row: AnyRow) -> sqlx::Result<UserRow> {
    UserRow::read(&mut Reader::new(&row))
}

/// A session's row: whose it is, until when, and when it was last used (Unix ms).
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub token_hash: String,
    pub expires_at: i64,
    /// When a request last used it (its start until one did).
    pub last_used_at: i64,
    pub user: UserRow,
    pub org: OrgRow,
}

impl SessionUser {
    /// Whether the session still lets its user in at `now_ms`: not past its lifetime, not
    /// unused for longer than the clinic's idle timeout, and its user still active.
    pub fn live_at(&self, now_ms: i64) -> bool {
        let idle_ms = self.org.session_idle_minutes.saturating_mul(60_000);
        self.expires_at > now_ms && self.last_used_at.saturating_add(idle_ms) > now_ms && self.user.active()
    }
}

/// What a staff change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffOutcome {
    Changed,
    /// No such user in the clinic.
    Missing,
    /// Refused: the clinic would be left without an active administrator.
    LastAdmin,
    /// Refused: the one asking is no longer an active administrator of the clinic (their role
    /// changed after their request was let in).
    NotAllowed,
}

/// A change to one staff member (absent: unchanged).
#[derive(Debug, Clone, Default)]
pub struct StaffChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// The users and sessions tables.
pub struct Users<'a>(pub(super) &'a Db);

impl Db {
    /// Staff accounts and their sessions.
    pub fn users(&self) -> Users<'_> {
        Users(self)
    }
}

impl Users<'_> {
    pub async fn create(&self, user: &User, password_hash: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
        insert_user(&mut *self.0.pool.acquire().await?, user, password_hash, now).await
    }

    /// Adds a clinic with its first administrator (no password yet) and their setup code, and
    /// the events saying so, in one transaction.
    pub async fn add_clinic_with_admin(
        &self,
        clinic: &NewClinic<'_>,
        admin: &User,
        code: &NewSetupCode,
        events: &[NewAuditEvent],
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        super::orgs::create(
            &mut tx,
            admin.org_id,
            clinic.name,
            clinic.domain,
            clinic.plan,
            StoredLimits::default(),
            now,
        )
        .await?;
        insert_user(&mut tx, admin, "", now).await?;
        insert_setup_code(&mut tx, admin.id, code, now).await?;
        for e in events {
            insert_event(&mut tx, self.0.dialect, e, now).await?;
        }
        tx.commit().await
    }

    /// The clinic's active doctors and administrators, by name: whom a visit can be with.
    pub async fn practitioners(&self, org: Uuid) -> sqlx::Result<Vec<Practitioner>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, name FROM users WHERE org_id = $1 AND role IN ('doctor', 'admin') AND deactivated_at IS NULL \
             ORDER BY role = 'admin', name",
        )
        .bind(org.to_string())
        .fetch_all(&self.0.pool)
        .await?;
        rows.into_iter().map(|(id, name)| Ok(Practitioner { id: super::columns::parse_uuid(&id)?, name })).collect()
    }

    /// The clinic's staff, active first, by name.
    pub async fn staff(&self, org: Uuid) -> sqlx::Result<Vec<UserRow>> {
        let sql = format!(
            "SELECT {} FROM users u WHERE u.org_id = $1 ORDER BY (u.deactivated_at IS NULL) DESC, u.name, u.email",
            select_list(&USER_COLUMNS)
        );
        sqlx::query(&sql).bind(org.to_string()).fetch_all(&self.0.pool).await?.into_iter().map(user).collect()
    }

    /// Adds a staff member without a password, with the setup code they choose one with, for
    /// `admin` while they are still an active administrator of the clinic.
    pub async fn add_staff(
        &self,
        admin: Uuid,
        user: &User,
        code: &NewSetupCode,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<StaffOutcome> {
        let mut tx = self.0.pool.begin().await?;
        if !lock_clinic_as_admin(&mut tx, user.org_id, Some(admin)).await? {
            return Ok(StaffOutcome::NotAllowed);
        }
        insert_user(&mut tx, user, "", now).await?;
        insert_setup_code(&mut tx, user.id, code, now).await?;
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(StaffOutcome::Changed)
    }

    /// Changes a staff member of `org` for `admin`. Ending someone's access closes every session
    /// of theirs and voids their setup codes; a change that would leave the clinic without an
    /// active administrator who can sign in is refused. The clinic's row is locked first, so two
    /// such changes at once cannot both pass, and `admin` must still be an active administrator.
    pub async fn change_staff(
        &self,
        org: Uuid,
        admin: Uuid,
        id: Uuid,
        change: &StaffChange,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<StaffOutcome> {
        let mut tx = self.0.pool.begin().await?;
        if !lock_clinic_as_admin(&mut tx, org, Some(admin)).await? {
            return Ok(StaffOutcome::NotAllowed);
        }
        let deactivated = match change.active {
            None => "deactivated_at",
            Some(true) => "NULL",
            Some(false) => "COALESCE(deactivated_at, $5)",
        };
        let sql = format!(
            "UPDATE users SET name = COALESCE($1, name), role = COALESCE($2, role), deactivated_at = {deactivated} \
             WHERE org_id = $3 AND id = $4"
        );
        let mut q = sqlx::query(&sql)
            .bind(change.name.clone())
            .bind(change.role.map(|r| r.as_str().to_string()))
            .bind(org.to_string())
            .bind(id.to_string());
        if change.active == Some(false) {
            q = q.bind(ms(now));
        }
        if q.execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(StaffOutcome::Missing);
        }
        let (admins,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM users WHERE org_id = $1 AND role = 'admin' AND deactivated_at IS NULL \
             AND password_hash <> ''",
        )
        .bind(org.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if admins == 0 {
            return Ok(StaffOutcome::LastAdmin);
        }
        if change.active == Some(false) {
            end_sessions(&mut tx, id, None).await?;
            void_setup_codes(&mut tx, id, now).await?;
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(StaffOutcome::Changed)
    }

    /// A new setup code for a staff member of `org`, voiding the ones before it, for `admin`
    /// (`None`: the operator's command). `Missing` when there is no such user.
    pub async fn renew_setup_code(
        &self,
        org: Uuid,
        admin: Option<Uuid>,
        id: Uuid,
        code: &NewSetupCode,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<StaffOutcome> {
        let mut tx = self.0.pool.begin().await?;
        if !lock_clinic_as_admin(&mut tx, org, admin).await? {
            return Ok(StaffOutcome::NotAllowed);
        }
        let found = sqlx::query("SELECT id FROM users WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Ok(StaffOutcome::Missing);
        }
        void_setup_codes(&mut tx, id, now).await?;
        insert_setup_code(&mut tx, id, code, now).await?;
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(StaffOutcome::Changed)
    }

    /// The account a setup code belongs to while it is unused and unexpired.
    pub async fn by_setup_code(&self, code_hash: &str, now: DateTime<Utc>) -> sqlx::Result<Option<UserRow>> {
        let sql = format!(
            "SELECT {} FROM setup_codes c JOIN users u ON u.id = c.user_id \
             WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.expires_at > $2",
            select_list(&USER_COLUMNS)
        );
        sqlx::query(&sql).bind(code_hash).bind(ms(now)).fetch_optional(&self.0.pool).await?.map(user).transpose()
    }

    /// Uses a setup code: sets the password of its account, ends every session it had (a code
    /// given to someone who forgot their password replaces it) and opens a new one, in one
    /// transaction. `false` when the code was used, voided or expired meanwhile, or the account
    /// was deactivated. The user's row is locked first, as deactivation locks it first.
    pub async fn set_password_with_code(
        &self,
        code_hash: &str,
        user: Uuid,
        password_hash: &str,
        session: (&str, DateTime<Utc>),
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let mut tx = self.0.pool.begin().await?;
        let active = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND deactivated_at IS NULL")
            .bind(password_hash)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let used = sqlx::query(
            "UPDATE setup_codes SET used_at = $1 WHERE code_hash = $2 AND user_id = $3 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(ms(now))
        .bind(code_hash)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if active == 0 || used == 0 {
            return Ok(false);
        }
        end_sessions(&mut tx, user, None).await?;
        insert_session(&mut tx, session.0, user, now, session.1).await?;
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Changes a password and ends every other session of the account, in one transaction.
    pub async fn change_password(
        &self,
        user: Uuid,
        password_hash: &str,
        keep_session: &str,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        set_password(&mut tx, user, password_hash).await?;
        end_sessions(&mut tx, user, Some(keep_session)).await?;
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await
    }

    /// Notes that a session was used at `now`.
    pub async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(ms(now))
            .bind(token_hash)
            .execute(&self.0.pool)
            .await
            .map(|_| ())
    }

    pub async fn by_email(&self, email: &str) -> sqlx::Result<Option<UserRow>> {
        let sql = format!("SELECT {} FROM users u WHERE u.email = $1", select_list(&USER_COLUMNS));
        sqlx::query(&sql).bind(email.trim().to_lowercase()).fetch_optional(&self.0.pool).await?.map(user).transpose()
    }

    /// A user of the clinic `org` (another clinic's id finds nothing).
    pub async fn in_org(&self, org: Uuid, id: Uuid) -> sqlx::Result<Option<UserRow>> {
        let sql = format!("SELECT {} FROM users u WHERE u.org_id = $1 AND u.id = $2", select_list(&USER_COLUMNS));
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.0.pool)
            .await?
            .map(user)
            .transpose()
    }

    /// Points a practitioner's profile image at new keys.
    pub async fn set_photo(&self, org: Uuid, id: Uuid, key: &str, thumb: &str) -> sqlx::Result<()> {
        super::photos::set(self.0, "users", org, id, key, thumb).await
    }

    /// Whether `key` is a practitioner's current profile image (or its avatar).
    pub async fn has_photo_key(&self, key: &str) -> sqlx::Result<bool> {
        super::photos::holds(self.0, "users", key).await
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user: Uuid,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        insert_session(&mut *self.0.pool.acquire().await?, token_hash, user, now, expires).await
    }

    pub async fn delete_session(&self, token_hash: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.0.pool)
            .await
            .map(|_| ())
    }
}

/// A clinic to add: its name, domain and plan.
#[derive(Debug, Clone, Copy)]
pub struct NewClinic<'a> {
    pub name: &'a str,
    pub domain: &'a str,
    pub plan: Plan,
}

/// A setup code to store: the hash of its normalised spelling, and when it expires.
#[derive(Debug, Clone)]
pub struct NewSetupCode {
    pub code_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// Adds a user on `conn` (inside the caller's transaction); an empty hash: no password yet.
pub async fn insert_user(
    conn: &mut AnyConnection,
    user: &User,
    password_hash: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, org_id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user.id.to_string())
    .bind(user.org_id.to_string())
    .bind(user.email.to_lowercase())
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(password_hash)
    .bind(ms(now))
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn insert_setup_code(
    conn: &mut AnyConnection,
    user: Uuid,
    code: &NewSetupCode,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO setup_codes (code_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&code.code_hash)
        .bind(user.to_string())
        .bind(ms(now))
        .bind(ms(code.expires_at))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Locks the clinic's row (so staff changes in it run one at a time) and tells whether `admin`
/// is still one of its active administrators (always, for `None`: the operator).
async fn lock_clinic_as_admin(conn: &mut AnyConnection, org: Uuid, admin: Option<Uuid>) -> sqlx::Result<bool> {
    sqlx::query("UPDATE orgs SET name = name WHERE id = $1").bind(org.to_string()).execute(&mut *conn).await?;
    let Some(admin) = admin else { return Ok(true) };
    let found =
        sqlx::query("SELECT id FROM users WHERE id = $1 AND org_id = $2 AND role = 'admin' AND deactivated_at IS NULL")
            .bind(admin.to_string())
            .bind(org.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// Marks every unused setup code of `user` used: none of them works any more.
async fn void_setup_codes(conn: &mut AnyConnection, user: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE setup_codes SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(ms(now))
        .bind(user.to_string())
        .execute(conn)
        .await
        .map(|_| ())
}

async fn set_password(conn: &mut AnyConnection, user: Uuid, password_hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user.to_string())
        .execute(conn)
        .await
        .map(|_| ())
}

async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user: Uuid,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)",
    )
    .bind(token_hash)
    .bind(user.to_string())
    .bind(ms(now))
    .bind(ms(expires))
    .execute(conn)
    .await
    .map(|_| ())
}

/// Ends every session of `user` but `keep` (when given).
async fn end_sessions(conn: &mut AnyConnection, user: Uuid, keep: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user.to_string())
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The users and clinics behind session tokens, in one query on `conn` (every request asks;
/// `session_reads` keeps its own connections for it). Each row comes with its token hash and
/// expiry (Unix ms), so the caller can tell expired sessions with its own time.
pub async fn session_users(conn: &mut AnyConnection, token_hashes: &[&str]) -> sqlx::Result<Vec<SessionUser>> {
    if token_hashes.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=token_hashes.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT s.token_hash, s.expires_at, COALESCE(s.last_seen_at, s.created_at), {}, {} FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN orgs o ON o.id = u.org_id WHERE s.token_hash IN ({})",
        select_list(&USER_COLUMNS),
        select_list(&ORG_COLUMNS),
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for h in token_hashes {
        q = q.bind(*h);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            let mut r = Reader::new(row);
            Ok(SessionUser {
                token_hash: r.text()?,
                expires_at: r.int()?,
                last_used_at: r.int()?,
                user: UserRow::read(&mut r)?,
                org: OrgRow::read(&mut r)?,
            })
        })
        .collect()
}
