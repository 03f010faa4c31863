//! An upload's commit: one transaction takes the clinic's pool bytes and the visits' slots
//! (conditional UPDATEs, so concurrent uploads cannot overshoot), inserts the rows and their
//! audit events — all its writes in one round trip, because the commit is on the upload's
//! critical path. SQLite runs them as one script (then seals the events, see
//! [`super::audit_seals`]); PostgreSQL as one data-modifying `WITH`.

use super::audit::{NewAuditEvent, INSERT_COLUMNS as AUDIT_COLUMNS};
use super::audit_seals;
use super::documents::DocumentRow;
use super::sql::{Bind, Params};
use super::{Db, Dialect};
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Any, Connection, Transaction};
use tokio::sync::OwnedSemaphorePermit;
use uuid::Uuid;

/// Everything one upload commits.
pub struct UploadCommit<'a> {
    pub org: Uuid,
    pub total_bytes: i64,
    pub pool_bytes: i64,
    /// (visit id, documents added to it)
    pub visits: &'a [(Uuid, i64)],
    pub max_per_visit: i64,
    pub rows: &'a [DocumentRow],
    pub events: &'a [NewAuditEvent],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    PoolFull,
    VisitFull,
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
        for (visit, n) in u.visits {
            let (n, e) = (p.add(Bind::I(*n)), p.add(Bind::S(visit.to_string())));
            writes.push(Write::Update(format!(
                "UPDATE visits SET document_count = document_count + {n} \
                 WHERE org_id = {org} AND id = {e} AND document_count + {n} <= {max}"
            )));
        }
    }
    if !u.rows.is_empty() {
        let values: Vec<String> = u.rows.iter().map(|r| p.row(r.insert_values())).collect();
        writes.push(Write::Insert(DocumentRow::INSERT_COLUMNS, values.join(", ")));
    }
    if !u.events.is_empty() {
        let values: Vec<String> = u.events.iter().map(|e| p.row(e.values(now))).collect();
        writes.push(Write::Insert(AUDIT_COLUMNS, values.join(", ")));
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

/// A connection readied for an upload's commit while the store finishes the file: found
/// alive, and inside a transaction when the commit needs one. It holds one of the pool's
/// early-commit slots (see [`EARLY_COMMIT_SHARE`]).
pub struct CommitConn {
    conn: Ready,
    _slot: OwnedSemaphorePermit,
}

enum Ready {
    Plain(PoolConnection<Any>),
    Tx(Transaction<'static, Any>),
}

/// At most this share of the pool's connections is held by uploads readying their commit.
/// The client may still be sending form fields after the file, and a slow one would hold its
/// connection meanwhile; slow uploads can never take the connections everyone else needs.
pub const EARLY_COMMIT_SHARE: f64 = 0.5;

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
        let slot = self.commit_slots.clone().try_acquire_owned().ok()?;
        let (mut conn, checked) = match self.pool.try_acquire() {
            Some(conn) => (conn, false),
            None if self.pool.size() < self.pool.options().get_max_connections() => {
                (self.pool.acquire().await.ok()?, true)
            }
            None => return None,
        };
        let conn = if self.commit_needs_tx(with_visits) {
            Ready::Tx(Transaction::begin(conn, None).await.ok()?)
        } else {
            if !checked {
                conn.ping().await.ok()?;
            }
            Ready::Plain(conn)
        };
        Some(CommitConn { conn, _slot: slot })
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
        let args = params.arguments()?;
        let ready = ready.map(|r| r.conn);
        let committed = if !self.commit_needs_tx(!u.visits.is_empty()) {
            // One statement is its own transaction; without visits a refusal writes nothing.
            let query = sqlx::query_as_with::<_, (i64,), _>(&sql, args);
            let (touched,) = match ready {
                Some(Ready::Plain(mut conn)) => query.fetch_one(&mut *conn).await?,
                _ => query.fetch_one(&self.pool).await?,
            };
            touched == expected
        } else {
            let mut tx = match ready {
                Some(Ready::Tx(tx)) => tx,
                _ => self.pool.begin().await?,
            };
            let touched = match self.dialect {
                Dialect::Sqlite => sqlx::query_with(&sql, args).execute(&mut *tx).await?.rows_affected() as i64,
                Dialect::Postgres => sqlx::query_as_with::<_, (i64,), _>(&sql, args).fetch_one(&mut *tx).await?.0,
            };
            if touched == expected {
                if self.dialect == Dialect::Sqlite {
                    audit_seals::seal_latest(&mut tx, u.events.len()).await?;
                }
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
        let used = self.orgs().used_bytes(u.org).await?;
        Ok(if used + u.total_bytes > u.pool_bytes { CommitOutcome::PoolFull } else { CommitOutcome::VisitFull })
    }
}

#[cfg(test)]
mod tests {
    use super::super::sql::placeholders;
    use super::*;
    use clinicdocs_core::api::Document;
    use clinicdocs_core::audit::{AuditAction, AuditTarget};
    use clinicdocs_core::Category;

    const ORG: Uuid = Uuid::from_u128(1);
    const USER: Uuid = Uuid::from_u128(2);
    const PATIENT: Uuid = Uuid::from_u128(3);
    const VISIT: Uuid = Uuid::from_u128(4);

    fn row(n: u128, visit: Option<Uuid>) -> DocumentRow {
        let at = chrono::DateTime::<Utc>::from_timestamp_millis(1_000).expect("time");
        DocumentRow {
            doc: Document {
                id: Uuid::from_u128(100 + n),
                org_id: ORG,
                patient_id: PATIENT,
                encounter_id: visit,
                title: format!("Doc {n}"),
                category: Category::Lab,
                content_type: "application/pdf".into(),
                file_size: 10,
                sha256: "s".into(),
                has_thumbnail: false,
                page_count: Some(1),
                notes: None,
                uploaded_by: USER,
                uploaded_by_name: "Ann".into(),
                created_at: at,
                updated_at: at,
            },
            storage_key: format!("k{n}"),
            thumb_key: None,
            idempotency_key: Some(format!("key{n}")),
            deleted_at: None,
        }
    }

    fn event(r: &DocumentRow) -> NewAuditEvent {
        NewAuditEvent {
            org_id: Some(ORG),
            actor_id: Some(USER),
            target_id: Some(r.doc.id.to_string()),
            ..NewAuditEvent::new(AuditAction::DocumentUploaded, AuditTarget::Document)
        }
    }

    #[test]
    fn each_dialect_names_every_value_and_counts_every_row_it_must_touch() {
        let rows = [row(1, Some(VISIT)), row(2, Some(VISIT)), row(3, None)];
        let events: Vec<_> = rows.iter().map(event).collect();
        let visits = [(VISIT, 2)];
        let u = UploadCommit {
            org: ORG,
            total_bytes: 30,
            pool_bytes: 100,
            visits: &visits,
            max_per_visit: 5,
            rows: &rows,
            events: &events,
        };
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let (sql, p, expected) = commit_writes(dialect, &u, Utc::now());
            assert_eq!(expected, 1 + 1 + 3 + 3, "the pool, the visit, three rows, three events");
            assert_eq!(placeholders(&sql), (p.len(), true), "{dialect:?}: {sql}");
            assert_eq!(p.len(), 3 + 3 + 3 * 18 + 3 * 9);
        }
        let (pg, _, _) = commit_writes(Dialect::Postgres, &u, Utc::now());
        assert!(pg.starts_with("WITH w0 AS (UPDATE orgs"), "{pg}");
        assert!(pg.contains("w1 AS (UPDATE visits") && pg.contains("AND EXISTS (SELECT 1 FROM w0)"), "{pg}");
        assert!(pg.contains("WHERE EXISTS (SELECT 1 FROM w2)"), "the rows wait for the visit: {pg}");
        assert!(pg.ends_with("SELECT (SELECT count(*) FROM w0) + (SELECT count(*) FROM w1) + (SELECT count(*) FROM w2) + (SELECT count(*) FROM w3)"), "{pg}");
        let (sqlite, _, _) = commit_writes(Dialect::Sqlite, &u, Utc::now());
        assert_eq!(sqlite.matches(";\n").count(), 3, "four statements: {sqlite}");
    }

    /// The SQLite script on a real database: it commits when everything fits, and when the
    /// visit is full it touches fewer rows than expected, so nothing is kept.
    #[tokio::test]
    async fn the_sqlite_script_commits_all_or_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display())).await.expect("db");
        for sql in [
            format!("INSERT INTO orgs (id, name, domain, plan, used_bytes, created_at) VALUES ('{ORG}', 'C', 'c', 'professional', 0, 0)"),
            format!("INSERT INTO users (id, org_id, email, name, role, password_hash, created_at) VALUES ('{USER}', '{ORG}', 'a@c', 'Ann', 'doctor', 'x', 0)"),
            format!("INSERT INTO patients (id, org_id, name, name_lower, date_of_birth, created_at) VALUES ('{PATIENT}', '{ORG}', 'P', 'p', '2000-01-01', 0)"),
            format!("INSERT INTO visits (id, org_id, patient_id, date, reason, document_count, created_at) VALUES ('{VISIT}', '{ORG}', '{PATIENT}', '2026-01-01', 'r', 0, 0)"),
        ] {
            sqlx::query(&sql).execute(&db.pool).await.expect("seed");
        }
        let commit = |rows: &[DocumentRow], max: i64| {
            let events: Vec<_> = rows.iter().map(event).collect();
            let visits = vec![(VISIT, rows.len() as i64)];
            let db = db.clone();
            let rows = rows.to_vec();
            async move {
                let u = UploadCommit {
                    org: ORG,
                    total_bytes: 10 * rows.len() as i64,
                    pool_bytes: 1000,
                    visits: &visits,
                    max_per_visit: max,
                    rows: &rows,
                    events: &events,
                };
                db.commit_upload(&u, Utc::now(), None).await.expect("commit")
            }
        };
        assert_eq!(commit(&[row(1, Some(VISIT)), row(2, Some(VISIT))], 3).await, CommitOutcome::Committed);
        assert_eq!(commit(&[row(3, Some(VISIT)), row(4, Some(VISIT))], 3).await, CommitOutcome::VisitFull);
        let docs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents").fetch_one(&db.pool).await.expect("count");
        let events: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&db.pool).await.expect("count");
        let used: i64 = sqlx::query_scalar("SELECT used_bytes FROM orgs").fetch_one(&db.pool).await.expect("used");
        assert_eq!((docs, events, used), (2, 2, 20), "the refused commit left nothing");
    }
}
