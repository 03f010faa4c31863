//! Annotation changes waiting in the queue file (docs/DESIGN.md §4): made while the server could not
//! be reached, kept in SQLite until sent. One row per mark; a later change folds into it, so
//! what is sent is the mark as the doctor last left it, based on the server version the first
//! offline change started from (a conflict with someone else's edit is still detected).
//! Time is passed in.

use crate::queue::store::{Queue, QueueError};
use clinicdocs_core::annotation::{Shape, Style};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;
use uuid::Uuid;

/// What a change does to its mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MarkOp {
    Create,
    Update,
    Delete,
}

impl MarkOp {
    fn as_str(self) -> &'static str {
        match self {
            MarkOp::Create => "create",
            MarkOp::Update => "update",
            MarkOp::Delete => "delete",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "create" => MarkOp::Create,
            "update" => MarkOp::Update,
            "delete" => MarkOp::Delete,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MarkChangeState {
    Waiting,
    Sending,
    /// The server said no (someone else changed or deleted the mark, no access); shown until
    /// discarded.
    Refused,
}

/// A mark's content: its shape, style and comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MarkBody {
    #[serde(flatten)]
    pub shape: Shape,
    pub style: Style,
    pub text: Option<String>,
}

/// One waiting change, as the queue panel shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MarkChange {
    pub annotation_id: Uuid,
    #[serde(skip)]
    pub server_url: String,
    #[serde(skip)]
    pub user_id: Uuid,
    pub document_id: Uuid,
    /// As the window showed it when the change was made.
    pub document_title: Option<String>,
    pub page_number: f64,
    pub op: MarkOp,
    pub body: Option<MarkBody>,
    pub base_version: Option<f64>,
    #[serde(skip)]
    pub rev: i64,
    pub state: MarkChangeState,
    pub attempts: u32,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Unix ms.
    pub queued_at: f64,
}

/// A change the doctor made that could not be sent now.
#[derive(Debug, Clone)]
pub struct NewMarkChange {
    pub server_url: String,
    pub user_id: Uuid,
    pub document_id: Uuid,
    pub document_title: Option<String>,
    pub annotation_id: Uuid,
    pub page_number: i64,
    pub op: MarkOp,
    /// `None` for a delete.
    pub body: Option<MarkBody>,
    /// The server version an update or delete is based on.
    pub base_version: Option<i64>,
}

/// What folding a change into the queue left.
#[derive(Debug, Clone, PartialEq)]
pub enum Folded {
    /// A row waits to be sent (new, or the mark's earlier change now carrying this one).
    Queued,
    /// A mark created and deleted while offline: nothing left to send.
    Cancelled,
}

