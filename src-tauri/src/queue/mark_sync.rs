//! Saving a doctor's annotation changes: straight to the server when it answers, into the
//! durable queue ([`crate::queue::marks`]) when it cannot be reached or the session ended, and
//! sending what waits once it can. A mark's later change folds into its waiting one, so
//! nothing is applied out of order. Re-sends store nothing twice: a create carries the mark's
//! own id, an update whose answer was lost is recognised by its content, a delete that finds
//! nothing has happened. A change someone else's edit overtook is refused with a message, never
//! applied over theirs. Time and randomness are passed in.

use crate::api_client::ApiClient;
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::queue::marks::{Folded, MarkBody, MarkChange, MarkChangeState, MarkOp, NewMarkChange};
use crate::queue::store::{Queue, QueueError};
use crate::queue::worker::{backoff, code_name, disposition, Disposition};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{Annotation, AnnotationUpdate, ErrorCode, Me, NewAnnotation};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use ts_rs::TS;
use uuid::Uuid;

/// The versions this app's own writes gave marks. A change the window bases on an older
/// version (it had not yet heard that the queue sent its earlier change) is sent on this one;
/// someone else's later edit still has a newer version and still conflicts.
#[derive(Default)]
pub struct MarkVersions(Mutex<HashMap<Uuid, i64>>);

impl MarkVersions {
    pub fn record(&self, id: Uuid, version: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(id, version);
        }
    }

    pub fn base(&self, id: Uuid, seen: i64) -> i64 {
        self.0.lock().ok().and_then(|m| m.get(&id).copied()).map_or(seen, |own| own.max(seen))
    }
}

/// What became of a change.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SavedMark {
    /// The mark as the server stored it; `None` after a delete or when queued.
    pub annotation: Option<Annotation>,
    /// Kept on this computer, to be sent when the server can be reached.
    pub queued: bool,
}

/// Who is saving where.
pub struct Saver<'a> {
    pub queue: &'a Queue,
    pub client: &'a ApiClient,
    pub me: &'a Me,
    pub versions: &'a MarkVersions,
}

/// Where a mark is: its document (and the title the window showed) and page.
#[derive(Debug, Clone, Copy)]
pub struct MarkAt<'a> {
    pub document: Uuid,
    pub title: Option<&'a str>,
    pub page: i64,
}

/// A change as the window makes it.
pub enum Edit {
    Create(NewAnnotation),
    Update(AnnotationUpdate),
    Delete { version: i64 },
}

impl Saver<'_> {
    /// Saves a change of mark `id` on page `page` of `document`: folded into the mark's waiting
    /// change if it has one, else sent now, else (no network, server failing, session ended)
    /// queued. A refusal (conflict, no access, bad shape) is returned as the error.
    pub async fn save(&self, at: MarkAt<'_>, id: Uuid, edit: Edit, now_ms: i64) -> Result<SavedMark, QueueError> {
        let document = at.document;
        if self.queue.pending_mark_change(id).await?.is_some() {
            return self.queue_it(at, id, &edit, now_ms).await;
        }
        let sent = match &edit {
            Edit::Create(new) => {
                let new = NewAnnotation { id: Some(id), ..new.clone() };
                self.client.create_annotation(document, &new).await.map(Some)
            }
            Edit::Update(u) => {
                let u = AnnotationUpdate { version: self.versions.base(id, u.version), ..u.clone() };
                self.client.update_annotation(id, &u).await.map(Some)
            }
            Edit::Delete { version } => {
                self.client.delete_annotation(id, self.versions.base(id, *version)).await.map(|()| None)
            }
        };
        match sent {
            Ok(annotation) => {
                if let Some(a) = &annotation {
                    self.versions.record(a.id, a.version);
                }
                Ok(SavedMark { annotation, queued: false })
            }
            Err(e) if disposition(&e) != Disposition::Refuse => self.queue_it(at, id, &edit, now_ms).await,
            Err(e) => Err(e.into()),
        }
    }

    async fn queue_it(&self, at: MarkAt<'_>, id: Uuid, edit: &Edit, now_ms: i64) -> Result<SavedMark, QueueError> {
        let (op, body, base) = match edit {
            Edit::Create(n) => (MarkOp::Create, Some(body(&n.shape, &n.style, &n.text)), None),
            Edit::Update(u) => {
                (MarkOp::Update, Some(body(&u.shape, &u.style, &u.text)), Some(self.versions.base(id, u.version)))
            }
            Edit::Delete { version } => (MarkOp::Delete, None, Some(self.versions.base(id, *version))),
        };
        let change = NewMarkChange {
            server_url: self.client.base().as_str().to_string(),
            user_id: self.me.user.id,
            document_id: at.document,
            document_title: at.title.map(str::to_string),
            annotation_id: id,
            page_number: at.page,
            op,
            body,
            base_version: base,
        };
        match self.queue.fold_mark_change(change, now_ms).await? {
            Folded::Queued | Folded::Cancelled => Ok(SavedMark { annotation: None, queued: true }),
        }
    }

    /// The document's marks as the server has them, with this user's waiting changes applied
    /// (a change not yet sent stays on screen).
    pub async fn list(&self, document: Uuid, now: DateTime<Utc>) -> Result<Vec<Annotation>, QueueError> {
        let stored = self.client.annotations(document).await?;
        let server = self.client.base().as_str().to_string();
        let waiting = self.queue.mark_changes(&server, self.me.user.id).await?;
        Ok(overlay(stored, &waiting, document, self.me, now))
    }
}

