//! The queue's SQLite file (sqlx; WAL, `synchronous=FULL`): one row per file handed to the app,
//! with its idempotency key, its state and when to try it next. Time is passed in.

use crate::error::{CommandError, LocalCode};
use crate::queue::spool::{Spool, Spooled};
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::Category;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::{Path, PathBuf};
use ts_rs::TS;
use uuid::Uuid;

/// How long a write waits for another process holding the queue file (`clinicdocs-queue`).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the upload queue could not be used: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the upload queue could not be opened: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the file could not be copied into the upload queue: {0}")]
    Io(#[from] std::io::Error),
    #[error("the upload queue holds a row it cannot read: {0}")]
    Corrupt(String),
    /// What was handed to the queue cannot be sent as it is (a bad name, too large a file).
    #[error("{message}")]
    Invalid { code: ErrorCode, message: String },
    /// A refusal to pass on as it is: the server's or the network's answer, or a file on this
    /// computer that cannot be read.
    #[error("{0}")]
    Refused(CommandError),
    #[error("the session ended; sign in again")]
    SignInNeeded,
}

impl QueueError {
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> QueueError {
        QueueError::Invalid { code, message: message.into() }
    }
}

/// The queue's failures as the window hears them.
impl From<QueueError> for CommandError {
    fn from(e: QueueError) -> Self {
        use QueueError as Q;
        match e {
            Q::Refused(e) => e,
            Q::Invalid { code, message } => CommandError::api(code, message),
            Q::SignInNeeded => CommandError::not_signed_in(),
            Q::Io(io) => CommandError::local(LocalCode::FileAccess, format!("The file could not be queued: {io}.")),
            other => CommandError::local(LocalCode::FileAccess, other.to_string()),
        }
    }
}
impl From<CommandError> for QueueError {
    fn from(e: CommandError) -> Self {
        QueueError::Refused(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Waiting for its turn or for the network.
    Waiting,
    /// Being sent (or was, when the app stopped: it is sent again with the same key).
    Sending,
    Done,
    /// The server said no; the message says why. Not retried until changed and resent.
    Refused,
}

impl ItemState {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "waiting" => ItemState::Waiting,
            "sending" => ItemState::Sending,
            "done" => ItemState::Done,
            "refused" => ItemState::Refused,
            _ => return None,
        })
    }
}

/// What the receptionist chose for a file.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub server_url: String,
    pub user_id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
    pub category: Category,
    pub title: String,
    pub notes: Option<String>,
    pub file_name: String,
    /// The form's own key, so sending one form twice queues it once; made here when `None`.
    pub idempotency_key: Option<String>,
    /// Files reviewed together (a drop) share one and are sent as one all-or-nothing batch.
    pub batch_id: Option<Uuid>,
}

/// Where and for whom files are handed to the queue: the server, the user sending, the
/// patient and the visit.
#[derive(Debug, Clone)]
pub struct HandOff {
    pub server_url: String,
    pub user_id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
}

impl HandOff {
    /// One file's row: its type, title and notes, its name as sent, the form's key (made by
    /// the queue when `None`) and the batch it is sent in, if any.
    pub fn item(
        &self,
        category: Category,
        title: String,
        notes: Option<String>,
        file_name: String,
        idempotency_key: Option<String>,
        batch_id: Option<Uuid>,
    ) -> NewItem {
        NewItem {
            server_url: self.server_url.clone(),
            user_id: self.user_id,
            patient_id: self.patient_id,
            encounter_id: self.encounter_id,
            category,
            title,
            notes,
            file_name,
            idempotency_key,
            batch_id,
        }
    }
}

/// One queued file as the queue panel shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct QueueItem {
    pub id: Uuid,
    pub idempotency_key: String,
    #[serde(skip)]
    pub server_url: String,
    #[serde(skip)]
    pub user_id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
    pub category: Category,
    pub title: String,
    pub notes: Option<String>,
    pub file_name: String,
    pub size: f64,
    pub sha256: String,
    pub state: ItemState,
    pub attempts: u32,
    /// Unix ms.
    pub next_attempt_at: f64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub document_id: Option<Uuid>,
    /// Unix ms.
    pub queued_at: f64,
    pub batch_id: Option<Uuid>,
}

