//! Sending queued items: one at a time, oldest first, each with the idempotency key it got
//! when it was queued, so a retry after a crash or a lost answer stores nothing twice. An
//! unreachable server or a 5xx is retried with exponential backoff and jitter; a refusal
//! (type, size, quota, visit limit, access) stops that item with the server's message; an
//! ended session leaves it waiting for the next sign-in. Time and randomness are passed in.

use crate::api_client::{ApiClient, UploadFields};
use crate::error::{CommandError, CommandErrorCode, LocalCode};
use crate::queue::store::{Queue, QueueError, QueueItem};
use clinicdocs_core::api::ErrorCode;
use std::time::Duration;
use uuid::Uuid;

/// First retry after 2 s, doubling up to 5 minutes.
const BACKOFF_BASE: Duration = Duration::from_secs(2);
const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// What to do with an item after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The network or the server failed; try again later.
    Retry,
    /// The session ended; keep it waiting for the next sign-in, attempt not counted.
    WaitForSignIn,
    /// The server refused the file itself; a person has to change something.
    Refuse,
}

pub fn disposition(e: &CommandError) -> Disposition {
    match e.code {
        CommandErrorCode::Local(LocalCode::ServerUnreachable | LocalCode::BadResponse) => Disposition::Retry,
        CommandErrorCode::Api(ErrorCode::Internal) => Disposition::Retry,
        CommandErrorCode::Api(ErrorCode::Unauthorized) | CommandErrorCode::Local(LocalCode::NotSignedIn) => {
            Disposition::WaitForSignIn
        }
        // A lost spool file can never be sent; say so rather than retry for ever.
        _ => Disposition::Refuse,
    }
}

/// The wait before attempt `attempts + 1`: exponential, capped, then scaled by `jitter` in
/// [0, 1) to between half and all of it, so workstations that lost the network together do
/// not come back together.
pub fn backoff(attempts: u32, jitter: f64) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32.checked_shl(attempts.min(20)).unwrap_or(u32::MAX));
    let capped = exp.min(BACKOFF_CAP);
    capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// What one step of the worker did.
#[derive(Debug)]
pub enum Step {
    /// Nothing is due; the next item is due at this unix ms, if any.
    Idle(Option<i64>),
    Sent {
        item: Uuid,
        document: Uuid,
    },
    Retrying {
        item: Uuid,
        at: i64,
        error: CommandError,
    },
    Refused {
        item: Uuid,
        error: CommandError,
    },
    /// The session ended; sign in again to go on.
    NeedsSignIn,
}

/// Sends the next due item of this client's server and user. `progress(item, sent, total)`
/// follows the bytes of the item being sent.
pub async fn step(
    queue: &Queue,
    client: &ApiClient,
    user_id: Uuid,
    now_ms: impl Fn() -> i64,
    jitter: f64,
    mut progress: impl FnMut(Uuid, u64, u64) + Send + Sync + 'static,
) -> Result<Step, QueueError> {
    let server = client.base().as_str().to_string();
    let Some(item) = queue.claim_next(&server, user_id, now_ms()).await? else {
        return Ok(Step::Idle(queue.next_due(&server, user_id).await?));
    };
    let id = item.id;
    let result = send(queue, client, &item, move |sent, total| progress(id, sent, total)).await;
    let now = now_ms();
    Ok(match result {
        Ok(document) => {
            queue.mark_done(item.id, document, now).await?;
            Step::Sent { item: item.id, document }
        }
        Err(error) => match disposition(&error) {
            Disposition::Retry => {
                let at = now + backoff(item.attempts, jitter).as_millis() as i64;
                queue.mark_retry(item.id, at, &code_name(&error), &error.message, now).await?;
                Step::Retrying { item: item.id, at, error }
            }
            Disposition::WaitForSignIn => {
                queue.release(item.id, now).await?;
                Step::NeedsSignIn
            }
            Disposition::Refuse => {
                queue.mark_refused(item.id, &code_name(&error), &error.message, now).await?;
                Step::Refused { item: item.id, error }
            }
        },
    })
}

async fn send(
    queue: &Queue,
    client: &ApiClient,
    item: &QueueItem,
    progress: impl FnMut(u64, u64) + Send + Sync + 'static,
) -> Result<Uuid, CommandError> {
    let path = queue.spool.path(item.id);
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        CommandError::local(
            LocalCode::FileAccess,
            format!("The queued copy of {} is missing or unreadable ({e}). Add the file again.", item.file_name),
        )
    })?;
    let fields = UploadFields {
        patient_id: item.patient_id,
        category: item.category,
        title: item.title.clone(),
        notes: item.notes.clone(),
        encounter_id: item.encounter_id,
    };
    let resp = client.upload(&fields, &item.file_name, bytes, &item.idempotency_key, progress).await?;
    Ok(resp.document.id)
}

fn code_name(e: &CommandError) -> String {
    serde_json::to_value(e.code).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| "error".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_between_half_and_all() {
        assert!(backoff(0, 0.999) < Duration::from_secs(2) && backoff(0, 0.999) > Duration::from_millis(1990));
        assert_eq!(backoff(0, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(3, 0.0), Duration::from_secs(8));
        assert_eq!(backoff(30, 0.0), Duration::from_secs(150));
        assert!(backoff(30, 0.999) <= BACKOFF_CAP);
    }

    #[test]
    fn only_network_and_server_failures_are_retried() {
        let api = |c| CommandError::api(c, "x");
        assert_eq!(disposition(&CommandError::local(LocalCode::ServerUnreachable, "x")), Disposition::Retry);
        assert_eq!(disposition(&api(ErrorCode::Internal)), Disposition::Retry);
        assert_eq!(disposition(&api(ErrorCode::Unauthorized)), Disposition::WaitForSignIn);
        for refused in [
            ErrorCode::QuotaExceeded,
            ErrorCode::VisitLimitReached,
            ErrorCode::FileTooLarge,
            ErrorCode::UnsupportedType,
            ErrorCode::ExecutableRefused,
            ErrorCode::PasswordProtectedPdf,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
        ] {
            assert_eq!(disposition(&api(refused)), Disposition::Refuse, "{refused:?}");
        }
    }
}
