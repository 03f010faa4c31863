//! Document metadata rows: insert, read, list with filters and keyset paging, edit, soft delete.

use super::{from_ms, ms, parse_uuid, Db, Dialect};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{Document, SortKey, SortOrder};
use clinicdocs_core::Category;
use sqlx::any::AnyArguments;
use sqlx::pool::PoolConnection;
use sqlx::{Any, Arguments, Connection, FromRow, Transaction};

#[derive(Debug, Clone, FromRow, serde::Deserialize)]
pub struct DocumentRow {
    pub id: String,
    pub org_id: String,
    pub patient_id: String,
    pub encounter_id: Option<String>,
    pub title: String,
    pub category: String,
    pub content_type: String,
    pub storage_key: String,
    pub thumb_key: Option<String>,
    pub file_size: i64,
    pub sha256: String,
    pub page_count: Option<i64>,
    pub notes: Option<String>,
    pub uploaded_by: String,
    pub uploaded_by_name: String,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

impl DocumentRow {
    pub fn category(&self) -> Category {
        Category::parse(&self.category).unwrap_or(Category::Other)
    }

    pub fn to_api(&self) -> anyhow::Result<Document> {
        Ok(Document {
            id: parse_uuid(&self.id)?,
            org_id: parse_uuid(&self.org_id)?,
            patient_id: parse_uuid(&self.patient_id)?,
            encounter_id: self.encounter_id.as_deref().map(parse_uuid).transpose()?,
            title: self.title.clone(),
            category: self.category(),
            content_type: self.content_type.clone(),
            file_size: self.file_size,
            sha256: self.sha256.clone(),
            has_thumbnail: self.thumb_key.is_some(),
            page_count: self.page_count,
            notes: self.notes.clone(),
            uploaded_by: parse_uuid(&self.uploaded_by)?,
            uploaded_by_name: self.uploaded_by_name.clone(),
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
        })
    }
}

/// A new row, written inside the batch transaction.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: String,
    pub org_id: String,
    pub patient_id: String,
    pub encounter_id: Option<String>,
    pub title: String,
    pub category: Category,
    pub content_type: String,
    pub storage_key: String,
    pub thumb_key: Option<String>,
    pub file_size: i64,
    pub sha256: String,
    pub page_count: Option<i64>,
    pub notes: Option<String>,
    pub uploaded_by: String,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl NewDocument {
    /// The row as it reads back after insertion, without reading it back.
    pub fn into_row(self, uploaded_by_name: String) -> DocumentRow {
        let at = ms(self.created_at);
        DocumentRow {
            id: self.id,
            org_id: self.org_id,
            patient_id: self.patient_id,
            encounter_id: self.encounter_id,
            title: self.title,
            category: self.category.as_str().to_string(),
            content_type: self.content_type,
            storage_key: self.storage_key,
            thumb_key: self.thumb_key,
            file_size: self.file_size,
            sha256: self.sha256,
            page_count: self.page_count,
            notes: self.notes,
            uploaded_by: self.uploaded_by,
            uploaded_by_name,
            idempotency_key: self.idempotency_key,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        }
    }
}

const COLS: &str = "d.id, d.org_id, d.patient_id, d.encounter_id, d.title, d.category, d.content_type, d.storage_key, \
    d.thumb_key, d.file_size, d.sha256, d.page_count, d.notes, d.uploaded_by, u.name AS uploaded_by_name, \
    d.idempotency_key, d.created_at, d.updated_at, d.deleted_at";

/// Everything one upload commits.
pub struct UploadCommit<'a> {
    pub org: &'a str,
    pub total_bytes: i64,
    pub pool_bytes: i64,
    /// (encounter id, documents added to it)
    pub visits: &'a [(String, i64)],
    pub max_per_visit: i64,
    pub rows: &'a [NewDocument],
    pub events: &'a [super::audit::NewAuditEvent],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    PoolFull,
    VisitFull,
}