impl Queue {
    /// Records a change, folding it into the mark's waiting change if it has one:
    /// create + update = create with the new content; create + delete = nothing (unless the
    /// create is being sent: then a delete follows); update + update = update from the first
    /// base version; update + delete = delete from the first base version. A mark whose change
    /// was refused starts over with this one.
    pub async fn fold_mark_change(&self, c: NewMarkChange, now_ms: i64) -> Result<Folded, QueueError> {
        let body =
            c.body.as_ref().map(serde_json::to_string).transpose().map_err(|e| QueueError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        let existing: Option<(String, String)> =
            sqlx::query_as("SELECT op, state FROM mark_changes WHERE annotation_id = ?")
                .bind(c.annotation_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let id = c.annotation_id.to_string();
        let folded = match existing {
            None => {
                sqlx::query(
                    "INSERT INTO mark_changes (annotation_id, server_url, user_id, document_id, document_title, \
                     page_number, op, body, base_version, state, next_attempt_at, queued_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)",
                )
                .bind(&id)
                .bind(&c.server_url)
                .bind(c.user_id.to_string())
                .bind(c.document_id.to_string())
                .bind(&c.document_title)
                .bind(c.page_number)
                .bind(c.op.as_str())
                .bind(&body)
                .bind(c.base_version)
                .bind(now_ms)
                .bind(now_ms)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                Folded::Queued
            }
            Some((_, state)) if state == "refused" => {
                sqlx::query(
                    "UPDATE mark_changes SET op = ?, body = ?, base_version = ?, rev = rev + 1, state = 'waiting', \
                     attempts = 0, next_attempt_at = ?, error_code = NULL, error_message = NULL, updated_at = ? \
                     WHERE annotation_id = ?",
                )
                .bind(c.op.as_str())
                .bind(&body)
                .bind(c.base_version)
                .bind(now_ms)
                .bind(now_ms)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                Folded::Queued
            }
            Some((op, state)) => match (MarkOp::parse(&op), c.op) {
                // Undo of a delete: the mark still exists on the server (or will, once the
                // delete on its way lands and this create follows it).
                (Some(MarkOp::Delete), MarkOp::Create) => {
                    let op = if state == "waiting" { "update" } else { "create" };
                    sqlx::query(
                        "UPDATE mark_changes SET op = ?, body = ?, rev = rev + 1, updated_at = ? WHERE annotation_id = ?",
                    )
                    .bind(op)
                    .bind(&body)
                    .bind(now_ms)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    Folded::Queued
                }
                (Some(MarkOp::Delete), _) | (_, MarkOp::Create) => {
                    return Err(QueueError::Corrupt(format!("mark {id}: a {} after a waiting {op}", c.op.as_str())));
                }
                (Some(MarkOp::Create), MarkOp::Delete) if state == "waiting" => {
                    sqlx::query("DELETE FROM mark_changes WHERE annotation_id = ?").bind(&id).execute(&mut *tx).await?;
                    Folded::Cancelled
                }
                (_, MarkOp::Delete) => {
                    sqlx::query(
                        "UPDATE mark_changes SET op = 'delete', body = NULL, rev = rev + 1, updated_at = ? \
                         WHERE annotation_id = ?",
                    )
                    .bind(now_ms)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    Folded::Queued
                }
                (_, MarkOp::Update) => {
                    sqlx::query(
                        "UPDATE mark_changes SET body = ?, rev = rev + 1, updated_at = ? WHERE annotation_id = ?",
                    )
                    .bind(&body)
                    .bind(now_ms)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    Folded::Queued
                }
            },
        };
        tx.commit().await?;
        Ok(folded)
    }

    /// The mark's change still to be sent (waiting or on its way), if any.
    pub async fn pending_mark_change(&self, annotation_id: Uuid) -> Result<Option<MarkChange>, QueueError> {
        let row = sqlx::query("SELECT * FROM mark_changes WHERE annotation_id = ? AND state <> 'refused'")
            .bind(annotation_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| mark_change(&r)).transpose()
    }

    /// Every change of this server and user, oldest first.
    pub async fn mark_changes(&self, server_url: &str, user_id: Uuid) -> Result<Vec<MarkChange>, QueueError> {
        let rows = sqlx::query(
            "SELECT * FROM mark_changes WHERE server_url = ? AND user_id = ? ORDER BY queued_at, annotation_id",
        )
        .bind(server_url)
        .bind(user_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(mark_change).collect()
    }

    /// Changes not yet sent, of every user (the window title and the close warning count them).
    pub async fn unsent_mark_changes(&self) -> Result<usize, QueueError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mark_changes WHERE state <> 'refused'")
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// This server and user's due changes, marked `sending`, oldest first.
    pub async fn claim_mark_changes(
        &self,
        server_url: &str,
        user_id: Uuid,
        now_ms: i64,
    ) -> Result<Vec<MarkChange>, QueueError> {
        let rows = sqlx::query(
            "UPDATE mark_changes SET state = 'sending', updated_at = ?1 WHERE state = 'waiting' AND server_url = ?2 \
             AND user_id = ?3 AND next_attempt_at <= ?1 RETURNING *",
        )
        .bind(now_ms)
        .bind(server_url)
        .bind(user_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<MarkChange> = rows.iter().map(mark_change).collect::<Result<_, _>>()?;
        out.sort_by(|a, b| a.queued_at.total_cmp(&b.queued_at));
        Ok(out)
    }

    /// When this server and user's next waiting change is due (unix ms), if any.
    pub async fn next_mark_change_due(&self, server_url: &str, user_id: Uuid) -> Result<Option<i64>, QueueError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM mark_changes WHERE state = 'waiting' AND server_url = ? AND user_id = ?",
        )
        .bind(server_url)
        .bind(user_id.to_string())
        .fetch_one(&self.pool)
        .await?)
    }

    /// The server took the change sent at `sent_rev`; `version` is the mark's version now
    /// (`None` after a delete). The row goes, unless the doctor changed the mark again while it
    /// was on its way: then what is left is sent next, based on `version`.
    pub async fn mark_change_sent(
        &self,
        annotation_id: Uuid,
        sent_rev: i64,
        version: Option<i64>,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        let id = annotation_id.to_string();
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM mark_changes WHERE annotation_id = ? AND rev = ?")
            .bind(&id)
            .bind(sent_rev)
            .execute(&mut *tx)
            .await?;
        // Left only when changed meanwhile: after a create or update, an update or delete
        // from the new version; after a delete, the create that undid it.
        sqlx::query(
            "UPDATE mark_changes SET op = CASE WHEN ?1 IS NULL OR op = 'delete' THEN op ELSE 'update' END, \
             base_version = COALESCE(?1, base_version), state = 'waiting', attempts = 0, next_attempt_at = ?2, \
             error_code = NULL, error_message = NULL, updated_at = ?2 WHERE annotation_id = ?3",
        )
        .bind(version)
        .bind(now_ms)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Back to `waiting` until `next_at`. With a reason the attempt counts and the reason is
    /// shown; without one (the session ended) it does not.
    pub async fn mark_change_retry(
        &self,
        annotation_id: Uuid,
        next_at: i64,
        reason: Option<(&str, &str)>,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE mark_changes SET state = 'waiting', attempts = attempts + ?, next_attempt_at = ?, \
             error_code = COALESCE(?, error_code), error_message = COALESCE(?, error_message), updated_at = ? \
             WHERE annotation_id = ? AND state = 'sending'",
        )
        .bind(i64::from(reason.is_some()))
        .bind(next_at)
        .bind(reason.map(|r| r.0))
        .bind(reason.map(|r| r.1))
        .bind(now_ms)
        .bind(annotation_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_change_refused(
        &self,
        annotation_id: Uuid,
        code: &str,
        message: &str,
        now_ms: i64,
    ) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE mark_changes SET state = 'refused', attempts = attempts + 1, error_code = ?, error_message = ?, \
             updated_at = ? WHERE annotation_id = ?",
        )
        .bind(code)
        .bind(message)
        .bind(now_ms)
        .bind(annotation_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a refused change (the doctor has seen why).
    pub async fn discard_mark_change(&self, annotation_id: Uuid) -> Result<bool, QueueError> {
        let r = sqlx::query("DELETE FROM mark_changes WHERE annotation_id = ? AND state = 'refused'")
            .bind(annotation_id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}

fn mark_change(r: &sqlx::sqlite::SqliteRow) -> Result<MarkChange, QueueError> {
    let bad = |what: &str| QueueError::Corrupt(format!("mark_changes.{what}"));
    let uuid = |col: &str| -> Result<Uuid, QueueError> {
        Uuid::parse_str(&r.try_get::<String, _>(col)?).map_err(|_| bad(col))
    };
    let op: String = r.try_get("op")?;
    let state: String = r.try_get("state")?;
    let body: Option<String> = r.try_get("body")?;
    Ok(MarkChange {
        annotation_id: uuid("annotation_id")?,
        server_url: r.try_get("server_url")?,
        user_id: uuid("user_id")?,
        document_id: uuid("document_id")?,
        document_title: r.try_get("document_title")?,
        page_number: r.try_get::<i64, _>("page_number")? as f64,
        op: MarkOp::parse(&op).ok_or_else(|| bad("op"))?,
        body: body.map(|b| serde_json::from_str(&b).map_err(|_| bad("body"))).transpose()?,
        base_version: r.try_get::<Option<i64>, _>("base_version")?.map(|v| v as f64),
        rev: r.try_get("rev")?,
        state: match state.as_str() {
            "waiting" => MarkChangeState::Waiting,
            "sending" => MarkChangeState::Sending,
            "refused" => MarkChangeState::Refused,
            _ => return Err(bad("state")),
        },
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        error_code: r.try_get("error_code")?,
        error_message: r.try_get("error_message")?,
        queued_at: r.try_get::<i64, _>("queued_at")? as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clinicdocs_core::annotation::Point;

    fn body(x: f64) -> MarkBody {
        MarkBody {
            shape: Shape::Marker(Point { x, y: 0.5 }),
            style: Style { color: "#ff0000".into(), width: 0.01 },
            text: None,
        }
    }

    fn change(id: u128, op: MarkOp, x: f64, base: Option<i64>) -> NewMarkChange {
        NewMarkChange {
            server_url: "http://127.0.0.1:1/".into(),
            user_id: Uuid::from_u128(1),
            document_id: Uuid::from_u128(2),
            document_title: Some("Knee X-ray".into()),
            annotation_id: Uuid::from_u128(id),
            page_number: 1,
            op,
            body: (op != MarkOp::Delete).then(|| body(x)),
            base_version: base,
        }
    }

    async fn open() -> (tempfile::TempDir, Queue) {
        let d = tempfile::tempdir().expect("tmp");
        let q = Queue::open(&d.path().join("q")).await.expect("open");
        (d, q)
    }

    #[tokio::test]
    async fn offline_changes_to_one_mark_fold_into_one_send() {
        let (_d, q) = open().await;
        let id = Uuid::from_u128(10);
        // Created, moved twice: one create with the last position.
        q.fold_mark_change(change(10, MarkOp::Create, 0.1, None), 1).await.expect("create");
        q.fold_mark_change(change(10, MarkOp::Update, 0.2, Some(0)), 2).await.expect("move");
        q.fold_mark_change(change(10, MarkOp::Update, 0.3, Some(0)), 3).await.expect("move");
        let c = q.pending_mark_change(id).await.expect("read").expect("row");
        assert_eq!((c.op, c.body, c.base_version), (MarkOp::Create, Some(body(0.3)), None));
        // Created and deleted before any send: nothing to send.
        assert_eq!(
            q.fold_mark_change(change(10, MarkOp::Delete, 0.0, Some(0)), 4).await.expect("delete"),
            Folded::Cancelled
        );
        assert!(q.pending_mark_change(id).await.expect("read").is_none());
        // A server mark edited twice then deleted: one delete based on the version it started from.
        q.fold_mark_change(change(11, MarkOp::Update, 0.2, Some(4)), 5).await.expect("edit");
        q.fold_mark_change(change(11, MarkOp::Update, 0.4, Some(5)), 6).await.expect("edit");
        let c = q.pending_mark_change(Uuid::from_u128(11)).await.expect("read").expect("row");
        assert_eq!((c.op, c.base_version, c.body), (MarkOp::Update, Some(4.0), Some(body(0.4))));
        q.fold_mark_change(change(11, MarkOp::Delete, 0.0, Some(5)), 7).await.expect("delete");
        let c = q.pending_mark_change(Uuid::from_u128(11)).await.expect("read").expect("row");
        assert_eq!((c.op, c.base_version, c.body), (MarkOp::Delete, Some(4.0), None));
        assert_eq!(q.unsent_mark_changes().await.expect("count"), 1);
    }

    #[tokio::test]
    async fn a_change_made_while_its_mark_was_being_sent_is_sent_next_on_the_new_version() {
        let (_d, q) = open().await;
        let id = Uuid::from_u128(20);
        q.fold_mark_change(change(20, MarkOp::Create, 0.1, None), 1).await.expect("create");
        let claimed = q.claim_mark_changes("http://127.0.0.1:1/", Uuid::from_u128(1), 2).await.expect("claim");
        assert_eq!(claimed.len(), 1);
        // Moved while the create is on its way, then the server answers version 1.
        q.fold_mark_change(change(20, MarkOp::Update, 0.6, Some(0)), 3).await.expect("move");
        q.mark_change_sent(id, claimed[0].rev, Some(1), 4).await.expect("sent");
        let c = q.pending_mark_change(id).await.expect("read").expect("the move is left");
        assert_eq!((c.op, c.base_version, c.state), (MarkOp::Update, Some(1.0), MarkChangeState::Waiting));
        assert_eq!(c.body, Some(body(0.6)));
        // Deleted while the create was on its way: the create is not cancelled, a delete follows.
        q.fold_mark_change(change(21, MarkOp::Create, 0.1, None), 5).await.expect("create");
        let claimed = q.claim_mark_changes("http://127.0.0.1:1/", Uuid::from_u128(1), 6).await.expect("claim");
        let sending = claimed.iter().find(|c| c.annotation_id == Uuid::from_u128(21)).expect("claimed");
        // (The move of mark 20 was claimed with it; the network fails for it this time.)
        q.mark_change_retry(Uuid::from_u128(20), 0, Some(("server_unreachable", "offline")), 6).await.expect("retry");
        assert_eq!(
            q.fold_mark_change(change(21, MarkOp::Delete, 0.0, Some(0)), 7).await.expect("delete"),
            Folded::Queued
        );
        q.mark_change_sent(Uuid::from_u128(21), sending.rev, Some(1), 8).await.expect("sent");
        let c = q.pending_mark_change(Uuid::from_u128(21)).await.expect("read").expect("the delete is left");
        assert_eq!((c.op, c.base_version), (MarkOp::Delete, Some(1.0)));
        // Sent with nothing changed meanwhile: gone.
        let claimed = q.claim_mark_changes("http://127.0.0.1:1/", Uuid::from_u128(1), 9).await.expect("claim");
        for c in claimed {
            let v = (c.op != MarkOp::Delete).then_some(2);
            q.mark_change_sent(c.annotation_id, c.rev, v, 10).await.expect("sent");
        }
        assert_eq!(q.unsent_mark_changes().await.expect("count"), 0);
    }

    #[tokio::test]
    async fn undoing_an_offline_delete_sends_the_mark_back_not_a_second_one() {
        let (_d, q) = open().await;
        let id = Uuid::from_u128(40);
        q.fold_mark_change(change(40, MarkOp::Delete, 0.0, Some(3)), 1).await.expect("delete");
        q.fold_mark_change(change(40, MarkOp::Create, 0.5, None), 2).await.expect("undo");
        let c = q.pending_mark_change(id).await.expect("read").expect("row");
        assert_eq!((c.op, c.base_version, c.body), (MarkOp::Update, Some(3.0), Some(body(0.5))));
        // Undone while the delete was on its way: the create follows the delete.
        q.fold_mark_change(change(41, MarkOp::Delete, 0.0, Some(3)), 3).await.expect("delete");
        let sending = q.claim_mark_changes("http://127.0.0.1:1/", Uuid::from_u128(1), 4).await.expect("claim");
        let d = sending.iter().find(|c| c.annotation_id == Uuid::from_u128(41)).expect("claimed");
        q.fold_mark_change(change(41, MarkOp::Create, 0.5, None), 5).await.expect("undo");
        q.mark_change_sent(d.annotation_id, d.rev, None, 6).await.expect("deleted");
        let c = q.pending_mark_change(d.annotation_id).await.expect("read").expect("the create is left");
        assert_eq!((c.op, c.state), (MarkOp::Create, MarkChangeState::Waiting));
    }

    #[tokio::test]
    async fn changes_survive_a_restart_and_a_refused_one_waits_to_be_discarded() {
        let d = tempfile::tempdir().expect("tmp");
        let q = Queue::open(&d.path().join("q")).await.expect("open");
        q.fold_mark_change(change(30, MarkOp::Update, 0.3, Some(2)), 1).await.expect("edit");
        q.claim_mark_changes("http://127.0.0.1:1/", Uuid::from_u128(1), 2).await.expect("claim");
        q.close().await;
        // The app stopped while it was being sent: waiting again after the restart.
        let q = Queue::open(&d.path().join("q")).await.expect("reopen");
        let c = q.pending_mark_change(Uuid::from_u128(30)).await.expect("read").expect("kept");
        assert_eq!(c.state, MarkChangeState::Waiting);
        q.mark_change_refused(c.annotation_id, "conflict", "changed by someone else", 3).await.expect("refuse");
        assert!(q.pending_mark_change(c.annotation_id).await.expect("read").is_none(), "not pending");
        assert_eq!(q.unsent_mark_changes().await.expect("count"), 0);
        let all = q.mark_changes("http://127.0.0.1:1/", Uuid::from_u128(1)).await.expect("list");
        assert_eq!(all[0].error_message.as_deref(), Some("changed by someone else"));
        assert!(q.discard_mark_change(c.annotation_id).await.expect("discard"));
        assert!(q.mark_changes("http://127.0.0.1:1/", Uuid::from_u128(1)).await.expect("list").is_empty());
    }
}
