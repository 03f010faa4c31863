//! Session lookups, read together. Every request reads its session — the user, the clinic and
//! the clinic's document version — from the database; that read is what keeps listings fresh
//! on every server instance. A request whose lookup finds a read slot free runs the query
//! itself; lookups that arrive while reads are in flight queue up and are read together, in
//! one query, by whichever waiting request gets the next slot. So a lone request pays one
//! round trip and nothing more, and under load one round trip serves many requests. A lookup
//! never joins a query that had started before it arrived, so it sees everything committed
//! before its request. The reads run on connections kept for them, so the same few database
//! sessions (warm, with the statement prepared) answer every lookup.

use crate::db::users::{session_users, SessionUser};
use crate::db::{ms, Db};
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::Any;
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, Semaphore};

/// Reads in flight at once (each on its own connection).
const MAX_IN_FLIGHT: usize = 2;
/// Tokens per query at most.
const MAX_BATCH: usize = 64;

type Answer = Result<Option<SessionUser>, String>;

struct Lookup {
    token_hash: String,
    now_ms: i64,
    reply: oneshot::Sender<Answer>,
}

/// The handle requests use.
#[derive(Clone)]
pub struct SessionReads {
    inner: Arc<Reads>,
}

struct Reads {
    db: Db,
    /// Lookups no read has taken yet, oldest first.
    queue: Mutex<Vec<Lookup>>,
    /// One permit per read in flight.
    slots: Semaphore,
    /// Connections kept between reads (at most one per slot).
    conns: Mutex<Vec<PoolConnection<Any>>>,
}

impl SessionReads {
    pub fn new(db: Db) -> SessionReads {
        SessionReads {
            inner: Arc::new(Reads {
                db,
                queue: Mutex::new(Vec::new()),
                slots: Semaphore::new(MAX_IN_FLIGHT),
                conns: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The session behind a token, while it is live at `now` (see [`SessionUser::live_at`]).
    pub async fn lookup(&self, token_hash: &str, now: DateTime<Utc>) -> ApiResult<Option<SessionUser>> {
        let reads = &self.inner;
        loop {
            let (reply, mut answer) = oneshot::channel();
            lock(&reads.queue).push(Lookup { token_hash: token_hash.to_string(), now_ms: ms(now), reply });
            let answered = loop {
                tokio::select! {
                    biased;
                    a = &mut answer => break a,
                    permit = reads.slots.acquire() => {
                        let _permit = permit.map_err(|_| ApiError::Internal(anyhow::anyhow!("session reads closed")))?;
                        let batch: Vec<Lookup> = {
                            let mut queue = lock(&reads.queue);
                            let n = queue.len().min(MAX_BATCH);
                            queue.drain(..n).collect()
                        };
                        if batch.is_empty() {
                            // Another read took this lookup; its answer is on the way.
                            break (&mut answer).await;
                        }
                        reads.read(batch).await;
                    }
                }
            };
            match answered {
                Ok(a) => {
                    return a.map_err(|e| ApiError::Internal(anyhow::anyhow!("session lookup failed: {e}")));
                }
                // The request reading this lookup went away before answering: ask again.
                Err(_) => continue,
            }
        }
    }
}

impl Reads {
    /// Reads one batch and answers each lookup with its own session, judged at its own time.
    async fn read(&self, batch: Vec<Lookup>) {
        let mut hashes: Vec<&str> = batch.iter().map(|l| l.token_hash.as_str()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        // A kept connection may have been closed by the database since (a restart, a failover,
        // an idle timeout): then the read is tried once more on a fresh one from the pool.
        let kept = lock(&self.conns).pop();
        let mut read = Err(sqlx::Error::PoolClosed);
        let mut keep = None;
        if let Some(mut c) = kept {
            read = session_users(&mut c, &hashes).await;
            keep = read.is_ok().then_some(c);
        }
        if read.is_err() {
            match self.db.pool.acquire().await {
                Ok(mut c) => {
                    read = session_users(&mut c, &hashes).await;
                    keep = read.is_ok().then_some(c);
                }
                Err(e) => read = Err(e),
            }
        }
        if let Some(c) = keep {
            lock(&self.conns).push(c);
        }
        match read {
            Ok(rows) => {
                for l in batch {
                    let found = rows.iter().find(|r| r.token_hash == l.token_hash && r.live_at(l.now_ms)).cloned();
                    let _ = l.reply.send(Ok(found));
                }
            }
            Err(e) => {
                let e = e.to_string();
                for l in batch {
                    let _ = l.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
