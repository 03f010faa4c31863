//! Annotation changes made while the server cannot be reached wait in the durable queue and
//! reach the real server later: in their last state, once each (also when answers are lost on
//! the way back), and never over someone else's newer edit.

mod common;

use clinicdocs_core::annotation::{Point, Shape, Style};
use clinicdocs_core::api::{Annotation, AnnotationUpdate, Me, NewAnnotation};
use clinicdocs_core::Category;
use clinicdocs_desktop::api_client::{parse_server_url, ApiClient, UploadFields};
use clinicdocs_desktop::queue::mark_sync::{send_due, Edit, MarkAt, MarkVersions, SavedMark, Saver};
use clinicdocs_desktop::queue::marks::{MarkOp, NewMarkChange};
use clinicdocs_desktop::queue::Queue;
use common::{doctor, lossy_proxy, server, signed_in};
use std::sync::atomic::{AtomicI64, Ordering};
use uuid::Uuid;

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

async fn xray(c: &ApiClient) -> Uuid {
    let maria = c.find_patients("Maria", 5).await.expect("search").remove(0);
    let fields = UploadFields {
        patient_id: maria.id,
        category: Category::Imaging,
        title: "Knee X-ray".into(),
        notes: None,
        encounter_id: None,
    };
    c.upload(&fields, "knee.png", png(), &Uuid::new_v4().to_string(), |_, _| {}).await.expect("upload").document.id
}

fn pin(x: f64) -> Shape {
    Shape::Marker(Point { x, y: 0.5 })
}

fn red() -> Style {
    Style { color: "#ff0000".into(), width: 0.01 }
}

fn new_mark(x: f64, text: &str) -> Edit {
    Edit::Create(NewAnnotation { id: None, page_number: 1, shape: pin(x), style: red(), text: Some(text.into()) })
}

fn moved(x: f64, version: i64) -> Edit {
    Edit::Update(AnnotationUpdate { shape: pin(x), style: red(), text: Some("moved".into()), version })
}

/// A clock far ahead on each call, so backoff never makes a test wait.
fn clock() -> impl Fn() -> i64 {
    let t = AtomicI64::new(chrono::Utc::now().timestamp_millis());
    move || t.fetch_add(3_600_000, Ordering::SeqCst)
}

struct Desk {
    queue: Queue,
    client: ApiClient,
    me: Me,
    versions: MarkVersions,
    _dir: tempfile::TempDir,
}

impl Desk {
    async fn new(client: ApiClient) -> Desk {
        let dir = tempfile::tempdir().expect("tmp");
        let queue = Queue::open(&dir.path().join("queue")).await.expect("queue");
        let me = client.me().await.expect("me");
        Desk { queue, client, me, versions: MarkVersions::default(), _dir: dir }
    }

    fn saver(&self) -> Saver<'_> {
        Saver { queue: &self.queue, client: &self.client, me: &self.me, versions: &self.versions }
    }

    async fn save(&self, doc: Uuid, id: Uuid, edit: Edit) -> SavedMark {
        let at = MarkAt { document: doc, title: Some("Knee X-ray"), page: 1 };
        self.saver().save(at, id, edit, 1).await.expect("saved or queued")
    }

    async fn send_all(&self) -> Vec<String> {
        let now = clock();
        let mut refused = Vec::new();
        for _ in 0..200 {
            let sent =
                send_due(&self.queue, &self.client, self.me.user.id, &self.versions, &now, 0.5).await.expect("send");
            refused.extend(sent.refused.into_iter().filter_map(|c| c.error_message));
            if self.queue.unsent_mark_changes().await.expect("count") == 0 {
                return refused;
            }
        }
        panic!("mark changes still waiting after 200 rounds");
    }
}

fn by_id(marks: &[Annotation], id: Uuid) -> &Annotation {
    marks.iter().find(|m| m.id == id).unwrap_or_else(|| panic!("mark {id} missing"))
}

#[tokio::test]
async fn marks_made_offline_reach_the_server_once_in_their_last_state() {
    let s = server().await;
    let desk = Desk::new(doctor(&s).await).await;
    let doc = xray(&desk.client).await;
    let a = Uuid::new_v4();
    let saved = desk.save(doc, a, new_mark(0.1, "effusion")).await;
    assert!(!saved.queued, "online: saved at once");
    let v1 = saved.annotation.expect("stored").version;

    s.stop().await;
    // Offline: a new mark drawn and moved, the old one moved, a slip drawn and deleted.
    let (b, slip) = (Uuid::new_v4(), Uuid::new_v4());
    assert!(desk.save(doc, b, new_mark(0.2, "new")).await.queued);
    assert!(desk.save(doc, b, moved(0.25, 0)).await.queued);
    assert!(desk.save(doc, a, moved(0.15, v1)).await.queued);
    assert!(desk.save(doc, a, moved(0.18, v1)).await.queued, "a second move folds into the first");
    assert!(desk.save(doc, slip, new_mark(0.9, "slip")).await.queued);
    assert!(desk.save(doc, slip, Edit::Delete { version: 0 }).await.queued);
    assert_eq!(desk.queue.unsent_mark_changes().await.expect("count"), 2, "one change per mark; the slip is gone");

    // The app restarts before the server is back: the changes are still there.
    let dir = desk._dir.path().join("queue");
    desk.queue.close().await;
    let desk = Desk { queue: Queue::open(&dir).await.expect("reopen"), ..desk };
    assert_eq!(desk.queue.unsent_mark_changes().await.expect("count"), 2);

    s.start_again().await;
    // Shown with the waiting changes applied before they are sent.
    let shown = desk.saver().list(doc, chrono::Utc::now()).await.expect("list");
    assert_eq!(by_id(&shown, a).shape, pin(0.18));
    assert_eq!(by_id(&shown, b).shape, pin(0.25));
    assert!(desk.send_all().await.is_empty(), "nothing refused");
    let stored = signed_in(&s, "admin@demo.clinic").await.annotations(doc).await.expect("list");
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!((by_id(&stored, a).shape.clone(), by_id(&stored, a).version), (pin(0.18), 2));
    assert_eq!((by_id(&stored, b).shape.clone(), by_id(&stored, b).text.as_deref()), (pin(0.25), Some("moved")));
    // The window still holds version 1 of A: its next edit goes through on our own version 2.
    let next = desk.save(doc, a, moved(0.3, v1)).await;
    assert_eq!(next.annotation.expect("stored").version, 3);
}