/// The editable fields of a document, as they should become.
#[derive(Debug, Clone, Copy)]
pub struct DocumentEdit<'a> {
    pub title: &'a str,
    pub category: Category,
    pub encounter: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// The columns of a listed page (`DocumentRow`'s fields, as named by `COLS`).
const PAGE_FIELDS: [&str; 19] = [
    "id",
    "org_id",
    "patient_id",
    "encounter_id",
    "title",
    "category",
    "content_type",
    "storage_key",
    "thumb_key",
    "file_size",
    "sha256",
    "page_count",
    "notes",
    "uploaded_by",
    "uploaded_by_name",
    "idempotency_key",
    "created_at",
    "updated_at",
    "deleted_at",
];

/// Filters for listing; `visible_all`/`visible_own` come from the access policy.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub org: String,
    pub user: String,
    pub visible_all: Vec<Category>,
    pub visible_own: Vec<Category>,
    pub patient: Option<String>,
    pub category: Option<Category>,
    pub encounter: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub sort: SortKey,
    pub order: SortOrder,
    pub limit: i64,
    pub after: Option<Cursor>,
}

/// Keyset position: the sort value and id of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub v: CursorValue,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum CursorValue {
    Int(i64),
    Text(String),
}

enum Bind {
    I(i64),
    S(String),
    /// A nullable integer.
    OptI(Option<i64>),
    /// A nullable text.
    OptS(Option<String>),
}

