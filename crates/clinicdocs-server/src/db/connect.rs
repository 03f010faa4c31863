//! Opening the database: the pool for the URL's dialect, its migrations (run as the owner role
//! on PostgreSQL when one is given, which then grants the server's role what it needs, see
//! [`super::roles`]), and on SQLite the sealing of audit events written before seals existed
//! (see [`super::audit_seals`]); then the sort keys of documents from before natural name order.

use super::{audit_seals, roles, Db, Dialect};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::time::Duration;

/// How long a request waits for a database connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections kept to SQLite (one writer at a time; the rest read) and to PostgreSQL.
const SQLITE_POOL_SIZE: u32 = 8;
const POSTGRES_POOL_SIZE: u32 = 16;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Dialect {
    fn pool_size(self) -> u32 {
        match self {
            Dialect::Sqlite => SQLITE_POOL_SIZE,
            Dialect::Postgres => POSTGRES_POOL_SIZE,
        }
    }
}

impl Db {
    /// Connects and applies the dialect's migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        Db::connect_as(url, None).await
    }

    /// Connects without migrating or sealing anything: for checks that must not change what
    /// they check.
    pub async fn connect_unchanged(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let dialect = dialect_of(url)?;
        let pool = open_pool(dialect, url, 1).await?;
        Ok(Db { pool, dialect, commit_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(1)) })
    }

    /// Connects as `url`'s role. With an owner URL (PostgreSQL only) the migrations run as the
    /// owner, who then grants the server's role what it needs and no more (see [`roles`]);
    /// without one they run as `url`'s role. On SQLite, the events written before audit seals
    /// existed are sealed when the migration adding them runs (see [`audit_seals`]).
    pub async fn connect_as(url: &str, owner_url: Option<&str>) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let dialect = dialect_of(url)?;
        let pool = open_pool(dialect, url, dialect.pool_size()).await?;
        match (dialect, owner_url) {
            (Dialect::Sqlite, None) => {
                let had_seals = audit_seals::table_exists(&pool).await?;
                SQLITE_MIGRATIONS.run(&pool).await?;
                // Only when the migration adding seals has just run: never later, or a run
                // could seal rows someone edited after their seals were removed.
                if !had_seals {
                    let sealed = audit_seals::seal_backlog(&pool).await?;
                    tracing::info!(sealed, "sealed the audit events written before seals existed");
                }
            }
            (Dialect::Sqlite, Some(_)) => {
                anyhow::bail!("DATABASE_OWNER_URL is for PostgreSQL; a SQLite database has no roles")
            }
            (Dialect::Postgres, None) => POSTGRES_MIGRATIONS.run(&pool).await?,
            (Dialect::Postgres, Some(owner_url)) => {
                if dialect_of(owner_url)? != Dialect::Postgres {
                    anyhow::bail!("DATABASE_OWNER_URL must be a postgres:// URL, like DATABASE_URL");
                }
                let owner =
                    open_pool(dialect, owner_url, 1).await.map_err(|e| anyhow::anyhow!("DATABASE_OWNER_URL: {e}"))?;
                POSTGRES_MIGRATIONS.run(&owner).await?;
                let server_role = roles::current_user(&pool).await?;
                if roles::current_user(&owner).await? != server_role {
                    roles::grant_server_role(&owner, &server_role).await?;
                }
                owner.close().await;
            }
        }
        let early = (f64::from(dialect.pool_size()) * super::upload_commit::EARLY_COMMIT_SHARE) as usize;
        let db = Db { pool, dialect, commit_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(early.max(1))) };
        let keyed = db.documents().fill_title_keys().await?;
        if keyed > 0 {
            tracing::info!(keyed, "gave the documents from before natural name order their sort keys");
        }
        Ok(db)
    }
}

fn dialect_of(url: &str) -> anyhow::Result<Dialect> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Dialect::Postgres)
    } else if url.starts_with("sqlite:") {
        Ok(Dialect::Sqlite)
    } else {
        anyhow::bail!("DATABASE_URL must start with sqlite: or postgres://")
    }
}

/// A pool of at most `size` connections, set up for the dialect.
async fn open_pool(dialect: Dialect, url: &str, size: u32) -> sqlx::Result<AnyPool> {
    let opts = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT).max_connections(size);
    match dialect {
        Dialect::Sqlite => opts.after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("PRAGMA journal_mode=WAL").execute(&mut *conn).await?;
                sqlx::query("PRAGMA synchronous=FULL").execute(&mut *conn).await?;
                sqlx::query("PRAGMA foreign_keys=ON").execute(&mut *conn).await?;
                sqlx::query("PRAGMA busy_timeout=10000").execute(&mut *conn).await?;
                Ok(())
            })
        }),
        Dialect::Postgres => opts,
    }
    .connect(url)
    .await
}
