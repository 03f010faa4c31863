//! Sending queued items: one at a time, oldest first (or a dropped folder's files together as
//! one all-or-nothing batch), each with the idempotency key it got when it was queued, so a
//! retry after a crash or a lost answer stores nothing twice. An unreachable server or a 5xx
//! is retried with exponential backoff and jitter; a refusal (type, size, quota, visit limit,
//! access) stops that item with the server's message; an ended session leaves it waiting for
//! the next sign-in. Time and randomness are passed in.

use crate::api_client::{ApiClient, UploadFields};
use crate::error::{CommandError, CommandErrorCode, LocalCode};
use crate::queue::store::{Queue, QueueError, QueueItem};
use clinicdocs_core::api::{BatchFileState, BatchItem, BatchResponse, ErrorCode};
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
    /// The server answered: items stored (each with the document it became) and items refused
    /// (each with the reason shown to the receptionist).
    Settled { sent: Vec<(Uuid, Uuid)>, refused: Vec<(Uuid, CommandError)> },
    /// Items to try again at `at` (unix ms).
    Retrying { items: Vec<Uuid>, at: i64, error: CommandError },
    /// The session ended; sign in again to go on.
    NeedsSignIn,
}

/// Sends the next due work of this client's server and user: one item, or a whole batch.
/// `progress(item, sent, total)` follows the bytes of each item being sent.
pub async fn step(
    queue: &Queue,
    client: &ApiClient,
    user_id: Uuid,
    now_ms: impl Fn() -> i64,
    jitter: f64,
    progress: impl FnMut(Uuid, u64, u64) + Send + Sync + 'static,
) -> Result<Step, QueueError> {
    let server = client.base().as_str().to_string();
    let items = queue.claim_next(&server, user_id, now_ms()).await?;
    let Some(first) = items.first() else {
        return Ok(Step::Idle(queue.next_due(&server, user_id).await?));
    };
    let outcome = if first.batch_id.is_some() {
        send_batch(queue, client, &items, progress).await
    } else {
        let mut progress = progress;
        let id = first.id;
        send(queue, client, first, move |sent, total| progress(id, sent, total)).await.map(|d| vec![Ok(d)])
    };
    let now = now_ms();
    let attempts = items.iter().map(|i| i.attempts).max().unwrap_or(0);
    let error = match outcome {
        Ok(per_item) => return settle(queue, &items, per_item, now).await,
        Err(error) => error,
    };
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    Ok(match disposition(&error) {
        Disposition::Retry => {
            let at = now + backoff(attempts, jitter).as_millis() as i64;
            for id in &ids {
                queue.mark_retry(*id, at, &code_name(&error), &error.message, now).await?;
            }
            Step::Retrying { items: ids, at, error }
        }
        Disposition::WaitForSignIn => {
            for id in &ids {
                queue.release(*id, now).await?;
            }
            Step::NeedsSignIn
        }
        Disposition::Refuse => {
            for id in &ids {
                queue.mark_refused(*id, &code_name(&error), &error.message, now).await?;
            }
            Step::Settled { sent: Vec::new(), refused: ids.into_iter().map(|id| (id, error.clone())).collect() }
        }
    })
}

/// Records what the server said of each item: stored (with its document) or refused.
async fn settle(
    queue: &Queue,
    items: &[QueueItem],
    per_item: Vec<Result<Uuid, CommandError>>,
    now: i64,
) -> Result<Step, QueueError> {
    let mut sent = Vec::new();
    let mut refused = Vec::new();
    for (item, result) in items.iter().zip(per_item) {
        match result {
            Ok(document) => {
                queue.mark_done(item.id, document, now).await?;
                sent.push((item.id, document));
            }
            Err(error) => {
                queue.mark_refused(item.id, &code_name(&error), &error.message, now).await?;
                refused.push((item.id, error));
            }
        }
    }
    Ok(Step::Settled { sent, refused })
}

async fn read_spooled(queue: &Queue, item: &QueueItem) -> Result<Vec<u8>, CommandError> {
    tokio::fs::read(queue.spool.path(item.id)).await.map_err(|e| {
        CommandError::local(
            LocalCode::FileAccess,
            format!("The queued copy of {} is missing or unreadable ({e}). Add the file again.", item.file_name),
        )
    })
}

