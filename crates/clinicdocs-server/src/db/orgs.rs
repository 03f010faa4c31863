//! Clinics: their plan and the limits they were given (none stored: the server's defaults for
//! the plan), their session idle timeout, the bytes their documents take from the pool, and
//! the version their documents are at (bumped by the database on every change, migration 0002).

use super::audit::{insert_event, NewAuditEvent};
use super::columns::{select_list, Columns, Reader};
use super::{ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::Org;
use clinicdocs_core::limits::{Plan, PlanLimits};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct OrgRow {
    pub id: Uuid,
    pub name: String,
    pub domain: String,
    pub plan: Plan,
    pub used_bytes: i64,
    /// Bumped by the database on every change to the clinic's documents.
    pub doc_version: i64,
    /// Limits set for this clinic; `None` takes the server's default for the plan.
    pub stored: StoredLimits,
    pub session_idle_minutes: i64,
}

/// A clinic's own limits, each `None` where the plan's default applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredLimits {
    pub pool_bytes: Option<i64>,
    pub max_file_bytes: Option<i64>,
    pub max_files_per_visit: Option<i64>,
}

impl StoredLimits {
    /// These limits over `defaults` (the plan's, as the server is configured). A plan without
    /// Documents has none, whatever is stored.
    pub fn over(self, defaults: PlanLimits) -> PlanLimits {
        if !defaults.documents_enabled {
            return defaults;
        }
        let take = |v: Option<i64>, d: u64| v.and_then(|v| u64::try_from(v).ok()).unwrap_or(d);
        PlanLimits {
            documents_enabled: true,
            pool_bytes: take(self.pool_bytes, defaults.pool_bytes),
            max_file_bytes: take(self.max_file_bytes, defaults.max_file_bytes),
            max_files_per_visit: self
                .max_files_per_visit
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(defaults.max_files_per_visit),
        }
    }
}

/// An org row's columns, in the order [`OrgRow::read`] reads them (`o.` is the orgs table).
pub const ORG_COLUMNS: [&str; 10] = [
    "o.id",
    "o.name",
    "o.domain",
    "o.plan",
    "o.used_bytes",
    "o.doc_version",
    "o.pool_bytes",
    "o.max_file_bytes",
    "o.max_files_per_visit",
    "o.session_idle_minutes",
];

impl OrgRow {
    pub fn read<C: Columns + ?Sized>(r: &mut Reader<'_, C>) -> sqlx::Result<OrgRow> {
        Ok(OrgRow {
            id: r.uuid()?,
            name: r.text()?,
            domain: r.text()?,
            // A plan this build does not know gives no Documents rather than failing.
            plan: Plan::parse(&r.text()?).unwrap_or(Plan::Basic),
            used_bytes: r.int()?,
            doc_version: r.int()?,
            stored: StoredLimits {
                pool_bytes: r.opt_int()?,
                max_file_bytes: r.opt_int()?,
                max_files_per_visit: r.opt_int()?,
            },
            session_idle_minutes: r.int()?,
        })
    }

    pub fn to_api(&self, limits: PlanLimits) -> Org {
        Org {
            id: self.id,
            name: self.name.clone(),
            plan: self.plan,
            documents_enabled: limits.documents_enabled,
            limits,
            session_idle_minutes: u32::try_from(self.session_idle_minutes).unwrap_or(u32::MAX),
        }
    }
}

/// Adds a clinic on `conn` (inside the caller's transaction).
pub async fn create(
    conn: &mut AnyConnection,
    id: Uuid,
    name: &str,
    domain: &str,
    plan: Plan,
    limits: StoredLimits,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO orgs (id, name, domain, plan, used_bytes, created_at, pool_bytes, max_file_bytes, max_files_per_visit) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(name)
    .bind(domain)
    .bind(plan.as_str())
    .bind(ms(now))
    .bind(limits.pool_bytes)
    .bind(limits.max_file_bytes)
    .bind(limits.max_files_per_visit)
    .execute(conn)
    .await
    .map(|_| ())
}

fn org(row: AnyRow) -> sqlx::Result<OrgRow> {
    OrgRow::read(&mut Reader::new(&row))
}

/// The clinics table.
pub struct Orgs<'a>(pub(super) &'a Db);

impl Db {
    /// The clinics.
    pub fn orgs(&self) -> Orgs<'_> {
        Orgs(self)
    }
}

impl Orgs<'_> {
    pub async fn by_domain(&self, domain: &str) -> sqlx::Result<Option<OrgRow>> {
        let sql = format!("SELECT {} FROM orgs o WHERE o.domain = $1", select_list(&ORG_COLUMNS));
        sqlx::query(&sql).bind(domain).fetch_optional(&self.0.pool).await?.map(org).transpose()
    }

    pub async fn get(&self, id: Uuid) -> sqlx::Result<Option<OrgRow>> {
        let sql = format!("SELECT {} FROM orgs o WHERE o.id = $1", select_list(&ORG_COLUMNS));
        sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.0.pool).await?.map(org).transpose()
    }

    pub async fn create(&self, id: Uuid, name: &str, domain: &str, plan: Plan, now: DateTime<Utc>) -> sqlx::Result<()> {
        let mut conn = self.0.pool.acquire().await?;
        create(&mut conn, id, name, domain, plan, StoredLimits::default(), now).await
    }

    /// Every clinic, by domain, with its number of active staff.
    pub async fn all(&self) -> sqlx::Result<Vec<(OrgRow, i64)>> {
        let sql = format!(
            "SELECT {}, (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.deactivated_at IS NULL) \
             FROM orgs o ORDER BY o.domain",
            select_list(&ORG_COLUMNS)
        );
        sqlx::query(&sql)
            .fetch_all(&self.0.pool)
            .await?
            .iter()
            .map(|row| {
                let mut r = Reader::new(row);
                Ok((OrgRow::read(&mut r)?, r.int()?))
            })
            .collect()
    }

    /// Sets the clinic's plan and its own limits (`None`: the plan's defaults), with its audit
    /// event, in one transaction.
    pub async fn set_plan(
        &self,
        id: Uuid,
        plan: Plan,
        limits: StoredLimits,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        sqlx::query(
            "UPDATE orgs SET plan = $1, pool_bytes = $2, max_file_bytes = $3, max_files_per_visit = $4 WHERE id = $5",
        )
        .bind(plan.as_str())
        .bind(limits.pool_bytes)
        .bind(limits.max_file_bytes)
        .bind(limits.max_files_per_visit)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await
    }

    /// Sets how long an unused session lasts, with its audit event, in one transaction.
    pub async fn set_session_idle_minutes(
        &self,
        id: Uuid,
        minutes: u32,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        sqlx::query("UPDATE orgs SET session_idle_minutes = $1 WHERE id = $2")
            .bind(i64::from(minutes))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await
    }

    /// The clinic's used bytes (for messages).
    pub async fn used_bytes(&self, id: Uuid) -> sqlx::Result<i64> {
        Ok(self.get(id).await?.map_or(0, |o| o.used_bytes))
    }
}