/// What a receptionist may change before sending a refused item again.
#[derive(Debug, Clone, Default, serde::Deserialize, TS)]
pub struct Requeue {
    /// Another patient; the visit is unlinked unless `encounter_id` names one of theirs.
    #[serde(default)]
    #[ts(optional)]
    pub patient_id: Option<Uuid>,
    pub category: Option<Category>,
    pub title: Option<String>,
    /// `Some(None)` unlinks the visit.
    #[serde(default, deserialize_with = "double_option")]
    #[ts(optional)]
    pub encounter_id: Option<Option<Uuid>>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

#[derive(Clone)]
pub struct Queue {
    pub(super) pool: SqlitePool,
    pub spool: Spool,
}

impl Queue {
    /// Opens (creating) `dir/queue.db` and `dir/spool/`; items left `sending` by a stopped app
    /// go back to `waiting`, and spool files without a row are removed.
    pub async fn open(dir: &Path) -> Result<Queue, QueueError> {
        crate::private_files::create_dir(dir)?;
        let opts = SqliteConnectOptions::new()
            .filename(dir.join("queue.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
        sqlx::migrate!("migrations/queue").run(&pool).await?;
        sqlx::query("UPDATE queue_items SET state = 'waiting' WHERE state = 'sending'").execute(&pool).await?;
        sqlx::query("UPDATE mark_changes SET state = 'waiting' WHERE state = 'sending'").execute(&pool).await?;
        let spool = Spool::open(dir.join("spool"))?;
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM queue_items WHERE state <> 'done'").fetch_all(&pool).await?;
        let known: std::collections::HashSet<Uuid> = ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect();
        spool.sweep(&|id| known.contains(&id))?;
        Ok(Queue { pool, spool })
    }

    /// Copies `src` into the spool and records it; returns once both are on disk.
    pub async fn enqueue(&self, src: &Path, item: NewItem, now_ms: i64) -> Result<QueueItem, QueueError> {
        let mut v = self.enqueue_many(vec![(src.to_path_buf(), item)], now_ms).await?;
        v.pop().ok_or_else(|| QueueError::Corrupt("the new row is missing".into()))
    }

    /// Queues many files at once (a dropped folder): all copies durable, then all rows in one
    /// transaction. Either every file is queued or none is.
    pub async fn enqueue_many(
        &self,
        files: Vec<(PathBuf, NewItem)>,
        now_ms: i64,
    ) -> Result<Vec<QueueItem>, QueueError> {
        self.enqueue_taking(files, &[], now_ms).await
    }

    /// [`Queue::enqueue_many`], also recording in the same transaction the hashes of scanner
    /// folder files these rows were made from (see [`Queue::was_taken`]).
    pub async fn enqueue_taking(
        &self,
        files: Vec<(PathBuf, NewItem)>,
        taken: &[String],
        now_ms: i64,
    ) -> Result<Vec<QueueItem>, QueueError> {
        let jobs: Vec<(PathBuf, Uuid)> = files.iter().map(|(p, _)| (p.clone(), Uuid::new_v4())).collect();
        let spool = self.spool.clone();
        let copy_jobs = jobs.clone();
        let spooled = tokio::task::spawn_blocking(move || spool.copy_in_many(&copy_jobs))
            .await
            .map_err(|e| QueueError::Io(std::io::Error::other(e)))??;
        let forget = |q: &Queue| jobs.iter().for_each(|(_, id)| q.spool.remove(*id));
        let inserted = async {
            let mut tx = self.pool.begin().await?;
            for (((_, item), (_, id)), Spooled { size, sha256, .. }) in files.iter().zip(&jobs).zip(&spooled) {
                sqlx::query(
                    "INSERT INTO queue_items (id, idempotency_key, server_url, user_id, patient_id, encounter_id, \
                     category, title, notes, file_name, size, sha256, state, attempts, next_attempt_at, queued_at, \
                     updated_at, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', 0, ?, ?, ?, ?)",
                )
                .bind(id.to_string())
                .bind(item.idempotency_key.clone().unwrap_or_else(|| Uuid::new_v4().to_string()))
                .bind(&item.server_url)
                .bind(item.user_id.to_string())
                .bind(item.patient_id.to_string())
                .bind(item.encounter_id.map(|e| e.to_string()))
                .bind(item.category.as_str())
                .bind(&item.title)
                .bind(&item.notes)
                .bind(&item.file_name)
                .bind(*size as i64)
                .bind(sha256)
                .bind(now_ms)
                .bind(now_ms)
                .bind(now_ms)
                .bind(item.batch_id.map(|b| b.to_string()))
                .execute(&mut *tx)
                .await?;
            }
            for sha in taken {
                sqlx::query("INSERT OR REPLACE INTO scanned_taken (sha256, taken_at) VALUES (?, ?)")
                    .bind(sha)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await;
        if let Err(e) = inserted {
            forget(self);
            return Err(e.into());
        }
        let mut out = Vec::with_capacity(jobs.len());
        for (_, id) in &jobs {
            out.push(self.get(*id).await?.ok_or_else(|| QueueError::Corrupt("a new row is missing".into()))?);
        }
        Ok(out)
    }

    /// Whether a scanner folder file with this content was already queued.
    pub async fn was_taken(&self, sha256: &str) -> Result<bool, QueueError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scanned_taken WHERE sha256 = ?")
            .bind(sha256)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    pub async fn by_key(&self, key: &str) -> Result<Option<QueueItem>, QueueError> {
        let row = sqlx::query("SELECT * FROM queue_items WHERE idempotency_key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| item(&r)).transpose()
    }

    pub async fn get(&self, id: Uuid) -> Result<Option<QueueItem>, QueueError> {
        let row = sqlx::query("SELECT * FROM queue_items WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| item(&r)).transpose()
    }

    /// Every item not yet done, oldest first, then the last `done` ones.
    pub async fn list(&self) -> Result<Vec<QueueItem>, QueueError> {
        let rows = sqlx::query("SELECT * FROM queue_items ORDER BY queued_at, rowid").fetch_all(&self.pool).await?;
        rows.iter().map(item).collect()
    }

    /// The next work of this server and user, marked `sending`: the oldest waiting item whose
    /// time has come and, when it belongs to a batch, the rest of that batch still waiting (a
    /// drop is sent whole). In queueing order; empty when nothing is due.
    pub async fn claim_next(&self, server_url: &str, user_id: Uuid, now_ms: i64) -> Result<Vec<QueueItem>, QueueError> {
        let mut tx = self.pool.begin().await?;
        let first: Option<(String, Option<String>)> = sqlx::query_as(
            "UPDATE queue_items SET state = 'sending', updated_at = ?1 WHERE id = ( \
               SELECT id FROM queue_items WHERE state = 'waiting' AND server_url = ?2 AND user_id = ?3 \
               AND next_attempt_at <= ?1 ORDER BY queued_at, rowid LIMIT 1) RETURNING id, batch_id",
        )
        .bind(now_ms)
        .bind(server_url)
        .bind(user_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((first, batch)) = first else {
            return Ok(Vec::new());
        };
        if let Some(batch) = &batch {
            sqlx::query(
                "UPDATE queue_items SET state = 'sending', updated_at = ? WHERE batch_id = ? AND state = 'waiting' \
                 AND server_url = ? AND user_id = ?",
            )
            .bind(now_ms)
            .bind(batch)
            .bind(server_url)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let rows = match &batch {
            Some(b) => {
                sqlx::query(
                    "SELECT * FROM queue_items WHERE batch_id = ? AND state = 'sending' ORDER BY queued_at, rowid",
                )
                .bind(b)
                .fetch_all(&self.pool)
                .await?
            }
            None => sqlx::query("SELECT * FROM queue_items WHERE id = ?").bind(&first).fetch_all(&self.pool).await?,
        };
        rows.iter().map(item).collect()
    }

    /// Makes this user's waiting items due now (a fresh session: the network may be back).
    pub async fn make_due(&self, server_url: &str, user_id: Uuid, now_ms: i64) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE queue_items SET next_attempt_at = ? WHERE state = 'waiting' AND server_url = ? AND user_id = ? \
             AND next_attempt_at > ?",
        )
        .bind(now_ms)
        .bind(server_url)
        .bind(user_id.to_string())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// When the next waiting item of this server and user is due (unix ms), if any.
    pub async fn next_due(&self, server_url: &str, user_id: Uuid) -> Result<Option<i64>, QueueError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM queue_items WHERE state = 'waiting' AND server_url = ? AND user_id = ?",
        )
        .bind(server_url)
        .bind(user_id.to_string())
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn mark_done(&self, id: Uuid, document_id: Uuid, now_ms: i64) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE queue_items SET state = 'done', document_id = ?, error_code = NULL, error_message = NULL, \
             updated_at = ? WHERE id = ?",
        )
        .bind(document_id.to_string())
        .bind(now_ms)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        self.spool.remove(id);
        Ok(())
    }

    /// Back to `waiting` until `next_at`, with the reason shown meanwhile.
    pub async fn mark_retry(
        &self,
        id: Uuid,
        next_at: i64,
        code: &str,
        message: &str,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE queue_items SET state = 'waiting', attempts = attempts + 1, next_attempt_at = ?, error_code = ?, \
             error_message = ?, updated_at = ? WHERE id = ?",
        )
        .bind(next_at)
        .bind(code)
        .bind(message)
        .bind(now_ms)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Back to `waiting` without counting an attempt (the session ended, not the item's fault).
    pub async fn release(&self, id: Uuid, now_ms: i64) -> Result<(), QueueError> {
        sqlx::query("UPDATE queue_items SET state = 'waiting', updated_at = ? WHERE id = ?")
            .bind(now_ms)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn mark_refused(&self, id: Uuid, code: &str, message: &str, now_ms: i64) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE queue_items SET state = 'refused', attempts = attempts + 1, error_code = ?, error_message = ?, \
             updated_at = ? WHERE id = ?",
        )
        .bind(code)
        .bind(message)
        .bind(now_ms)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes an item that is not being sent and not done (a wrong file, a refusal given up).
    pub async fn discard(&self, id: Uuid) -> Result<bool, QueueError> {
        let r = sqlx::query("DELETE FROM queue_items WHERE id = ? AND state IN ('waiting', 'refused')")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 1 {
            self.spool.remove(id);
        }
        Ok(r.rows_affected() == 1)
    }

    /// Sends a refused item again, with what the receptionist changed; the idempotency key
    /// stays, as the file is the same.
    pub async fn requeue(&self, id: Uuid, change: &Requeue, now_ms: i64) -> Result<bool, QueueError> {
        let r = sqlx::query(
            "UPDATE queue_items SET state = 'waiting', attempts = 0, next_attempt_at = ?, error_code = NULL, \
             error_message = NULL, category = COALESCE(?, category), title = COALESCE(?, title), \
             encounter_id = CASE WHEN ? THEN ? WHEN ? THEN NULL ELSE encounter_id END, \
             patient_id = COALESCE(?, patient_id), updated_at = ? \
             WHERE id = ? AND state = 'refused'",
        )
        .bind(now_ms)
        .bind(change.category.map(|c| c.as_str()))
        .bind(change.title.as_deref())
        .bind(change.encounter_id.is_some())
        .bind(change.encounter_id.flatten().map(|e| e.to_string()))
        .bind(change.patient_id.is_some())
        .bind(change.patient_id.map(|p| p.to_string()))
        .bind(now_ms)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub async fn integrity_check(&self) -> Result<String, QueueError> {
        Ok(sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&self.pool).await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn item(r: &sqlx::sqlite::SqliteRow) -> Result<QueueItem, QueueError> {
    let bad = |what: &str| QueueError::Corrupt(what.to_string());
    let uuid = |col: &str| -> Result<Uuid, QueueError> {
        Uuid::parse_str(&r.try_get::<String, _>(col)?).map_err(|_| bad(col))
    };
    let opt_uuid = |col: &str| -> Result<Option<Uuid>, QueueError> {
        r.try_get::<Option<String>, _>(col)?.map(|s| Uuid::parse_str(&s).map_err(|_| bad(col))).transpose()
    };
    let category: String = r.try_get("category")?;
    let state: String = r.try_get("state")?;
    Ok(QueueItem {
        id: uuid("id")?,
        idempotency_key: r.try_get("idempotency_key")?,
        server_url: r.try_get("server_url")?,
        user_id: uuid("user_id")?,
        patient_id: uuid("patient_id")?,
        encounter_id: opt_uuid("encounter_id")?,
        category: Category::parse(&category).ok_or_else(|| bad("category"))?,
        title: r.try_get("title")?,
        notes: r.try_get("notes")?,
        file_name: r.try_get("file_name")?,
        size: r.try_get::<i64, _>("size")? as f64,
        sha256: r.try_get("sha256")?,
        state: ItemState::parse(&state).ok_or_else(|| bad("state"))?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: r.try_get::<i64, _>("next_attempt_at")? as f64,
        error_code: r.try_get("error_code")?,
        error_message: r.try_get("error_message")?,
        document_id: opt_uuid("document_id")?,
        queued_at: r.try_get::<i64, _>("queued_at")? as f64,
        batch_id: opt_uuid("batch_id")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str) -> NewItem {
        NewItem {
            server_url: "http://127.0.0.1:1/".into(),
            user_id: Uuid::from_u128(1),
            patient_id: Uuid::from_u128(2),
            encounter_id: None,
            category: Category::Referral,
            title: "scan".into(),
            notes: None,
            file_name: "scan.pdf".into(),
            idempotency_key: Some(key.into()),
            batch_id: None,
        }
    }

    #[tokio::test]
    async fn a_refused_upload_resent_to_another_patient_loses_the_old_patients_visit() {
        let d = tempfile::tempdir().expect("tmp");
        let q = Queue::open(&d.path().join("q")).await.expect("open");
        let src = d.path().join("scan.pdf");
        std::fs::write(&src, b"%PDF-1.4 scan").expect("write");
        let mut new = item("k1");
        new.encounter_id = Some(Uuid::from_u128(7));
        let it = q.enqueue(&src, new, 1).await.expect("queued");
        q.mark_refused(it.id, "not_found", "No such visit.", 2).await.expect("refuse");
        let change = Requeue { patient_id: Some(Uuid::from_u128(9)), ..Default::default() };
        assert!(q.requeue(it.id, &change, 3).await.expect("requeue"));
        let again = q.get(it.id).await.expect("get").expect("row");
        assert_eq!((again.patient_id, again.encounter_id), (Uuid::from_u128(9), None));
        assert_eq!(again.state, ItemState::Waiting);
        assert_eq!(again.idempotency_key, "k1", "the same file keeps its key");
        assert!(!q.requeue(it.id, &change, 4).await.expect("requeue"), "only a refused item is resent");
    }

    #[tokio::test]
    async fn scanner_files_count_as_taken_only_when_their_rows_commit() {
        let d = tempfile::tempdir().expect("tmp");
        let q = Queue::open(&d.path().join("q")).await.expect("open");
        let src = d.path().join("scan.pdf");
        std::fs::write(&src, b"%PDF-1.4 scan").expect("write");
        q.enqueue_taking(vec![(src.clone(), item("k1"))], &["aa".into()], 1).await.expect("queued");
        assert!(q.was_taken("aa").await.expect("read"));
        // The second hand-off fails (its key is used) and so records nothing: its scan stays offered.
        let again = q.enqueue_taking(vec![(src.clone(), item("k1"))], &["bb".into()], 2).await;
        assert!(again.is_err());
        assert!(!q.was_taken("bb").await.expect("read"));
        assert_eq!(q.list().await.expect("list").len(), 1);
        // And it survives reopening, as after a crash between commit and removal.
        q.close().await;
        let q = Queue::open(&d.path().join("q")).await.expect("reopen");
        assert!(q.was_taken("aa").await.expect("read"));
    }
}
