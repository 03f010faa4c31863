//! The desktop's API client against the real clinic server (in this process, SQLite and local
//! files in a temp folder, demo data, a clock the test moves): a streamed upload reports its
//! progress and stores the exact bytes, and a signed link that expired while the app held it
//! is renewed without the caller seeing an error; annotations round-trip, two people editing
//! the same mark get a conflict rather than a lost edit, and a read-only role cannot write.

mod common;

use clinicdocs_core::api::{ErrorCode, UrlVariant};
use clinicdocs_core::Category;
use clinicdocs_desktop::api_client::UploadFields;
use common::{doctor, server, signed_in};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// A real 900×700 PNG of about half a megabyte (noise does not compress), so the upload
/// spans several chunks.
fn png() -> Vec<u8> {
    let mut seed = 7u32;
    let img = image::RgbImage::from_fn(900, 700, |_, _| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

#[tokio::test]
async fn streamed_upload_reports_progress_and_an_expired_link_is_renewed_silently() {
    let s = server().await;
    let c = doctor(&s).await;
    let maria = c.find_patients("Maria", 5).await.expect("search").into_iter().next().expect("Maria Garcia");
    let bytes = png();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let fields = UploadFields {
        patient_id: maria.id,
        category: Category::Photo,
        title: "Wound day 3".into(),
        notes: None,
        encounter_id: None,
    };
    let key = uuid::Uuid::new_v4().to_string();
    let up = c
        .upload(&fields, "wound.png", bytes.clone(), &key, move |sent, total| {
            sink.lock().expect("lock").push((sent, total))
        })
        .await
        .expect("upload");
    let seen = seen.lock().expect("lock").clone();
    assert!(seen.len() >= 5, "progress in several steps: {seen:?}");
    assert_eq!(seen.last(), Some(&(bytes.len() as u64, bytes.len() as u64)));
    assert_eq!(up.document.file_size, bytes.len() as i64);

    // A link handed out now, used after it expired (links live 5 minutes).
    let id = up.document.id;
    let stale = c.document_url(id, UrlVariant::Original).await.expect("link");
    s.skew.store(6 * 60, Ordering::SeqCst);
    let refused = c.fetch_signed(&stale.url).await.expect_err("the old link is refused");
    assert!(refused.is(ErrorCode::LinkExpired), "{refused:?}");
    let got = c.download_via(id, UrlVariant::Original, &stale.url).await.expect("renewed without an error");
    assert_eq!(got, bytes, "the renewed link gives the stored file");
    let thumb = c.download(id, UrlVariant::Thumbnail).await.expect("thumbnail");
    assert_eq!(&thumb[..3], &[0xff, 0xd8, 0xff], "the server's thumbnail is a JPEG");
}

#[tokio::test]
async fn annotations_round_trip_and_a_second_editor_is_told_instead_of_overwriting() {
    use clinicdocs_core::annotation::{Point, Shape, Style};
    use clinicdocs_core::api::{AnnotationUpdate, NewAnnotation};
    let s = server().await;
    let doctor = doctor(&s).await;
    let admin = signed_in(&s, "admin@demo.clinic").await;
    let reception = signed_in(&s, "reception@demo.clinic").await;
    let maria = doctor.find_patients("Maria", 5).await.expect("search").remove(0);
    let fields = UploadFields {
        patient_id: maria.id,
        category: Category::Imaging,
        title: "Chest X-ray".into(),
        notes: None,
        encounter_id: None,
    };
    let doc = doctor.upload(&fields, "xray.png", png(), "ann-doc", |_, _| {}).await.expect("upload").document;

    let arrow = Shape::Arrow { from: Point { x: 0.2, y: 0.3 }, to: Point { x: 0.45, y: 0.5 } };
    let red = Style { color: "#ff0000".into(), width: 0.004 };
    let new = NewAnnotation {
        id: None,
        page_number: 1,
        shape: arrow.clone(),
        style: red.clone(),
        text: Some("fracture?".into()),
    };
    let a = doctor.create_annotation(doc.id, &new).await.expect("create");
    assert_eq!((a.version, a.created_by_name.is_empty()), (1, false));
    let seen = admin.annotations(doc.id).await.expect("list");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].shape.clone(), seen[0].text.as_deref()),
        (arrow.clone(), Some("fracture?")),
        "exactly what was drawn"
    );

    // Both opened version 1. The admin's edit lands; the doctor's, based on version 1, is told.
    let blue = Style { color: "#0000ff".into(), width: 0.006 };
    let admin_edit = AnnotationUpdate { shape: arrow.clone(), style: blue, text: Some("confirmed".into()), version: 1 };
    assert_eq!(admin.update_annotation(a.id, &admin_edit).await.expect("first edit").version, 2);
    let moved = Shape::Arrow { from: Point { x: 0.1, y: 0.1 }, to: Point { x: 0.2, y: 0.2 } };
    let late = AnnotationUpdate { shape: moved, style: red, text: None, version: 1 };
    let e = doctor.update_annotation(a.id, &late).await.expect_err("a stale edit");
    assert_eq!(e.api_code(), Some(ErrorCode::Conflict));
    assert!(e.message.contains("Someone else changed this annotation"), "{}", e.message);
    let e = doctor.delete_annotation(a.id, 1).await.expect_err("a stale delete");
    assert_eq!(e.api_code(), Some(ErrorCode::Conflict));
    let now = doctor.annotations(doc.id).await.expect("list");
    assert_eq!(
        (now[0].text.as_deref(), now[0].style.color.as_str(), now[0].version),
        (Some("confirmed"), "#0000ff", 2)
    );

    // A receptionist sees an insurance card's marks but may not add one: the server refuses.
    let card_fields = UploadFields { category: Category::Insurance, title: "Insurance card".into(), ..fields };
    let card = doctor.upload(&card_fields, "card.png", png(), "ann-card", |_, _| {}).await.expect("card").document;
    doctor.create_annotation(card.id, &new).await.expect("the doctor marks the card");
    assert_eq!(reception.annotations(card.id).await.expect("read-only, but visible").len(), 1);
    let e = reception.create_annotation(card.id, &new).await.expect_err("read-only role");
    assert_eq!(e.api_code(), Some(ErrorCode::Forbidden), "{e:?}");
    doctor.delete_annotation(a.id, 2).await.expect("delete at the current version");
    assert!(doctor.annotations(doc.id).await.expect("list").is_empty());
}
