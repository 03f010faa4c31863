//! The desktop's API client against the real clinic server (in this process, SQLite and local
//! files in a temp folder, demo data, a clock the test moves): a streamed upload reports its
//! progress and stores the exact bytes, and a signed link that expired while the app held it
//! is renewed without the caller seeing an error.

mod common;

use clinicdocs_core::api::{ErrorCode, UrlVariant};
use clinicdocs_core::Category;
use clinicdocs_desktop::api_client::UploadFields;
use common::{doctor, server};
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