/// The values of `binds`, in order, as a query's arguments.
fn arguments(binds: &[Bind]) -> sqlx::Result<AnyArguments<'static>> {
    let mut a = AnyArguments::default();
    for b in binds {
        match b {
            Bind::I(i) => a.add(*i),
            Bind::S(s) => a.add(s.clone()),
            Bind::OptI(i) => a.add(*i),
            Bind::OptS(s) => a.add(s.clone()),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(a)
}

/// Parameters of one statement, numbered as they are added.
#[derive(Default)]
struct Params(Vec<Bind>);

impl Params {
    /// Adds a value and returns its placeholder.
    fn add(&mut self, b: Bind) -> String {
        self.0.push(b);
        format!("${}", self.0.len())
    }

    /// Adds a row's values and returns its `($a, $b, …)`.
    fn row(&mut self, values: impl IntoIterator<Item = Bind>) -> String {
        let marks: Vec<String> = values.into_iter().map(|b| self.add(b)).collect();
        format!("({})", marks.join(", "))
    }
}

/// The writes of an upload's commit as one round trip, and how many rows they must touch if
/// the upload fits: the clinic's pool (one), each visit, each document, each audit event. The
/// pool and visits are conditional UPDATEs, so a concurrent upload cannot overshoot them.
/// SQLite runs the writes as one script inside a transaction; PostgreSQL as one statement
/// whose parts report their rows (a data-modifying `WITH`), in a transaction only when a
/// visit's refusal could leave earlier parts to undo.
fn commit_writes(dialect: Dialect, u: &UploadCommit<'_>, now: DateTime<Utc>) -> (String, Params, i64) {
    let mut p = Params::default();
    let (total, org) = (p.add(Bind::I(u.total_bytes)), p.add(Bind::S(u.org.to_string())));
    let pool = p.add(Bind::I(u.pool_bytes));
    let mut writes = vec![Write::Update(format!(
        "UPDATE orgs SET used_bytes = used_bytes + {total} WHERE id = {org} AND used_bytes + {total} <= {pool}"
    ))];
    if !u.visits.is_empty() {
        let max = p.add(Bind::I(u.max_per_visit));
        for (encounter, n) in u.visits {
            let (n, e) = (p.add(Bind::I(*n)), p.add(Bind::S(encounter.clone())));
            writes.push(Write::Update(format!(
                "UPDATE encounters SET document_count = document_count + {n} \
                 WHERE org_id = {org} AND id = {e} AND document_count + {n} <= {max}"
            )));
        }
    }
    if !u.rows.is_empty() {
        let values: Vec<String> = u
            .rows
            .iter()
            .map(|r| {
                let at = ms(r.created_at);
                p.row([
                    Bind::S(r.id.clone()),
                    Bind::S(r.org_id.clone()),
                    Bind::S(r.patient_id.clone()),
                    Bind::OptS(r.encounter_id.clone()),
                    Bind::S(r.title.clone()),
                    Bind::S(r.title.to_lowercase()),
                    Bind::S(r.category.as_str().to_string()),
                    Bind::S(r.content_type.clone()),
                    Bind::S(r.storage_key.clone()),
                    Bind::OptS(r.thumb_key.clone()),
                    Bind::I(r.file_size),
                    Bind::S(r.sha256.clone()),
                    Bind::OptI(r.page_count),
                    Bind::OptS(r.notes.clone()),
                    Bind::S(r.uploaded_by.clone()),
                    Bind::OptS(r.idempotency_key.clone()),
                    Bind::I(at),
                    Bind::I(at),
                ])
            })
            .collect();
        writes.push(Write::Insert(
            "documents (id, org_id, patient_id, encounter_id, title, title_lower, category, content_type, \
             storage_key, thumb_key, file_size, sha256, page_count, notes, uploaded_by, idempotency_key, created_at, \
             updated_at)",
            values.join(", "),
        ));
    }
    if !u.events.is_empty() {
        let values: Vec<String> = u
            .events
            .iter()
            .map(|e| {
                p.row([
                    Bind::OptS(e.org_id.clone()),
                    Bind::I(ms(now)),
                    Bind::OptS(e.actor_id.clone()),
                    Bind::OptS(e.actor_email.clone()),
                    Bind::S(e.action.to_string()),
                    Bind::S(e.target_type.to_string()),
                    Bind::OptS(e.target_id.clone()),
                    Bind::OptS(e.detail.clone()),
                    Bind::OptS(e.remote_addr.clone()),
                ])
            })
            .collect();
        writes.push(Write::Insert(
            "audit_events (org_id, at, actor_id, actor_email, action, target_type, target_id, detail, remote_addr)",
            values.join(", "),
        ));
    }
    let expected = 1 + u.visits.len() as i64 + u.rows.len() as i64 + u.events.len() as i64;
    let sql = match dialect {
        Dialect::Sqlite => {
            let sql: Vec<String> = writes
                .iter()
                .map(|w| match w {
                    Write::Update(u) => u.clone(),
                    Write::Insert(table, values) => format!("INSERT INTO {table} VALUES {values}"),
                })
                .collect();
            sql.join(";\n")
        }
        // Each part writes only if the one before it did, so when the pool refuses, nothing is
        // written (only a visit's refusal leaves earlier parts to roll back).
        Dialect::Postgres => {
            let parts: Vec<String> = writes
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let after = if i == 0 { String::new() } else { format!(" EXISTS (SELECT 1 FROM w{})", i - 1) };
                    let part = match w {
                        Write::Update(u) if i == 0 => u.clone(),
                        Write::Update(u) => format!("{u} AND{after}"),
                        Write::Insert(table, values) => {
                            format!("INSERT INTO {table} SELECT * FROM (VALUES {values}) AS v WHERE{after}")
                        }
                    };
                    format!("w{i} AS ({part} RETURNING 1)")
                })
                .collect();
            let counts: Vec<String> = (0..writes.len()).map(|i| format!("(SELECT count(*) FROM w{i})")).collect();
            format!("WITH {} SELECT {}", parts.join(", "), counts.join(" + "))
        }
    };
    (sql, p, expected)
}

/// One write of an upload's commit: a conditional UPDATE, or an INSERT of rows into a table
/// (`name (columns)`, `(…), (…)`).
enum Write {
    Update(String),
    Insert(&'static str, String),
}

fn in_list(cats: &[Category]) -> String {
    cats.iter().map(|c| format!("'{}'", c.as_str())).collect::<Vec<_>>().join(", ")
}

/// A connection readied for an upload's commit while the store finishes the file: found
/// alive, and inside a transaction when the commit needs one.
pub enum CommitConn {
    Plain(PoolConnection<Any>),
    Tx(Transaction<'static, Any>),
}

impl Db {
    /// Whether an upload's commit runs in a transaction (see `commit_writes`).
    fn commit_needs_tx(&self, with_visits: bool) -> bool {
        self.dialect == Dialect::Sqlite || with_visits
    }

