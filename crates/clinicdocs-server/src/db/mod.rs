//! The database: one pool type (sqlx `Any`) over SQLite or PostgreSQL, selected by the URL,
//! with one migrations folder per dialect, and one type per concern over it — [`Db::orgs`],
//! [`Db::users`] (and their sessions), [`Db::patients`] (and their visits),
//! [`Db::documents`] (listing and the upload's commit beside it), [`Db::annotations`],
//! [`Db::audit`]. Every query that reads clinic data filters by `org_id`. Queries use `$n`
//! placeholders, which both dialects accept.

pub mod annotations;
pub mod audit;
pub mod columns;
pub mod documents;
pub mod listing;
pub mod orgs;
pub mod patients;
mod photos;
pub mod sql;
pub mod upload_commit;
pub mod users;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
}

/// How long a request waits for a database connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections kept to SQLite (one writer at a time; the rest read) and to PostgreSQL.
const SQLITE_POOL_SIZE: u32 = 8;
const POSTGRES_POOL_SIZE: u32 = 16;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects and applies the dialect's migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres://");
        };
        let mut opts = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
        opts = match dialect {
            Dialect::Sqlite => opts.max_connections(SQLITE_POOL_SIZE).after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA journal_mode=WAL").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA synchronous=FULL").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA foreign_keys=ON").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA busy_timeout=10000").execute(&mut *conn).await?;
                    Ok(())
                })
            }),
            Dialect::Postgres => opts.max_connections(POSTGRES_POOL_SIZE),
        };
        let pool = opts.connect(url).await?;
        match dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Db { pool, dialect })
    }

    pub fn orgs(&self) -> orgs::Orgs<'_> {
        orgs::Orgs(self)
    }
    pub fn users(&self) -> users::Users<'_> {
        users::Users(self)
    }
    pub fn patients(&self) -> patients::Patients<'_> {
        patients::Patients(self)
    }
    pub fn documents(&self) -> documents::Documents<'_> {
        documents::Documents(self)
    }
    pub fn annotations(&self) -> annotations::Annotations<'_> {
        annotations::Annotations(self)
    }
    pub fn audit(&self) -> audit::Audit<'_> {
        audit::Audit(self)
    }
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
