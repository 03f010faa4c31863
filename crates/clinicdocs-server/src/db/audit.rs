//! The append-only audit log (the database refuses updates and deletes of its rows). An event
//! is written on its own, or inside the transaction of the change it records; on SQLite it is
//! sealed in the same transaction (see [`super::audit_seals`]).

use super::columns::{select_list, Reader};
use super::sql::{Bind, Params};
use super::{audit_seals, ms, Db, Dialect};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::AuditEvent;
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use sqlx::any::AnyRow;
use uuid::Uuid;

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    /// The clinic whose log it goes in; `None` when the request named no clinic.
    pub org_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: AuditAction,
    pub target_type: AuditTarget,
    pub target_id: Option<String>,
    pub detail: Option<String>,
    pub remote_addr: Option<String>,
}

impl NewAuditEvent {
    /// An event with no actor (an anonymous request), to be filled in.
    pub fn new(action: AuditAction, target_type: AuditTarget) -> NewAuditEvent {
        NewAuditEvent {
            org_id: None,
            actor_id: None,
            actor_email: None,
            action,
            target_type,
            target_id: None,
            detail: None,
            remote_addr: None,
        }
    }

    /// The row's values at `at`, in the order of [`INSERT_COLUMNS`].
    pub fn values(&self, at: DateTime<Utc>) -> [Bind; 9] {
        [
            Bind::OptS(self.org_id.map(|o| o.to_string())),
            Bind::I(ms(at)),
            Bind::OptS(self.actor_id.map(|a| a.to_string())),
            Bind::OptS(self.actor_email.clone()),
            Bind::S(self.action.as_str().to_string()),
            Bind::S(self.target_type.as_str().to_string()),
            Bind::OptS(self.target_id.clone()),
            Bind::OptS(self.detail.clone()),
            Bind::OptS(self.remote_addr.clone()),
        ]
    }
}

/// The table and columns an event is inserted into.
pub const INSERT_COLUMNS: &str =
    "audit_events (org_id, at, actor_id, actor_email, action, target_type, target_id, detail, remote_addr)";

/// An event's columns as read back, in the order [`read_event`] reads them.
const EVENT_COLUMNS: [&str; 9] =
    ["id", "at", "actor_id", "actor_email", "action", "target_type", "target_id", "detail", "remote_addr"];

fn read_event(row: AnyRow) -> sqlx::Result<AuditEvent> {
    let mut r = Reader::new(&row);
    Ok(AuditEvent {
        id: r.int()?,
        at: r.time()?,
        actor_id: r.opt_uuid()?,
        actor_email: r.opt_text()?,
        action: r.parsed(AuditAction::parse)?,
        target_type: r.parsed(AuditTarget::parse)?,
        target_id: r.opt_text()?,
        detail: r.opt_text()?,
        remote_addr: r.opt_text()?,
    })
}

/// The audit log.
pub struct Audit<'a>(pub(super) &'a Db);

impl Db {
    /// The audit log.
    pub fn audit(&self) -> Audit<'_> {
        Audit(self)
    }
}

impl Audit<'_> {
    pub async fn append(&self, e: &NewAuditEvent, at: DateTime<Utc>) -> sqlx::Result<()> {
        match self.0.dialect {
            Dialect::Sqlite => {
                let mut tx = self.0.pool.begin().await?;
                insert_event(&mut tx, Dialect::Sqlite, e, at).await?;
                tx.commit().await
            }
            Dialect::Postgres => insert_event(&mut *self.0.pool.acquire().await?, Dialect::Postgres, e, at).await,
        }
    }

    /// The clinic's events before id `before` (all when `None`), newest first.
    pub async fn events(
        &self,
        org: Uuid,
        before: Option<i64>,
        action: Option<AuditAction>,
        limit: i64,
    ) -> sqlx::Result<Vec<AuditEvent>> {
        let sql = format!(
            "SELECT {} FROM audit_events WHERE org_id = $1 AND id < $2 AND ($3 = '' OR action = $3) ORDER BY id DESC LIMIT $4",
            select_list(&EVENT_COLUMNS)
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(before.unwrap_or(i64::MAX))
            .bind(action.map_or("", AuditAction::as_str))
            .bind(limit)
            .fetch_all(&self.0.pool)
            .await?
            .into_iter()
            .map(read_event)
            .collect()
    }
}

/// Appends one event on a connection, inside a transaction on SQLite (whose seal is written
/// with it).
pub async fn insert_event(
    conn: &mut sqlx::AnyConnection,
    dialect: Dialect,
    e: &NewAuditEvent,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    let mut p = Params::default();
    let values = p.row(e.values(at));
    sqlx::query_with(&format!("INSERT INTO {INSERT_COLUMNS} VALUES {values}"), p.arguments()?)
        .execute(&mut *conn)
        .await?;
    if dialect == Dialect::Sqlite {
        audit_seals::seal_latest(conn, 1).await?;
    }
    Ok(())
}
