//! Session lookups, read together. Every request reads its session — the user, the clinic and
//! the clinic's document version — from the database; that read is what keeps listings fresh
//! on every server instance. Lookups that arrive while earlier ones are in flight are read in
//! one query, so under load one round trip serves many requests. A lookup never joins a query
//! that had started before it arrived, so it sees everything committed before its request.
//! The reader keeps its own database connections, so the same few database sessions (warm,
//! with the statement prepared) answer every lookup instead of each pooled one in turn.

use crate::db::people::{OrgRow, UserRow};
use crate::db::{ms, Db};
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::Any;
use tokio::sync::{mpsc, oneshot};

/// Queries in flight at once (each on its own connection); lookups arriving meanwhile wait
/// for the next one.
const MAX_IN_FLIGHT: usize = 2;
/// Tokens per query at most.
const MAX_BATCH: usize = 64;

type Answer = Result<Option<(UserRow, OrgRow)>, String>;

struct Lookup {
    token_hash: String,
    now_ms: i64,
    reply: oneshot::Sender<Answer>,
}

/// The handle requests use; the reading task ends when the last handle is dropped.
#[derive(Clone)]
pub struct SessionReads {
    tx: mpsc::UnboundedSender<Lookup>,
}

impl SessionReads {
    /// Starts the reading task on the current Tokio runtime.
    pub fn start(db: Db) -> SessionReads {
        let (tx, mut rx) = mpsc::unbounded_channel::<Lookup>();
        tokio::spawn(async move {
            // A slot is a connection kept between queries, or none yet (taken from the pool
            // when needed; a connection that failed is dropped and replaced the same way).
            let (slot_back, mut slots) = mpsc::channel::<Option<PoolConnection<Any>>>(MAX_IN_FLIGHT);
            for _ in 0..MAX_IN_FLIGHT {
                let _ = slot_back.try_send(None);
            }
            while let Some(first) = rx.recv().await {
                let Some(slot) = slots.recv().await else { break };
                // Everything queued by now arrived before this query starts.
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(l) => batch.push(l),
                        Err(_) => break,
                    }
                }
                let (db, slot_back) = (db.clone(), slot_back.clone());
                tokio::spawn(async move {
                    let kept = answer(&db, slot, batch).await;
                    let _ = slot_back.send(kept).await;
                });
            }
        });
        SessionReads { tx }
    }

    /// The user and clinic behind a live session token at `now`.
    pub async fn lookup(&self, token_hash: &str, now: DateTime<Utc>) -> ApiResult<Option<(UserRow, OrgRow)>> {
        let (reply, answer) = oneshot::channel();
        let gone = || ApiError::Internal(anyhow::anyhow!("the session reader stopped"));
        self.tx.send(Lookup { token_hash: token_hash.to_string(), now_ms: ms(now), reply }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(|e| ApiError::Internal(anyhow::anyhow!("session lookup failed: {e}")))
    }
}

/// Reads one batch on the slot's connection and answers each lookup with its own session,
/// judged at its own time. Returns the connection to keep, if it still works.
async fn answer(db: &Db, slot: Option<PoolConnection<Any>>, batch: Vec<Lookup>) -> Option<PoolConnection<Any>> {
    let mut hashes: Vec<&str> = batch.iter().map(|l| l.token_hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    // A kept connection may have been closed by the database since (a restart, a failover,
    // an idle timeout): then the read is tried once more on a fresh one from the pool.
    let mut read = Err(sqlx::Error::PoolClosed);
    let mut kept = None;
    if let Some(mut c) = slot {
        read = Db::session_users(&mut c, &hashes).await;
        kept = read.is_ok().then_some(c);
    }
    if read.is_err() {
        match db.pool.acquire().await {
            Ok(mut c) => {
                read = Db::session_users(&mut c, &hashes).await;
                kept = read.is_ok().then_some(c);
            }
            Err(e) => read = Err(e),
        }
    }
    match read {
        Ok(rows) => {
            for l in batch {
                let found = rows
                    .iter()
                    .find(|r| r.token_hash == l.token_hash && r.expires_at > l.now_ms)
                    .map(|r| (r.user.clone(), r.org.clone()));
                let _ = l.reply.send(Ok(found));
            }
            kept
        }
        Err(e) => {
            let e = e.to_string();
            for l in batch {
                let _ = l.reply.send(Err(e.clone()));
            }
            None
        }
    }
}
