//! The database: one pool type (sqlx `Any`) over SQLite or PostgreSQL, selected by the URL,
//! with one migrations folder per dialect, and one type per concern over it — [`Db::orgs`],
//! [`Db::users`] (and their sessions), [`Db::patients`] (and their visits),
//! [`Db::documents`] (listing and the upload's commit beside it), [`Db::annotations`],
//! [`Db::contacts`], [`Db::shares`] (and their codes, [`Db::share_codes`]), [`Db::audit`]. Every query that reads clinic data filters by `org_id`. Queries use `$n`
//! placeholders, which both dialects accept.

pub mod annotations;
pub mod audit;
pub mod audit_seals;
pub mod columns;
mod connect;
pub mod contacts;
pub mod documents;
pub mod listing;
pub mod orgs;
pub mod patients;
mod photos;
pub mod roles;
pub mod share_codes;
pub mod shares;
pub mod sql;
pub mod upload_commit;
pub mod users;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::AnyPool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// Connections uploads may hold while readying their commit (see `upload_commit`).
    pub(crate) commit_slots: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Unix milliseconds, the database's time format.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation() || d.code().is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}
