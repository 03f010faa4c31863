//! The append-only audit log (the database refuses updates and deletes of its rows). An event
//! is written on its own, or inside the transaction of the change it records; on SQLite it is
//! sealed in the same transaction (see [`super::audit_seals`]).

use super::columns::{select_list, Reader};
use super::sql::{Bind, Params};
use super::{audit_seals, ms, Db, Dialect};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::AuditEvent;
use clinicdocs_core::audit::{summary, AuditAction, AuditTarget, Named};
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

/// An event's columns as read back, with the names it points at as they are now, in the order
/// [`read_event`] reads them (`e.` is the event; the joins are [`EVENT_JOINS`]).
const EVENT_COLUMNS: [&str; 15] = [
    "e.id",
    "e.at",
    "e.actor_id",
    "e.actor_email",
    "e.action",
    "e.target_type",
    "e.target_id",
    "e.detail",
    "e.remote_addr",
    "au.name",
    "d.id",
    "d.title",
    "p.id",
    "p.name",
    "tu.name",
];

/// What an event points at, each within the event's clinic: its actor; the document (directly,
/// or through a mark); the patient (directly, or through the document, a visit or a share); the staff
/// member.
const EVENT_JOINS: &str = "LEFT JOIN users au ON au.id = e.actor_id AND au.org_id = e.org_id \
     LEFT JOIN annotations an ON e.target_type = 'annotation' AND an.id = e.target_id AND an.org_id = e.org_id \
     LEFT JOIN documents d ON d.org_id = e.org_id AND d.id = (CASE WHEN e.target_type = 'document' THEN e.target_id \
         WHEN e.target_type = 'annotation' THEN an.document_id END) \
     LEFT JOIN visits v ON e.target_type = 'visit' AND v.id = e.target_id AND v.org_id = e.org_id \
     LEFT JOIN shares sh ON e.target_type = 'share' AND sh.id = e.target_id AND sh.org_id = e.org_id \
     LEFT JOIN patients p ON p.org_id = e.org_id AND p.id = COALESCE(d.patient_id, v.patient_id, sh.patient_id, \
         CASE WHEN e.target_type = 'patient' THEN e.target_id END) \
     LEFT JOIN users tu ON e.target_type = 'user' AND tu.id = e.target_id AND tu.org_id = e.org_id";

/// Which events to read (every field `None`: all of them).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub action: Option<AuditAction>,
    pub actor: Option<Uuid>,
    pub patient: Option<Uuid>,
    pub document: Option<Uuid>,
    /// From this moment, included.
    pub from: Option<DateTime<Utc>>,
    /// Until this moment, not included.
    pub to: Option<DateTime<Utc>>,
}

fn read_event(row: AnyRow) -> sqlx::Result<AuditEvent> {
    let mut r = Reader::new(&row);
    let (id, at, actor_id, actor_email) = (r.int()?, r.time()?, r.opt_uuid()?, r.opt_text()?);
    let action = r.parsed(AuditAction::parse)?;
    let target_type = r.parsed(AuditTarget::parse)?;
    let (target_id, detail, remote_addr) = (r.opt_text()?, r.opt_text()?, r.opt_text()?);
    let actor_name = r.opt_text()?;
    let (document_id, document_title) = (r.opt_uuid()?, r.opt_text()?);
    let (patient_id, patient_name) = (r.opt_uuid()?, r.opt_text()?);
    let staff_name = r.opt_text()?;
    let named = Named {
        actor: actor_name.as_deref().or(actor_email.as_deref()),
        document: document_title.as_deref(),
        patient: patient_name.as_deref(),
        staff: staff_name.as_deref(),
    };
    let summary = summary(action, target_type, named);
    Ok(AuditEvent {
        id,
        at,
        actor_id,
        actor_email,
        action,
        target_type,
        target_id,
        detail,
        remote_addr,
        actor_name,
        document_id,
        document_title,
        patient_id,
        patient_name,
        staff_name,
        summary,
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

    /// The clinic's events matching `filter` before id `before` (all when `None`), newest first.
    pub async fn events(
        &self,
        org: Uuid,
        filter: &EventFilter,
        before: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<AuditEvent>> {
        let sql = format!(
            "SELECT {} FROM audit_events e {EVENT_JOINS} WHERE e.org_id = $1 AND e.id < $2 \
             AND ($3 = '' OR e.action = $3) AND ($4 = '' OR e.actor_id = $4) AND ($5 = '' OR d.id = $5) \
             AND ($6 = '' OR p.id = $6) AND e.at >= $7 AND e.at < $8 ORDER BY e.id DESC LIMIT $9",
            select_list(&EVENT_COLUMNS)
        );
        let id = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(before.unwrap_or(i64::MAX))
            .bind(filter.action.map_or("", AuditAction::as_str))
            .bind(id(filter.actor))
            .bind(id(filter.document))
            .bind(id(filter.patient))
            .bind(filter.from.map_or(i64::MIN, ms))
            .bind(filter.to.map_or(i64::MAX, ms))
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