    /// Readies a connection for the commit of an upload, so the check (a ping, or the BEGIN)
    /// is not on the upload's path. It never queues behind other requests: an idle connection
    /// is taken, else one is opened (or awaited as it comes back) only while the pool has room.
    /// `None` leaves the commit to get its own.
    pub async fn commit_conn(&self, with_visits: bool) -> Option<CommitConn> {
        let (mut conn, checked) = match self.pool.try_acquire() {
            Some(conn) => (conn, false),
            None if self.pool.size() < self.pool.options().get_max_connections() => {
                (self.pool.acquire().await.ok()?, true)
            }
            None => return None,
        };
        if self.commit_needs_tx(with_visits) {
            Transaction::begin(conn, None).await.ok().map(CommitConn::Tx)
        } else {
            if !checked {
                conn.ping().await.ok()?;
            }
            Some(CommitConn::Plain(conn))
        }
    }
}

impl Db {
    /// Commits an upload in one transaction: takes `total` bytes from the clinic's pool and the
    /// visits' slots (each a conditional UPDATE, so concurrent uploads cannot overshoot), inserts
    /// the rows and their audit events. Nothing is written unless everything is. The writes go
    /// in one round trip (see `commit_writes`): an upload's commit is on its critical path.
    pub async fn commit_upload(
        &self,
        u: &UploadCommit<'_>,
        now: DateTime<Utc>,
        ready: Option<CommitConn>,
    ) -> sqlx::Result<CommitOutcome> {
        let (sql, params, expected) = commit_writes(self.dialect, u, now);
        let args = arguments(&params.0)?;
        let committed = if !self.commit_needs_tx(!u.visits.is_empty()) {
            // One statement is its own transaction; without visits a refusal writes nothing.
            let query = sqlx::query_as_with::<_, (i64,), _>(&sql, args);
            let (touched,) = match ready {
                Some(CommitConn::Plain(mut conn)) => query.fetch_one(&mut *conn).await?,
                _ => query.fetch_one(&self.pool).await?,
            };
            touched == expected
        } else {
            let mut tx = match ready {
                Some(CommitConn::Tx(tx)) => tx,
                _ => self.pool.begin().await?,
            };
            let touched = match self.dialect {
                Dialect::Sqlite => sqlx::query_with(&sql, args).execute(&mut *tx).await?.rows_affected() as i64,
                Dialect::Postgres => sqlx::query_as_with::<_, (i64,), _>(&sql, args).fetch_one(&mut *tx).await?.0,
            };
            if touched == expected {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            touched == expected
        };
        if committed {
            return Ok(CommitOutcome::Committed);
        }
        // Which limit refused it: the pool if it cannot take the bytes now, else a visit.
        let used = self.used_bytes(u.org).await?;
        Ok(if used + u.total_bytes > u.pool_bytes { CommitOutcome::PoolFull } else { CommitOutcome::VisitFull })
    }

    /// The clinic's used bytes (for messages).
    pub async fn used_bytes(&self, org: &str) -> sqlx::Result<i64> {
        Ok(self.org(org).await?.map_or(0, |o| o.used_bytes))
    }

    /// A live (not deleted) document of the clinic.
    pub async fn document(&self, org: &str, id: &str) -> sqlx::Result<Option<DocumentRow>> {
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM documents d JOIN users u ON u.id = d.uploaded_by WHERE d.org_id = $1 AND d.id = $2 AND d.deleted_at IS NULL"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn document_by_idempotency_key(&self, org: &str, key: &str) -> sqlx::Result<Option<DocumentRow>> {
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM documents d JOIN users u ON u.id = d.uploaded_by WHERE d.org_id = $1 AND d.idempotency_key = $2"
        ))
        .bind(org)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
    }

