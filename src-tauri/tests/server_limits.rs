//! The limits the app checks before sending are the server's: a server configured with a
//! smaller file limit than the plan's default is never contradicted by the app — the file
//! check, the queue and the permissions the window gets all use the limits `/me` reports.

mod common;

use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::Category;
use clinicdocs_desktop::error::CommandError;
use clinicdocs_desktop::file_check::check_content;
use clinicdocs_desktop::queue::add::{add_upload, UploadRequest};
use clinicdocs_desktop::queue::Queue;
use clinicdocs_desktop::session::Session;

/// A minimal PDF of about `size` bytes (padded with a comment).
fn pdf(size: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n".to_vec();
    v.push(b'%');
    v.resize(size.saturating_sub(60), b'x');
    v.extend_from_slice(b"\ntrailer<</Root 1 0 R>>\n%%EOF\n");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smaller_file_limit_on_the_server_is_the_limit_the_app_checks() {
    let limit: u64 = 100_000;
    let s = common::server_with(&["--max-file-bytes", &limit.to_string()]).await;
    let client = common::doctor(&s).await;
    let me = client.me().await.expect("me");
    assert_eq!(me.org.limits.max_file_bytes, limit, "/me says the limit this server applies");
    let session = Session { client: client.clone(), me: me.clone() };
    let can = clinicdocs_desktop::account::Permissions::of(&me);
    assert_eq!(can.max_file_bytes, limit as f64, "the window is given the server's limit");

    let dir = tempfile::tempdir().expect("tmp");
    let (small, big) = (dir.path().join("small.pdf"), dir.path().join("big.pdf"));
    std::fs::write(&small, pdf(50_000)).expect("write");
    std::fs::write(&big, pdf(150_000)).expect("write");
    // 150 KB is far under the Professional plan's 10 MB default, but over this server's limit.
    let refused = check_content(&big, &session.limits());
    let codes: Vec<_> = refused.problems.iter().filter_map(CommandError::api_code).collect();
    assert_eq!(codes, [ErrorCode::FileTooLarge], "{:?}", refused.problems);
    assert!(refused.problems[0].message.contains("the limit is 97.7 KB per file"), "{}", refused.problems[0].message);
    assert!(check_content(&small, &session.limits()).problems.is_empty());

    let queue = Queue::open(&dir.path().join("queue")).await.expect("queue");
    let patient = client.find_patients("", 1).await.expect("patients")[0].id;
    let request = |path: &std::path::Path| UploadRequest {
        path: path.to_string_lossy().into_owned(),
        patient_id: patient,
        category: Category::Lab,
        title: "Report".into(),
        notes: None,
        encounter_id: None,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
    };
    let e = CommandError::from(add_upload(&queue, &session, &request(&big)).await.expect_err("over the limit"));
    assert_eq!(e.api_code(), Some(ErrorCode::FileTooLarge));
    assert!(queue.list().await.expect("list").is_empty(), "nothing was queued");
    add_upload(&queue, &session, &request(&small)).await.expect("under the limit is queued");
    // And the server itself agrees: the big file is refused there too.
    let fields = clinicdocs_desktop::api_client::UploadFields {
        patient_id: patient,
        category: Category::Lab,
        title: "Report".into(),
        notes: None,
        encounter_id: None,
    };
    let e = client.upload(&fields, "big.pdf", pdf(150_000), "k1", |_, _| {}).await.expect_err("server refuses");
    assert_eq!(e.api_code(), Some(ErrorCode::FileTooLarge));
}
