//! The workstation keeps nothing of a user once they are gone: signing out, or someone else
//! signing in after the session ended, leaves none of the first user's patients, files or
//! pictures reachable — in the settings file, the picture cache, the documents the window knew,
//! or through `clinicdocs://` with their ids. Their unsent uploads wait for them, unseen.
//! And the staff build carries none of the end-to-end tests' seams.

mod common;

use clinicdocs_core::Category;
use clinicdocs_desktop::account;
use clinicdocs_desktop::document_list::{self, DocumentFilter};
use clinicdocs_desktop::patient_files;
use clinicdocs_desktop::queue::add::{add_upload, UploadRequest};
use clinicdocs_desktop::queue::Queue;
use clinicdocs_desktop::state::AppState;
use std::path::Path;
use uuid::Uuid;

/// A small PNG (the document whose thumbnail is drawn and cached).
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 4, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.to_string_lossy().into_owned());
            }
        }
    }
    out
}

async fn picture(state: &AppState, path: &str) -> u16 {
    let req = tauri::http::Request::builder()
        .uri(format!("clinicdocs://localhost/{path}"))
        .body(Vec::new())
        .expect("request");
    clinicdocs_desktop::scheme::handle(state, req).await.status().as_u16()
}

struct Station {
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    cache: std::path::PathBuf,
    state: AppState,
}

async fn station() -> Station {
    let dir = tempfile::tempdir().expect("tmp");
    let (config, cache) = (dir.path().join("config"), dir.path().join("cache"));
    let queue = Queue::open(&dir.path().join("queue")).await.expect("queue");
    let state = AppState::new(config.clone(), cache.clone(), queue);
    Station { _dir: dir, config, cache, state }
}

/// A signs in, opens a patient and a document (its thumbnail drawn and cached), queues a file;
/// then `leave` ends A's time at the workstation and B of another clinic signs in.
async fn a_then_b(leave: impl AsyncFnOnce(&AppState)) {
    let s = common::server().await;
    let st = station().await;
    let state = &st.state;
    account::sign_in(state, &s.url, "doctor@demo.clinic", "demo").await.expect("A signs in");
    let a = state.active().await.expect("A");
    let patient = a.client.find_patients("", 1).await.expect("patients")[0].clone();
    let fields = clinicdocs_desktop::api_client::UploadFields {
        patient_id: patient.id,
        category: Category::Imaging,
        title: "Knee".into(),
        notes: None,
        encounter_id: None,
    };
    let doc = a.client.upload(&fields, "knee.png", png(), "k-knee", |_, _| {}).await.expect("upload").document;
    let file = patient_files::open_patient(state, patient.id).await.expect("open");
    assert_eq!(file.patient.id, patient.id);
    let filter = DocumentFilter {
        patient_id: patient.id,
        from: None,
        to: None,
        sort: clinicdocs_core::api::SortKey::Date,
        order: clinicdocs_core::api::SortOrder::Desc,
    };
    let listed = document_list::list_documents(state, filter).await.expect("list");
    assert!(listed.iter().any(|d| d.document.id == doc.id));
    assert_eq!(picture(state, &format!("thumb/{}", doc.id)).await, 200, "A sees the thumbnail");
    assert!(!files_under(&st.cache).is_empty(), "the thumbnail is cached");
    let settings = std::fs::read_to_string(st.config.join("settings.json")).expect("settings");
    assert!(settings.contains(&patient.id.to_string()), "A's recent patient is remembered");
    // A file A queued (the server is up, but the item waits in the queue until sent).
    let path = st.config.join("scan.png");
    std::fs::write(&path, png()).expect("write");
    let queued = add_upload(
        &state.queue,
        &a,
        &UploadRequest {
            path: path.to_string_lossy().into_owned(),
            patient_id: patient.id,
            category: Category::Photo,
            title: "Scan".into(),
            notes: None,
            encounter_id: None,
            idempotency_key: Uuid::new_v4().to_string(),
        },
    )
    .await
    .expect("queued");
    assert_eq!(picture(state, &format!("queued/{}", queued.id)).await, 200, "A sees their queued file");

    leave(state).await;
    account::sign_in(state, &s.url, "doctor@other.clinic", "demo").await.expect("B signs in");

    let settings = std::fs::read_to_string(st.config.join("settings.json")).expect("settings");
    assert!(!settings.contains(&patient.id.to_string()), "A's patient is gone from the settings: {settings}");
    assert!(patient_files::recent_patients(state).is_empty(), "no recent patients of A");
    assert_eq!(files_under(&st.cache), Vec::<String>::new(), "nothing of A's is cached");
    assert!(state.documents.get(doc.id).is_none(), "the window no longer knows A's document");
    for route in [format!("thumb/{}", doc.id), format!("original/{}", doc.id), format!("page/{}/1", doc.id)] {
        let status = picture(state, &route).await;
        assert!((400..500).contains(&status), "{route} answered {status} to B");
    }
    assert_eq!(picture(state, &format!("queued/{}", queued.id)).await, 404, "A's queued file is not B's to see");
    assert!(state.queue.get(queued.id).await.expect("queue").is_some(), "A's upload still waits for A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_leaves_nothing_of_the_user_on_the_workstation() {
    a_then_b(async |state: &AppState| account::sign_out(state).await.expect("sign out")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_else_signing_in_after_a_session_ended_finds_nothing_of_the_first_user() {
    a_then_b(async |state: &AppState| {
        // A's session ends on the server (an admin, the idle timeout); A never signed out here.
        let a = state.active().await.expect("A");
        a.client.logout().await.expect("session ended");
    })
    .await;
}

#[cfg(not(feature = "e2e"))]
#[test]
fn the_staff_build_has_none_of_the_end_to_end_tests_seams() {
    let bin = std::fs::read(env!("CARGO_BIN_EXE_clinicdocs-desktop")).expect("the app's binary");
    for seam in ["CLINICDOCS_TEST_PICK_FILES", "CLINICDOCS_TEST_SAVE_DIR", "CLINICDOCS_TEST_PICK_FOLDER", "test_drop"] {
        assert!(!bin.windows(seam.len()).any(|w| w == seam.as_bytes()), "the app carries {seam}");
    }
}