    /// The live document whose original or thumbnail is stored under `key`.
    pub async fn document_by_object_key(&self, key: &str) -> sqlx::Result<Option<DocumentRow>> {
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM documents d JOIN users u ON u.id = d.uploaded_by \
             WHERE (d.storage_key = $1 OR d.thumb_key = $1) AND d.deleted_at IS NULL"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn list_documents(&self, f: &ListFilter) -> sqlx::Result<Vec<DocumentRow>> {
        let mut sql = format!(
            "SELECT {COLS} FROM documents d JOIN users u ON u.id = d.uploaded_by WHERE d.org_id = $1 AND d.deleted_at IS NULL"
        );
        let mut binds = vec![Bind::S(f.org.clone())];
        let next = |b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            format!("${}", binds.len())
        };
        // Access policy: what this role sees entirely, and what only when it uploaded it.
        let mut vis = Vec::new();
        if f.visible_all.len() == Category::ALL.len() {
            vis.push("1 = 1".to_string());
        } else if !f.visible_all.is_empty() {
            vis.push(format!("d.category IN ({})", in_list(&f.visible_all)));
        }
        if !f.visible_own.is_empty() {
            let p = next(Bind::S(f.user.clone()), &mut binds);
            vis.push(format!("(d.category IN ({}) AND d.uploaded_by = {p})", in_list(&f.visible_own)));
        }
        if vis.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(&format!(" AND ({})", vis.join(" OR ")));
        if let Some(p) = &f.patient {
            let p = next(Bind::S(p.clone()), &mut binds);
            sql.push_str(&format!(" AND d.patient_id = {p}"));
        }
        if let Some(c) = f.category {
            let p = next(Bind::S(c.as_str().to_string()), &mut binds);
            sql.push_str(&format!(" AND d.category = {p}"));
        }
        if let Some(e) = &f.encounter {
            let p = next(Bind::S(e.clone()), &mut binds);
            sql.push_str(&format!(" AND d.encounter_id = {p}"));
        }
        if let Some(v) = f.from {
            let p = next(Bind::I(v), &mut binds);
            sql.push_str(&format!(" AND d.created_at >= {p}"));
        }
        if let Some(v) = f.to {
            let p = next(Bind::I(v), &mut binds);
            sql.push_str(&format!(" AND d.created_at < {p}"));
        }
        let col = match f.sort {
            SortKey::Date => "d.created_at",
            SortKey::Name => "d.title_lower",
            SortKey::Uploader => "u.name",
        };
        let (cmp, dir) = match f.order {
            SortOrder::Asc => (">", "ASC"),
            SortOrder::Desc => ("<", "DESC"),
        };
        if let Some(c) = &f.after {
            let v = match &c.v {
                CursorValue::Int(i) => Bind::I(*i),
                CursorValue::Text(s) => Bind::S(s.clone()),
            };
            let pv = next(v, &mut binds);
            let pid = next(Bind::S(c.id.clone()), &mut binds);
            sql.push_str(&format!(" AND ({col} {cmp} {pv} OR ({col} = {pv} AND d.id {cmp} {pid}))"));
        }
        let pl = next(Bind::I(f.limit), &mut binds);
        sql.push_str(&format!(" ORDER BY {col} {dir}, d.id {dir} LIMIT {pl}"));
        if self.dialect == Dialect::Postgres {
            return sqlx::query_as_with::<_, DocumentRow, _>(&sql, arguments(&binds)?).fetch_all(&self.pool).await;
        }
        // SQLite: the driver hands each row across a thread, which dominated this, the busiest
        // query, in profiles; so SQLite folds the page into one JSON array and one row crosses.
        // (On PostgreSQL `json_agg` measured slower than plain rows.)
        let sql = sql.replacen(" FROM documents d", &format!(", {col} AS sort_key FROM documents d"), 1);
        let fields = PAGE_FIELDS.iter().map(|c| format!("'{c}', {c}")).collect::<Vec<_>>().join(", ");
        let page = format!(
            "SELECT COALESCE(json_group_array(json_object({fields}) ORDER BY sort_key {dir}, id {dir}), '[]') FROM ({sql}) AS page"
        );
        let (json,): (String,) =
            sqlx::query_as_with::<_, (String,), _>(&page, arguments(&binds)?).fetch_one(&self.pool).await?;
        serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }

