//! The append-only audit log (the database refuses updates and deletes of its rows).

use super::{from_ms, ms, parse_uuid, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::AuditEvent;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub detail: Option<String>,
    pub remote_addr: Option<String>,
}

impl AuditRow {
    pub fn to_api(&self) -> anyhow::Result<AuditEvent> {
        Ok(AuditEvent {
            id: self.id,
            at: from_ms(self.at),
            actor_id: self.actor_id.as_deref().map(parse_uuid).transpose()?,
            actor_email: self.actor_email.clone(),
            action: self.action.clone(),
            target_type: self.target_type.clone(),
            target_id: self.target_id.clone(),
            detail: self.detail.clone(),
            remote_addr: self.remote_addr.clone(),
        })
    }
}

/// One event to append.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEvent {
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<String>,
    pub detail: Option<String>,
    pub remote_addr: Option<String>,
}

impl Db {
    pub async fn append_audit(&self, e: &NewAuditEvent, at: DateTime<Utc>) -> sqlx::Result<()> {
        let mut conn = self.pool.acquire().await?;
        insert_event(&mut conn, e, at).await
    }

    pub async fn audit_events(
        &self,
        org: &str,
        before: Option<i64>,
        action: Option<&str>,
        limit: i64,
    ) -> sqlx::Result<Vec<AuditRow>> {
        sqlx::query_as(
            "SELECT id, at, actor_id, actor_email, action, target_type, target_id, detail, remote_addr FROM audit_events \
             WHERE org_id = $1 AND id < $2 AND ($3 = '' OR action = $3) ORDER BY id DESC LIMIT $4",
        )
        .bind(org)
        .bind(before.unwrap_or(i64::MAX))
        .bind(action.unwrap_or("").to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }
}

/// Appends one event on a connection or inside a transaction.
pub async fn insert_event(conn: &mut sqlx::AnyConnection, e: &NewAuditEvent, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (org_id, at, actor_id, actor_email, action, target_type, target_id, detail, remote_addr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.org_id.clone())
    .bind(ms(at))
    .bind(e.actor_id.clone())
    .bind(e.actor_email.clone())
    .bind(e.action)
    .bind(e.target_type)
    .bind(e.target_id.clone())
    .bind(e.detail.clone())
    .bind(e.remote_addr.clone())
    .execute(conn)
    .await
    .map(|_| ())
}