async fn send(
    queue: &Queue,
    client: &ApiClient,
    item: &QueueItem,
    progress: impl FnMut(u64, u64) + Send + Sync + 'static,
) -> Result<Uuid, CommandError> {
    let bytes = read_spooled(queue, item).await?;
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

/// Sends a batch whole. `Err` when the batch as a whole must be retried or refused; otherwise
/// each item's own result. When the server stored none because of one file, that file gets
/// its reason and the others say they were held back with it.
async fn send_batch(
    queue: &Queue,
    client: &ApiClient,
    items: &[QueueItem],
    mut progress: impl FnMut(Uuid, u64, u64) + Send + Sync + 'static,
) -> Result<Vec<Result<Uuid, CommandError>>, CommandError> {
    let mut files = Vec::with_capacity(items.len());
    for item in items {
        let bytes = read_spooled(queue, item).await?;
        let fields = BatchItem {
            patient_id: item.patient_id,
            category: item.category,
            title: item.title.clone(),
            notes: item.notes.clone(),
            encounter_id: item.encounter_id,
            idempotency_key: Some(item.idempotency_key.clone()),
        };
        files.push((fields, item.file_name.clone(), bytes));
    }
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let resp = client.upload_batch(files, move |i, sent, total| progress(ids[i], sent, total)).await?;
    batch_results(items.len(), resp)
}

/// Each item's result from the server's answer to its batch.
pub fn batch_results(count: usize, resp: BatchResponse) -> Result<Vec<Result<Uuid, CommandError>>, CommandError> {
    let unreadable = || CommandError::local(LocalCode::BadResponse, "The server's answer to the batch was incomplete.");
    if resp.files.len() != count {
        return Err(unreadable());
    }
    let batch_error = resp.error.map(|e| CommandError::api(e.code, e.message));
    if !resp.stored {
        if let Some(e) = &batch_error {
            // Collided with a simultaneous send of the same files: the next try finds them stored.
            if e.code == CommandErrorCode::Api(ErrorCode::Conflict) {
                return Err(CommandError::api(ErrorCode::Internal, e.message.clone()));
            }
        }
    }
    let refused_count = resp.files.iter().filter(|f| f.status == BatchFileState::Refused).count();
    let mut out = Vec::with_capacity(count);
    for f in resp.files {
        out.push(match f.status {
            BatchFileState::Stored => f.document.map(|d| d.id).ok_or_else(unreadable),
            BatchFileState::Refused => Err(f
                .error
                .map(|e| CommandError::api(e.code, e.message))
                .unwrap_or_else(|| CommandError::api(ErrorCode::BatchFailed, "The server refused this file."))),
            BatchFileState::NotStored => Err(held_back(refused_count, batch_error.as_ref())),
        });
    }
    Ok(out)
}

/// Why a good file of a refused batch was not stored.
fn held_back(refused: usize, batch_error: Option<&CommandError>) -> CommandError {
    match (refused, batch_error) {
        (0, Some(e)) => e.clone(),
        (1, _) => CommandError::api(
            ErrorCode::BatchFailed,
            "Held back: a file sent with it was refused, so none was stored. Discard or fix that one, then send this again.",
        ),
        (n, _) => CommandError::api(
            ErrorCode::BatchFailed,
            format!("Held back: {n} files sent with it were refused, so none was stored. Discard or fix those, then send this again."),
        ),
    }
}

pub(crate) fn code_name(e: &CommandError) -> String {
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

    fn status(state: BatchFileState, error: Option<ErrorCode>) -> clinicdocs_core::api::BatchFileStatus {
        clinicdocs_core::api::BatchFileStatus {
            index: 0,
            title: None,
            status: state,
            error: error.map(|code| clinicdocs_core::api::ErrorDetail { code, message: "refused: reason".into() }),
            document: None,
        }
    }

    #[test]
    fn a_refused_batch_gives_the_bad_file_its_reason_and_holds_the_others_back() {
        let resp = BatchResponse {
            stored: false,
            files: vec![
                status(BatchFileState::NotStored, None),
                status(BatchFileState::Refused, Some(ErrorCode::ExecutableRefused)),
                status(BatchFileState::NotStored, None),
            ],
            error: Some(clinicdocs_core::api::ErrorDetail {
                code: ErrorCode::BatchFailed,
                message: "1 of 3 files were refused".into(),
            }),
        };
        let out = batch_results(3, resp).expect("answered");
        let codes: Vec<_> = out.iter().map(|r| r.as_ref().err().map(|e| e.code)).collect();
        assert_eq!(codes[1], Some(CommandErrorCode::Api(ErrorCode::ExecutableRefused)));
        for i in [0, 2] {
            let e = out[i].as_ref().expect_err("held back");
            assert!(e.message.starts_with("Held back: a file sent with it was refused"), "{}", e.message);
        }
    }

    #[test]
    fn a_batch_too_big_for_the_pool_refuses_each_file_with_the_pool_message() {
        let resp = BatchResponse {
            stored: false,
            files: vec![status(BatchFileState::NotStored, None), status(BatchFileState::NotStored, None)],
            error: Some(clinicdocs_core::api::ErrorDetail {
                code: ErrorCode::QuotaExceeded,
                message: "The clinic's storage is full.".into(),
            }),
        };
        for r in batch_results(2, resp).expect("answered") {
            assert_eq!(r.expect_err("refused").code, CommandErrorCode::Api(ErrorCode::QuotaExceeded));
        }
    }

    #[test]
    fn a_batch_that_collided_with_its_own_resend_is_retried_and_a_short_answer_is_not_trusted() {
        let collided = BatchResponse {
            stored: false,
            files: vec![status(BatchFileState::NotStored, None)],
            error: Some(clinicdocs_core::api::ErrorDetail { code: ErrorCode::Conflict, message: "collided".into() }),
        };
        let e = batch_results(1, collided).expect_err("whole batch");
        assert_eq!(disposition(&e), Disposition::Retry);
        let short = BatchResponse { stored: true, files: vec![], error: None };
        assert_eq!(disposition(&batch_results(2, short).expect_err("short")), Disposition::Retry);
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