fn body(
    shape: &clinicdocs_core::annotation::Shape,
    style: &clinicdocs_core::annotation::Style,
    text: &Option<String>,
) -> MarkBody {
    MarkBody { shape: shape.clone(), style: style.clone(), text: text.clone() }
}

/// The server's marks of `document` with the waiting changes applied: created ones added,
/// changed ones shown as changed, deleted ones left out. Refused changes are not applied.
pub fn overlay(
    mut marks: Vec<Annotation>,
    waiting: &[MarkChange],
    document: Uuid,
    me: &Me,
    now: DateTime<Utc>,
) -> Vec<Annotation> {
    for c in waiting.iter().filter(|c| c.document_id == document && c.state != MarkChangeState::Refused) {
        let at = marks.iter().position(|m| m.id == c.annotation_id);
        match (&c.body, at) {
            (None, Some(i)) => {
                marks.remove(i);
            }
            (Some(b), Some(i)) => {
                let m = &mut marks[i];
                m.shape = b.shape.clone();
                m.style = b.style.clone();
                m.text = b.text.clone();
            }
            (Some(b), None) if c.op == MarkOp::Create => marks.push(Annotation {
                id: c.annotation_id,
                document_id: document,
                page_number: c.page_number as i64,
                shape: b.shape.clone(),
                style: b.style.clone(),
                text: b.text.clone(),
                created_by: me.user.id,
                created_by_name: me.user.name.clone(),
                created_at: now,
                updated_at: now,
                version: 0,
            }),
            // Changed here, deleted there: the refusal will say so.
            _ => {}
        }
    }
    marks
}

/// What one round of sending did.
#[derive(Debug, Default)]
pub struct MarkSend {
    /// Documents whose marks changed on the server.
    pub synced: Vec<Uuid>,
    /// Changes the server refused, with the reason.
    pub refused: Vec<MarkChange>,
    /// The server could not be reached: the rest waits until then (unix ms).
    pub retry_at: Option<i64>,
    pub needs_sign_in: bool,
}

/// Sends this client's user's due changes, oldest first.
pub async fn send_due(
    queue: &Queue,
    client: &ApiClient,
    user_id: Uuid,
    versions: &MarkVersions,
    now_ms: impl Fn() -> i64,
    jitter: f64,
) -> Result<MarkSend, QueueError> {
    let server = client.base().as_str().to_string();
    let mut out = MarkSend::default();
    let mut claimed = queue.claim_mark_changes(&server, user_id, now_ms()).await?.into_iter();
    while let Some(c) = claimed.next() {
        let result = send_one(client, &c).await;
        let now = now_ms();
        let error = match result {
            Ok(version) => {
                if let Some(v) = version {
                    versions.record(c.annotation_id, v);
                }
                queue.mark_change_sent(c.annotation_id, c.rev, version, now).await?;
                out.synced.push(c.document_id);
                continue;
            }
            Err(e) => e,
        };
        match disposition(&error) {
            Disposition::Refuse => {
                let message = refusal(&c, &error);
                queue.mark_change_refused(c.annotation_id, &code_name(&error), &message, now).await?;
                out.synced.push(c.document_id);
                out.refused.push(MarkChange { state: MarkChangeState::Refused, error_message: Some(message), ..c });
            }
            stop => {
                let at =
                    if stop == Disposition::Retry { now + backoff(c.attempts, jitter).as_millis() as i64 } else { now };
                let reason = (stop == Disposition::Retry).then(|| (code_name(&error), error.message.clone()));
                queue
                    .mark_change_retry(c.annotation_id, at, reason.as_ref().map(|(c, m)| (c.as_str(), m.as_str())), now)
                    .await?;
                for rest in claimed.by_ref() {
                    queue.mark_change_retry(rest.annotation_id, at, None, now).await?;
                }
                out.retry_at = (stop == Disposition::Retry).then_some(at);
                out.needs_sign_in = stop == Disposition::WaitForSignIn;
            }
        }
    }
    out.synced.sort();
    out.synced.dedup();
    Ok(out)
}

