//! Clinics: their plan, the bytes their documents take from the pool, and the version their
//! documents are at (bumped by the database on every change, see migrations 0002).

use super::columns::{select_list, Columns, Reader};
use super::{ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::Org;
use clinicdocs_core::limits::{Plan, PlanLimits};
use sqlx::any::AnyRow;
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
}

/// An org row's columns, in the order [`OrgRow::read`] reads them (`o.` is the orgs table).
pub const ORG_COLUMNS: [&str; 6] = ["o.id", "o.name", "o.domain", "o.plan", "o.used_bytes", "o.doc_version"];

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
        })
    }

    pub fn to_api(&self, limits: PlanLimits) -> Org {
        Org {
            id: self.id,
            name: self.name.clone(),
            plan: self.plan,
            documents_enabled: limits.documents_enabled,
            limits,
        }
    }
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
        sqlx::query("INSERT INTO orgs (id, name, domain, plan, used_bytes, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
            .bind(id.to_string())
            .bind(name)
            .bind(domain)
            .bind(plan.as_str())
            .bind(ms(now))
            .execute(&self.0.pool)
            .await
            .map(|_| ())
    }

    /// The clinic's used bytes (for messages).
    pub async fn used_bytes(&self, id: Uuid) -> sqlx::Result<i64> {
        Ok(self.get(id).await?.map_or(0, |o| o.used_bytes))
    }
}