#[tokio::test]
async fn an_offline_change_overtaken_by_someone_elses_edit_is_refused_not_applied() {
    let s = server().await;
    let desk = Desk::new(doctor(&s).await).await;
    let admin = signed_in(&s, "admin@demo.clinic").await;
    let doc = xray(&desk.client).await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    desk.save(doc, a, new_mark(0.1, "mine")).await;
    desk.save(doc, b, new_mark(0.6, "to delete")).await;
    s.stop().await;
    assert!(desk.save(doc, a, moved(0.4, 1)).await.queued);
    assert!(desk.save(doc, b, Edit::Delete { version: 1 }).await.queued);
    s.start_again().await;
    // Meanwhile a colleague edited both.
    for id in [a, b] {
        let upd = AnnotationUpdate { shape: pin(0.7), style: red(), text: Some("theirs".into()), version: 1 };
        admin.update_annotation(id, &upd).await.expect("their edit");
    }
    let refused = desk.send_all().await;
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|m| m.contains("someone else changed that mark meanwhile")), "{refused:?}");
    assert!(refused.iter().all(|m| m.contains("on page 1 of “Knee X-ray”")), "says which document: {refused:?}");
    let stored = admin.annotations(doc).await.expect("list");
    for id in [a, b] {
        let m = by_id(&stored, id);
        assert_eq!((m.shape.clone(), m.text.as_deref(), m.version), (pin(0.7), Some("theirs"), 2), "theirs kept");
    }
    // The refusals stay listed until discarded; the list shows the server's marks, not the refused changes.
    let listed = desk.queue.mark_changes(desk.client.base().as_str(), desk.me.user.id).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(by_id(&desk.saver().list(doc, chrono::Utc::now()).await.expect("list"), a).shape, pin(0.7));
    for c in listed {
        assert!(desk.queue.discard_mark_change(c.annotation_id).await.expect("discard"));
    }
}

#[tokio::test]
async fn mark_changes_whose_answers_are_lost_are_applied_once() {
    let s = server().await;
    let login = doctor(&s).await;
    let doc = xray(&login).await;
    // Half of the server's answers are cut after it did the work.
    let (proxy, dropped) = lossy_proxy(s.addr(), 0.5, 11).await;
    let token = ApiClient::new(parse_server_url(&s.url).expect("url"), None)
        .expect("client")
        .login("doctor@demo.clinic", "demo")
        .await
        .expect("login")
        .token;
    let desk = Desk::new(login).await;
    let desk =
        Desk { client: ApiClient::new(parse_server_url(&proxy).expect("url"), Some(token)).expect("client"), ..desk };
    let server_url = desk.client.base().as_str().to_string();
    let ids: Vec<Uuid> = (0..20).map(|_| Uuid::new_v4()).collect();
    let fold = |id: Uuid, op: MarkOp, x: f64, base: Option<i64>| NewMarkChange {
        server_url: server_url.clone(),
        user_id: desk.me.user.id,
        document_id: doc,
        document_title: None,
        annotation_id: id,
        page_number: 1,
        op,
        body: (op != MarkOp::Delete).then(|| clinicdocs_desktop::queue::marks::MarkBody {
            shape: pin(x),
            style: red(),
            text: None,
        }),
        base_version: base,
    };
    for (i, id) in ids.iter().enumerate() {
        desk.queue.fold_mark_change(fold(*id, MarkOp::Create, i as f64 / 40.0, None), 1).await.expect("queue");
    }
    assert!(desk.send_all().await.is_empty());
    for (i, id) in ids.iter().enumerate() {
        desk.queue.fold_mark_change(fold(*id, MarkOp::Update, 0.5 + i as f64 / 40.0, Some(1)), 2).await.expect("queue");
    }
    assert!(desk.send_all().await.is_empty(), "a re-sent edit is recognised, not taken for a conflict");
    for id in &ids[..10] {
        desk.queue.fold_mark_change(fold(*id, MarkOp::Delete, 0.0, Some(2)), 3).await.expect("queue");
    }
    assert!(desk.send_all().await.is_empty(), "a re-sent delete finds its work done");
    assert!(dropped.load(Ordering::SeqCst) >= 10, "answers were lost: {}", dropped.load(Ordering::SeqCst));
    let stored = signed_in(&s, "admin@demo.clinic").await.annotations(doc).await.expect("list");
    assert_eq!(stored.len(), 10, "20 created once each, 10 deleted");
    for (i, id) in ids.iter().enumerate().skip(10) {
        let m = by_id(&stored, *id);
        assert_eq!((m.shape.clone(), m.version), (pin(0.5 + i as f64 / 40.0), 2), "edited exactly once");
    }
}