/// Sends one change; the mark's version after it (`None` once deleted).
async fn send_one(client: &ApiClient, c: &MarkChange) -> CommandResult<Option<i64>> {
    let corrupt = || CommandError::local(LocalCode::FileAccess, "The waiting change has no content.");
    let base = c.base_version.map_or(1, |v| v as i64);
    match c.op {
        MarkOp::Create => {
            let b = c.body.clone().ok_or_else(corrupt)?;
            let new = NewAnnotation {
                id: Some(c.annotation_id),
                page_number: c.page_number as i64,
                shape: b.shape,
                style: b.style,
                text: b.text,
            };
            client.create_annotation(c.document_id, &new).await.map(|a| Some(a.version))
        }
        MarkOp::Update => {
            let b = c.body.clone().ok_or_else(corrupt)?;
            let upd = AnnotationUpdate {
                shape: b.shape.clone(),
                style: b.style.clone(),
                text: b.text.clone(),
                version: base,
            };
            match client.update_annotation(c.annotation_id, &upd).await {
                Ok(a) => Ok(Some(a.version)),
                // Sent before and its answer lost? Then the server holds exactly this content.
                Err(e) if e.api_code() == Some(ErrorCode::Conflict) => {
                    let now = client.annotations(c.document_id).await?;
                    let landed = now.iter().find(|a| {
                        a.id == c.annotation_id && a.shape == b.shape && a.style == b.style && a.text == b.text
                    });
                    landed.map(|a| Some(a.version)).ok_or(e)
                }
                Err(e) => Err(e),
            }
        }
        MarkOp::Delete => match client.delete_annotation(c.annotation_id, base).await {
            // Already gone (sent before, or deleted by someone else): nothing left to do.
            Ok(()) => Ok(None),
            Err(e) if e.api_code() == Some(ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(e),
        },
    }
}

/// Why a change made offline was not applied, for the doctor.
fn refusal(c: &MarkChange, e: &CommandError) -> String {
    let what = match c.op {
        MarkOp::Delete => "Deleting a mark",
        MarkOp::Create => "A new mark",
        MarkOp::Update => "A change to a mark",
    };
    let page = c.page_number as i64;
    let on = match &c.document_title {
        Some(t) => format!("on page {page} of “{t}”"),
        None => format!("on page {page}"),
    };
    match e.api_code() {
        Some(ErrorCode::Conflict) if c.op != MarkOp::Create => format!(
            "{what} {on}, made while the server could not be reached, was not saved: someone else changed that mark meanwhile. Their version is shown."
        ),
        Some(ErrorCode::NotFound) => format!(
            "{what} {on}, made while the server could not be reached, was not saved: the mark or its document was deleted meanwhile."
        ),
        _ => format!("{what} {on} was not saved: {}", e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clinicdocs_core::annotation::{Point, Shape, Style};
    use clinicdocs_core::api::{Org, User};
    use clinicdocs_core::limits::Plan;
    use clinicdocs_core::Role;

    fn me() -> Me {
        let org = Uuid::from_u128(9);
        Me {
            user: User {
                id: Uuid::from_u128(1),
                name: "Dr Offline".into(),
                email: "d@x".into(),
                role: Role::Doctor,
                org_id: org,
            },
            org: Org {
                id: org,
                name: "Clinic".into(),
                plan: Plan::Professional,
                documents_enabled: true,
                limits: clinicdocs_core::limits::PlanLimits::PROFESSIONAL,
                session_idle_minutes: 30,
            },
        }
    }

    fn mark(id: u128, x: f64) -> Annotation {
        Annotation {
            id: Uuid::from_u128(id),
            document_id: Uuid::from_u128(5),
            page_number: 1,
            shape: Shape::Marker(Point { x, y: 0.5 }),
            style: Style { color: "#ff0000".into(), width: 0.01 },
            text: None,
            created_by: Uuid::from_u128(3),
            created_by_name: "Dr Other".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 4,
        }
    }

    fn waiting(id: u128, op: MarkOp, x: Option<f64>, state: MarkChangeState) -> MarkChange {
        MarkChange {
            annotation_id: Uuid::from_u128(id),
            server_url: String::new(),
            user_id: Uuid::from_u128(1),
            document_id: Uuid::from_u128(5),
            document_title: Some("Knee X-ray".into()),
            page_number: 1.0,
            op,
            body: x.map(|x| MarkBody {
                shape: Shape::Marker(Point { x, y: 0.5 }),
                style: Style { color: "#00ff00".into(), width: 0.01 },
                text: Some("offline".into()),
            }),
            base_version: Some(4.0),
            rev: 0,
            state,
            attempts: 0,
            error_code: None,
            error_message: None,
            queued_at: 0.0,
        }
    }

    #[test]
    fn the_list_shows_changes_still_waiting_to_be_sent() {
        let server = vec![mark(1, 0.1), mark(2, 0.2), mark(3, 0.3)];
        let changes = vec![
            waiting(1, MarkOp::Update, Some(0.9), MarkChangeState::Waiting),
            waiting(2, MarkOp::Delete, None, MarkChangeState::Sending),
            waiting(3, MarkOp::Update, Some(0.7), MarkChangeState::Refused),
            waiting(4, MarkOp::Create, Some(0.4), MarkChangeState::Waiting),
        ];
        let out = overlay(server, &changes, Uuid::from_u128(5), &me(), Utc::now());
        let ids: Vec<u128> = out.iter().map(|m| m.id.as_u128()).collect();
        assert_eq!(ids, vec![1, 3, 4], "the deleted one is gone, the created one is there");
        assert_eq!(out[0].shape, Shape::Marker(Point { x: 0.9, y: 0.5 }), "the waiting edit is shown");
        assert_eq!((out[0].version, out[0].created_by_name.as_str()), (4, "Dr Other"), "still the server's mark");
        assert_eq!(out[1].shape, Shape::Marker(Point { x: 0.3, y: 0.5 }), "a refused edit is not shown");
        assert_eq!((out[2].created_by_name.as_str(), out[2].text.as_deref()), ("Dr Offline", Some("offline")));
        // Another document's changes do not leak in.
        let other = overlay(vec![], &changes, Uuid::from_u128(6), &me(), Utc::now());
        assert!(other.is_empty());
    }

    #[test]
    fn a_change_based_on_an_older_version_than_our_own_write_uses_ours() {
        let v = MarkVersions::default();
        let id = Uuid::from_u128(1);
        assert_eq!(v.base(id, 3), 3, "nothing written: the window's version");
        v.record(id, 5);
        assert_eq!(v.base(id, 4), 5, "the queue's send made 5; the window still had 4");
        assert_eq!(v.base(id, 7), 7, "the window saw a newer one (someone else's)");
    }

    #[test]
    fn a_refused_offline_change_says_what_happened() {
        let c = waiting(1, MarkOp::Update, Some(0.1), MarkChangeState::Sending);
        let m = refusal(&c, &CommandError::api(ErrorCode::Conflict, "x"));
        assert!(m.contains("someone else changed that mark"), "{m}");
        let m = refusal(&c, &CommandError::api(ErrorCode::NotFound, "x"));
        assert!(
            m.starts_with("A change to a mark on page 1 of “Knee X-ray”") && m.contains("deleted meanwhile"),
            "{m}"
        );
        let d = waiting(1, MarkOp::Delete, None, MarkChangeState::Sending);
        let m = refusal(&d, &CommandError::api(ErrorCode::Conflict, "x"));
        assert!(m.starts_with("Deleting a mark on page 1") && m.contains("someone else changed"), "{m}");
    }
}
