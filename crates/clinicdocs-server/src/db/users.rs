//! Staff accounts and their sessions (bearer tokens, stored only as SHA-256 hashes).

use super::columns::{select_list, Columns, Reader};
use super::orgs::{OrgRow, ORG_COLUMNS};
use super::{ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::User;
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
}

/// A user row's columns, in the order [`UserRow::read`] reads them (`u.` is the users table).
pub const USER_COLUMNS: [&str; 8] =
    ["u.id", "u.org_id", "u.email", "u.name", "u.role", "u.password_hash", "u.photo_key", "u.photo_thumb_key"];

impl UserRow {
    pub fn read<C: Columns + ?Sized>(r: &mut Reader<'_, C>) -> sqlx::Result<UserRow> {
        let (id, org_id, email, name) = (r.uuid()?, r.uuid()?, r.text()?, r.text()?);
        let role = r.parsed(Role::parse)?;
        Ok(UserRow {
            user: User { id, name, email, role, org_id },
            password_hash: r.text()?,
            photo_key: r.opt_text()?,
            photo_thumb_key: r.opt_text()?,
        })
    }
}

fn user(row: AnyRow) -> sqlx::Result<UserRow> {
    UserRow::read(&mut Reader::new(&row))
}

/// A session's row: whose it is and until when (Unix ms).
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub token_hash: String,
    pub expires_at: i64,
    pub user: UserRow,
    pub org: OrgRow,
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
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user.to_string())
            .bind(ms(now))
            .bind(ms(expires))
            .execute(&self.0.pool)
            .await
            .map(|_| ())
    }

    pub async fn delete_session(&self, token_hash: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.0.pool)
            .await
            .map(|_| ())
    }
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
        "SELECT s.token_hash, s.expires_at, {}, {} FROM sessions s JOIN users u ON u.id = s.user_id \
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
                user: UserRow::read(&mut r)?,
                org: OrgRow::read(&mut r)?,
            })
        })
        .collect()
}