    /// Applies an edit to a live document; returns the number of rows changed (0 or 1).
    pub async fn update_document(
        &self,
        org: &str,
        id: &str,
        e: &DocumentEdit<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<u64> {
        let r = sqlx::query(
            "UPDATE documents SET title = $1, title_lower = $2, category = $3, encounter_id = $4, notes = $5, updated_at = $6 \
             WHERE org_id = $7 AND id = $8 AND deleted_at IS NULL",
        )
        .bind(e.title)
        .bind(e.title.to_lowercase())
        .bind(e.category.as_str())
        .bind(e.encounter.map(str::to_string))
        .bind(e.notes.map(str::to_string))
        .bind(ms(now))
        .bind(org)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Marks a document deleted and gives its bytes back to the clinic's pool and visit, in one
    /// transaction. Returns false when it was already deleted or is not the clinic's.
    pub async fn soft_delete_document(&self, doc: &DocumentRow, by: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "UPDATE documents SET deleted_at = $1, deleted_by = $2, updated_at = $1 WHERE org_id = $3 AND id = $4 AND deleted_at IS NULL",
        )
        .bind(ms(now))
        .bind(by)
        .bind(&doc.org_id)
        .bind(&doc.id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE orgs SET used_bytes = used_bytes - $1 WHERE id = $2")
            .bind(doc.file_size)
            .bind(&doc.org_id)
            .execute(&mut *tx)
            .await?;
        if let Some(e) = &doc.encounter_id {
            sqlx::query("UPDATE encounters SET document_count = document_count - 1 WHERE org_id = $1 AND id = $2 AND document_count > 0")
                .bind(&doc.org_id)
                .bind(e)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Live document count of a clinic.
    /// Live documents and their bytes per category, largest first.
    pub async fn usage_by_category(&self, org: &str) -> sqlx::Result<Vec<(String, i64, i64)>> {
        sqlx::query_as(
            "SELECT category, COUNT(*), CAST(COALESCE(SUM(file_size), 0) AS BIGINT) FROM documents WHERE org_id = $1 AND deleted_at IS NULL \
             GROUP BY category ORDER BY 3 DESC, 1",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await
    }

    /// The `limit` patients whose live documents take the most: id, name, documents, bytes.
    pub async fn usage_top_patients(&self, org: &str, limit: i64) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
        sqlx::query_as(
            "SELECT d.patient_id, p.name, COUNT(*), CAST(COALESCE(SUM(d.file_size), 0) AS BIGINT) FROM documents d \
             JOIN patients p ON p.id = d.patient_id AND p.org_id = d.org_id \
             WHERE d.org_id = $1 AND d.deleted_at IS NULL GROUP BY d.patient_id, p.name ORDER BY 4 DESC, 1 LIMIT $2",
        )
        .bind(org)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn document_count(&self, org: &str) -> sqlx::Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM documents WHERE org_id = $1 AND deleted_at IS NULL")
            .bind(org)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// Every object key the database knows: live originals and thumbnails, deleted ones (which
    /// live under the trash prefix), and profile images.
    pub async fn all_object_keys(&self) -> sqlx::Result<Vec<(String, bool)>> {
        let rows: Vec<(String, Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT storage_key, thumb_key, deleted_at FROM documents").fetch_all(&self.pool).await?;
        let mut keys = Vec::new();
        for (k, t, deleted) in rows {
            let live = deleted.is_none();
            keys.push((k, live));
            if let Some(t) = t {
                keys.push((t, live));
            }
        }
        for table in ["patients", "users"] {
            let rows: Vec<(Option<String>, Option<String>)> =
                sqlx::query_as(&format!("SELECT photo_key, photo_thumb_key FROM {table}"))
                    .fetch_all(&self.pool)
                    .await?;
            for (a, b) in rows {
                keys.extend(a.into_iter().chain(b).map(|k| (k, true)));
            }
        }
        Ok(keys)
    }
}
