//! The loop that sends what the queue holds, the same in the window and in `clinicdocs-queue
//! drain`: each round sends the signed-in user's due mark changes first, then one upload (or
//! one batch), and reports to its [`Host`] — the window (events, title) or the command line
//! (printed lines). Between rounds it waits until the next item is due or it is woken (a new
//! item, a sign-in).

use super::mark_sync::{self, MarkVersions};
use super::marks::MarkChangeState;
use super::store::{Queue, QueueError};
use super::worker::{self, Step};
use crate::events::{MarksSyncedPayload, QueueProgress};
use crate::session::Session;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// The shortest and longest wait between rounds while something waits.
const MIN_WAIT: Duration = Duration::from_millis(50);
const MAX_WAIT: Duration = Duration::from_secs(300);
/// The wait after the queue's own file failed, before the next round.
const AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Unix milliseconds now: the queue's clock.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whom the loop reports to.
pub trait Host: Clone + Send + Sync + 'static {
    /// Who is signed in now, if anyone.
    fn session(&self) -> impl Future<Output = Option<Session>> + Send;
    /// Bytes of an item being sent (at most one call per whole percent).
    fn progress(&self, p: QueueProgress);
    /// Mark changes reached the server or were refused.
    fn marks_synced(&self, m: MarksSyncedPayload) -> impl Future<Output = ()> + Send;
    /// What one round did with an upload.
    fn stepped(&self, step: &Step) -> impl Future<Output = ()> + Send;
}

/// Calls `emit` when the whole percentage sent changes (at most about 100 times a file).
pub fn per_percent(mut emit: impl FnMut(u64, u64) + Send + Sync) -> impl FnMut(u64, u64) + Send + Sync {
    let mut last = None;
    move |sent, total| {
        let pct = (sent * 100).checked_div(total).unwrap_or(100);
        if last != Some(pct) {
            last = Some(pct);
            emit(sent, total);
        }
    }
}

/// The queue, the versions this app's writes gave marks, and whom to tell.
pub struct Runner<'a, H: Host> {
    pub queue: &'a Queue,
    pub versions: &'a MarkVersions,
    pub host: H,
}

/// What a round found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Nothing more is due now; the next thing is due at this unix ms, if anything waits.
    Idle(Option<i64>),
    /// Something was sent or scheduled: go on.
    Busy,
    /// The session ended; sign in again to go on.
    NeedsSignIn,
}

impl<H: Host> Runner<'_, H> {
    /// Sends due mark changes, then one upload or batch.
    pub async fn round(&self, session: &Session) -> Result<Round, QueueError> {
        let marks_due = self.send_mark_changes(session).await;
        let host = self.host.clone();
        let mut reports: HashMap<Uuid, Box<dyn FnMut(u64, u64) + Send + Sync>> = HashMap::new();
        let progress = move |id: Uuid, sent: u64, total: u64| {
            let f = reports.entry(id).or_insert_with(|| {
                let h = host.clone();
                Box::new(per_percent(move |s, t| h.progress(QueueProgress { id, sent: s as f64, total: t as f64 })))
            });
            f(sent, total);
        };
        let step =
            worker::step(self.queue, &session.client, session.user_id(), now_ms, rand::random(), progress).await?;
        self.host.stepped(&step).await;
        Ok(match step {
            Step::Idle(at) => Round::Idle(at.into_iter().chain(marks_due.ok().flatten()).min()),
            Step::Settled { .. } | Step::Retrying { .. } => Round::Busy,
            Step::NeedsSignIn => Round::NeedsSignIn,
        })
    }

    /// Sends this user's due mark changes and reports what reached the server; returns when
    /// the next waiting one is due (unix ms), if any.
    async fn send_mark_changes(&self, session: &Session) -> Result<Option<i64>, QueueError> {
        let (user, server) = (session.user_id(), session.server());
        let sent = mark_sync::send_due(self.queue, &session.client, user, self.versions, now_ms, rand::random()).await;
        match sent {
            Ok(sent) if !sent.synced.is_empty() || !sent.refused.is_empty() => {
                let mut waiting: Vec<Uuid> = self
                    .queue
                    .mark_changes(&server, user)
                    .await?
                    .iter()
                    .filter(|c| c.state != MarkChangeState::Refused)
                    .map(|c| c.document_id)
                    .collect();
                waiting.sort();
                waiting.dedup();
                self.host
                    .marks_synced(MarksSyncedPayload { documents: sent.synced, refused: sent.refused, waiting })
                    .await;
            }
            Ok(sent) if sent.needs_sign_in => return Ok(None), // the next sign-in wakes the loop
            Ok(_) => {}
            Err(e) => tracing::error!("mark changes: {e}"),
        }
        self.queue.next_mark_change_due(&server, user).await
    }

    /// Sends for as long as the app runs, while someone is signed in; `wake` starts the next
    /// round at once.
    pub async fn run(&self, wake: &Notify) {
        loop {
            let Some(session) = self.host.session().await else {
                wake.notified().await;
                continue;
            };
            match self.round(&session).await {
                Ok(Round::Idle(None)) | Ok(Round::NeedsSignIn) => wake.notified().await,
                Ok(Round::Idle(Some(at))) => {
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = tokio::time::sleep(wait_until(at)) => {}
                    }
                }
                Ok(Round::Busy) => {}
                Err(e) => {
                    tracing::error!("upload queue: {e}");
                    tokio::time::sleep(AFTER_FAILURE).await;
                }
            }
        }
    }

    /// Sends until nothing waits (`clinicdocs-queue drain`); a retry waits for its time.
    pub async fn drain(&self, session: &Session) -> Result<(), QueueError> {
        loop {
            match self.round(session).await? {
                Round::Idle(None) => return Ok(()),
                Round::Idle(Some(at)) => tokio::time::sleep(wait_until(at)).await,
                Round::Busy => {}
                Round::NeedsSignIn => return Err(QueueError::SignInNeeded),
            }
        }
    }
}

fn wait_until(at: i64) -> Duration {
    let ms = u64::try_from(at - now_ms()).unwrap_or(0);
    Duration::from_millis(ms).clamp(MIN_WAIT, MAX_WAIT)
}

/// A session began (sign-in or restored): this user's waiting items are tried at once.
pub async fn session_started(queue: &Queue, session: &Session, wake: &Notify) {
    if let Err(e) = queue.make_due(&session.server(), session.user_id(), now_ms()).await {
        tracing::warn!("upload queue: {e}");
    }
    wake.notify_one();
}

#[cfg(test)]
mod tests {
    use super::per_percent;
    use std::sync::{Arc, Mutex};

    #[test]
    fn upload_progress_is_reported_once_per_percent_and_ends_at_the_total() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let mut report = per_percent(move |sent, total| sink.lock().expect("lock").push((sent, total)));
        let total = 10 * 1024 * 1024;
        let mut sent = 0;
        while sent < total {
            sent = (sent + 64 * 1024).min(total);
            report(sent, total);
        }
        let seen = seen.lock().expect("lock");
        assert!(seen.len() <= 101 && seen.len() >= 90, "{} events for 160 chunks", seen.len());
        assert_eq!(seen.last(), Some(&(total, total)));
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
