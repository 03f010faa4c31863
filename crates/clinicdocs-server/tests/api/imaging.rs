//! Imaging stories: DICOM checked on arrival (fake and truncated files refused, storing
//! nothing) and given its thumbnail by the server, whichever way the upload arrives; encrypted
//! PDFs accepted when they open without a password; scanners' BMPs and phones' HEIC photos
//! accepted (a cut one refused); the angle mark stored and validated like the other kinds.

use crate::fixtures::*;
use crate::harness::*;
use clinicdocs_core::api::Annotation;
use reqwest::StatusCode;
use serde_json::json;

/// Downloads a document's server thumbnail and decodes it.
async fn thumbnail(s: &TestServer, who: &Session, id: uuid::Uuid) -> image::DynamicImage {
    let t = s.http.get(who.signed_url(id, "thumbnail").await).send().await.expect("get thumb");
    assert_eq!(t.status(), StatusCode::OK);
    image::load_from_memory(&t.bytes().await.expect("bytes")).expect("thumbnail decodes")
}

/// How much the thumbnail's grey levels vary: a blank or flat tile is near 0.
fn spread(img: &image::DynamicImage) -> f64 {
    let g = img.to_luma8();
    let n = g.len() as f64;
    let mean = g.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    (g.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n).sqrt()
}

pub async fn dicom_is_checked_on_arrival_and_given_a_server_thumbnail(b: Backend) {
    let Some(ct) = dicom_file("CT_small.dcm") else { return };
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;

    // A dual-personality file (its preamble is a TIFF header) is DICOM, not a damaged TIFF.
    let d = doc.upload(&Upload::new(ct.clone(), patient, "imaging", "CT head")).await;
    assert_eq!(d.content_type, "application/dicom");
    assert!(d.has_thumbnail, "the server draws DICOM tiles");
    let t = thumbnail(&s, &doc, d.id).await;
    assert_eq!((t.width(), t.height()), (128, 128), "a small image is not enlarged");
    assert!(spread(&t) > 20.0, "the tile shows the image, not a flat square");

    // Stored while it arrives (size announced first): the bytes are kept for the thumbnail.
    let cine = dicom_file("examples_ybr_color.dcm").expect("corpus");
    let c = doc.upload(&Upload::new(cine, patient, "imaging", "Echo loop").streamed()).await;
    assert!(c.has_thumbnail);
    let t = thumbnail(&s, &doc, c.id).await;
    assert_eq!((t.width(), t.height()), (256, 192));
    let rgb = t.to_rgb8();
    assert!(rgb.pixels().any(|p| p[0].abs_diff(p[2]) > 30), "a colour image stays in colour");

    // An encoding the server cannot decode is kept (it can be downloaded), without a tile.
    let lossy12 = dicom_file("JPEG-lossy.dcm").expect("corpus");
    let l = doc.upload(&Upload::new(lossy12.clone(), patient, "imaging", "Knee")).await;
    assert!(!l.has_thumbnail);
    let orig = s.http.get(doc.signed_url(l.id, "original").await).send().await.expect("get");
    assert_eq!(orig.bytes().await.expect("bytes").as_ref(), lossy12.as_slice());

    // Fake and truncated DICOM are refused, either way they arrive, and store nothing.
    let before = s.stored_objects();
    for name in ["fake.dcm", "MR_truncated.dcm", "MR_small_cut.dcm"] {
        let bytes = dicom_file(name).expect("corpus");
        for u in [
            Upload::new(bytes.clone(), patient, "imaging", name),
            Upload::new(bytes, patient, "imaging", name).streamed(),
        ] {
            let (status, code, message) = error_code(doc.upload_raw(&u, None).await).await;
            assert_eq!((status, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "corrupt_file"), "{name}");
            assert!(message.contains("damaged"), "{name}: {message}");
        }
    }
    assert_eq!(s.stored_objects(), before, "a refused file leaves nothing in the store");
}

pub async fn pdfs_that_open_without_a_password_are_stored_and_those_that_need_one_refused(b: Backend) {
    if encryption_pdf("unencrypted.pdf").is_none() {
        return;
    }
    let s = TestServer::start(b).await;
    let desk = s.login("reception@demo.clinic").await;
    let patient = desk.a_patient().await;

    // Only an owner password (printing or editing restricted): it opens anywhere, so it is
    // kept, either way it arrives, and downloads as sent.
    for (name, streamed) in
        [("r6-owner-password.pdf", false), ("r4-owner-password.pdf", true), ("r2-empty-password.pdf", false)]
    {
        let bytes = encryption_pdf(name).expect("test set");
        let u = Upload::new(bytes.clone(), patient, "lab", name);
        let d = desk.upload(&if streamed { u.streamed() } else { u }).await;
        assert_eq!(d.content_type, "application/pdf", "{name}");
        let got = s.http.get(desk.signed_url(d.id, "original").await).send().await.expect("get");
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), bytes.as_slice(), "{name}");
    }

    // A password needed to open it (RC4 or AES, any revision): refused, nothing stored.
    let before = s.stored_objects();
    for name in ["r2-user-password.pdf", "r4-aes-user-password.pdf", "r6-user-password.pdf", "r6-both-passwords.pdf"] {
        let bytes = encryption_pdf(name).expect("test set");
        for u in [Upload::new(bytes.clone(), patient, "lab", name), Upload::new(bytes, patient, "lab", name).streamed()]
        {
            let (status, code, message) = error_code(desk.upload_raw(&u, None).await).await;
            assert_eq!((status, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "password_protected_pdf"), "{name}");
            assert!(message.contains("password"), "{name}: {message}");
        }
    }
    assert_eq!(s.stored_objects(), before, "a refused file leaves nothing in the store");
}

pub async fn a_scanners_bmp_is_accepted_with_a_server_thumbnail_and_a_cut_one_refused(b: Backend) {
    let s = TestServer::start(b).await;
    let desk = s.login("reception@demo.clinic").await;
    let patient = desk.a_patient().await;
    let scan = bmp(640, 400);
    for u in [
        Upload::new(scan.clone(), patient, "referral", "Referral scan"),
        Upload::new(scan.clone(), patient, "referral", "Referral scan 2").streamed(),
    ] {
        let d = desk.upload(&u).await;
        assert_eq!(d.content_type, "image/bmp");
        assert!(d.has_thumbnail, "the server draws BMP tiles");
        let t = thumbnail(&s, &desk, d.id).await;
        assert_eq!((t.width(), t.height()), (256, 160), "scaled to the tile, proportions kept");
        assert!(spread(&t) > 20.0, "the tile shows the picture");
        let got = s.http.get(desk.signed_url(d.id, "original").await).send().await.expect("get");
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), scan.as_slice(), "downloads as sent");
    }
    let before = s.stored_objects();
    let cut = scan[..scan.len() / 2].to_vec();
    let (status, code, message) =
        error_code(desk.upload_raw(&Upload::new(cut, patient, "referral", "Cut"), None).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "corrupt_file"), "{message}");
    assert_eq!(s.stored_objects(), before, "a refused file leaves nothing in the store");
}

pub async fn a_phones_heic_photo_gets_a_server_thumbnail_and_one_that_does_not_decode_is_refused(b: Backend) {
    use clinicdocs_core::media::heic::fixtures::heic;
    let s = TestServer::start(b).await;
    let desk = s.login("doctor@demo.clinic").await;
    let patient = desk.a_patient().await;
    let photo = heic(1200, 900);
    for u in [
        Upload::new(photo.clone(), patient, "photo", "Wound, day 3"),
        Upload::new(photo.clone(), patient, "photo", "Wound, day 3 (2)").streamed(),
    ] {
        let d = desk.upload(&u).await;
        assert_eq!(d.content_type, "image/heic");
        assert!(d.has_thumbnail, "the server draws HEIC tiles");
        let t = thumbnail(&s, &desk, d.id).await.to_rgb8();
        assert_eq!(t.dimensions(), (256, 192), "scaled to the tile, proportions kept");
        // The photo's own picture, upright: white corner top left, red left, blue right.
        let near =
            |x: u32, y: u32, want: [u8; 3]| t.get_pixel(x, y).0.iter().zip(want).all(|(a, b)| a.abs_diff(b) < 40);
        assert!(near(20, 20, [255, 255, 255]), "corner {:?}", t.get_pixel(20, 20));
        assert!(near(60, 150, [220, 20, 20]), "left {:?}", t.get_pixel(60, 150));
        assert!(near(200, 150, [20, 20, 220]), "right {:?}", t.get_pixel(200, 150));
        let got = s.http.get(desk.signed_url(d.id, "original").await).send().await.expect("get");
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), photo.as_slice(), "downloads as sent");
    }
    let before = s.stored_objects();
    // Cut short (as a phone's interrupted transfer leaves it), and cut inside the picture's data
    // with the box sizes made to fit (the structure is whole, the picture is not there).
    let cut = photo[..photo.len() / 2].to_vec();
    let mdat = photo.windows(4).position(|w| w == b"mdat").expect("a data box") - 4;
    let mut hollow = photo[..mdat + (photo.len() - mdat) / 2].to_vec();
    let size = u32::try_from(hollow.len() - mdat).expect("size").to_be_bytes();
    hollow[mdat..mdat + 4].copy_from_slice(&size);
    for (bytes, what) in [(cut, "cut short"), (hollow, "data missing")] {
        for u in [
            Upload::new(bytes.clone(), patient, "photo", "Broken"),
            Upload::new(bytes.clone(), patient, "photo", "Broken").streamed(),
        ] {
            let (status, code, message) = error_code(desk.upload_raw(&u, None).await).await;
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, "corrupt_file"),
                "{what}: {message}"
            );
            assert!(message.contains("HEIC"), "{what}: the refusal says what it was: {message}");
        }
    }
    assert_eq!(s.stored_objects(), before, "a refused photo leaves nothing in the store");
}

pub async fn a_fax_tiff_has_its_pages_counted_and_marked_page_by_page_and_a_page_bomb_is_refused(b: Backend) {
    use clinicdocs_core::media::tiff_pages::fixtures::{grey, multipage};
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let fax = multipage(&[grey(300, 400, 30), grey(300, 400, 128), grey(400, 300, 220)]);
    let mut stored = None;
    for u in [
        Upload::new(fax.clone(), patient, "referral", "Fax referral"),
        Upload::new(fax.clone(), patient, "referral", "Fax referral (2)").streamed(),
    ] {
        let d = doc.upload(&u).await;
        assert_eq!((d.content_type.as_str(), d.page_count), ("image/tiff", Some(3)), "every page counted");
        assert!(d.has_thumbnail);
        let t = thumbnail(&s, &doc, d.id).await.to_luma8();
        assert_eq!(t.dimensions(), (192, 256), "the first page is the tile");
        assert!(t.get_pixel(96, 128).0[0] < 60, "page 1's own grey");
        stored = Some(d);
    }
    let d = stored.expect("uploaded");
    let base = format!("/api/v1/documents/{}/annotations", d.id);
    let style = json!({"color": "#e53935", "width": 0.004});
    let mark =
        |page: i64| json!({"page_number": page, "kind": "marker", "geometry": {"x": 0.5, "y": 0.5}, "style": style});
    assert_eq!(doc.post_json(&base, &mark(3)).await.status(), StatusCode::CREATED, "the last page takes marks");
    let (status, code, message) = error_code(doc.post_json(&base, &mark(4)).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "bad_request"), "{message}");
    assert!(message.contains("3 pages"), "{message}");

    // A second page that says it is 100,000 × 100,000 pixels: refused, nothing stored.
    let before = s.stored_objects();
    let mut bomb = fax.clone();
    let second = {
        let first = u32::from_le_bytes([fax[4], fax[5], fax[6], fax[7]]) as usize;
        let n = u16::from_le_bytes([fax[first], fax[first + 1]]) as usize;
        let at = first + 2 + n * 12;
        u32::from_le_bytes([fax[at], fax[at + 1], fax[at + 2], fax[at + 3]]) as usize
    };
    let n = u16::from_le_bytes([fax[second], fax[second + 1]]) as usize;
    for i in 0..n {
        let e = second + 2 + i * 12;
        if matches!(u16::from_le_bytes([fax[e], fax[e + 1]]), 256 | 257) {
            bomb[e + 2..e + 4].copy_from_slice(&4u16.to_le_bytes());
            bomb[e + 4..e + 8].copy_from_slice(&1u32.to_le_bytes());
            bomb[e + 8..e + 12].copy_from_slice(&100_000u32.to_le_bytes());
        }
    }
    for u in [
        Upload::new(bomb.clone(), patient, "referral", "Bomb"),
        Upload::new(bomb.clone(), patient, "referral", "Bomb").streamed(),
    ] {
        let (status, code, message) = error_code(doc.upload_raw(&u, None).await).await;
        assert_eq!((status, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "image_too_large"), "{message}");
    }
    assert_eq!(s.stored_objects(), before, "a refused TIFF leaves nothing in the store");
}

pub async fn an_angle_is_stored_read_back_and_changed_and_a_malformed_one_refused(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let xray = doc.upload(&Upload::new(jpeg(800, 600), patient, "imaging", "Knee")).await;
    let base = format!("/api/v1/documents/{}/annotations", xray.id);
    let style = json!({"color": "#43a047", "width": 0.004});
    let geometry = json!({"from": {"x": 0.2, "y": 0.3}, "vertex": {"x": 0.5, "y": 0.6}, "to": {"x": 0.8, "y": 0.3}});
    let r = doc
        .post_json(
            &base,
            &json!({"page_number": 1, "kind": "angle", "geometry": geometry, "style": style, "text": "valgus"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let a: Annotation = r.json().await.expect("ann");
    let listed: Vec<serde_json::Value> = doc.get(&base).await.json().await.expect("list");
    assert_eq!((listed[0]["kind"].as_str(), &listed[0]["geometry"]), (Some("angle"), &geometry), "read back as sent");
    let moved = json!({"from": {"x": 0.2, "y": 0.3}, "vertex": {"x": 0.5, "y": 0.7}, "to": {"x": 0.8, "y": 0.3}});
    let r = doc
        .put_json(
            &format!("/api/v1/annotations/{}", a.id),
            &json!({"kind": "angle", "geometry": moved, "style": style, "text": null, "version": 1}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let before: Vec<serde_json::Value> = doc.get(&base).await.json().await.expect("list");
    assert_eq!(before[0]["geometry"], moved);
    for (what, geometry, says) in [
        (
            "a vertex off the page",
            json!({"from": {"x": 0.2, "y": 0.3}, "vertex": {"x": 0.5, "y": 1.4}, "to": {"x": 0.8, "y": 0.3}}),
            "between 0 and 1",
        ),
        (
            "an arm of no length",
            json!({"from": {"x": 0.5, "y": 0.6}, "vertex": {"x": 0.5, "y": 0.6}, "to": {"x": 0.8, "y": 0.3}}),
            "two arms",
        ),
        ("no vertex", json!({"from": {"x": 0.2, "y": 0.3}, "to": {"x": 0.8, "y": 0.3}}), "vertex"),
        ("a measure's geometry", json!({"x": 0.2, "y": 0.3}), "from"),
    ] {
        let (status, code, message) = error_code(
            doc.post_json(&base, &json!({"page_number": 1, "kind": "angle", "geometry": geometry, "style": style}))
                .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "bad_request"), "{what}: {message}");
        assert!(message.contains(says), "{what}: {message}");
    }
    let after: Vec<serde_json::Value> = doc.get(&base).await.json().await.expect("list");
    assert_eq!(after, before, "a refused mark stores nothing and leaves the stored one as it was");
}

/// Waits (at most 30 s) until the listing says document `id` of `patient` has its thumbnail.
async fn listed_with_thumbnail(who: &Session, patient: uuid::Uuid, id: uuid::Uuid) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let page: clinicdocs_core::api::DocumentPage =
            who.get(&format!("/api/v1/documents?patient_id={patient}&limit=200")).await.json().await.expect("list");
        if page.items.iter().any(|d| d.id == id && d.has_thumbnail) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

pub async fn a_pdf_is_answered_at_once_then_given_a_server_thumbnail_of_its_first_page(b: Backend) {
    if !pdf_engine_or_skip() {
        return;
    }
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    // Spooled, and stored while it arrives: both get their tile.
    let pdf = pdf_marked(3);
    let spooled = doc.upload(&Upload::new(pdf.clone(), patient, "lab", "CBC Report")).await;
    let streamed = doc.upload(&Upload::new(pdf.clone(), patient, "lab", "CBC Report copy").streamed()).await;
    for d in [&spooled, &streamed] {
        assert_eq!(d.page_count, Some(3));
        assert!(listed_with_thumbnail(&doc, patient, d.id).await, "the server drew no tile for the PDF");
        let t = thumbnail(&s, &doc, d.id).await.to_luma8();
        // A4 portrait: 256 px high, 595/842 of that wide.
        assert_eq!(t.height(), 256);
        assert!(t.width().abs_diff(181) <= 1, "width {}", t.width());
        // Page 1's square (x 100–200 pt, 200–300 pt from the top) is black; page 2's place is white.
        let at = |x_pt: f64, y_pt: f64| t.get_pixel((x_pt * 256.0 / 842.0) as u32, (y_pt * 256.0 / 842.0) as u32)[0];
        assert!(at(150.0, 250.0) < 60, "page 1's square is drawn: {}", at(150.0, 250.0));
        assert!(at(250.0, 250.0) > 200, "nothing of page 2 on the tile: {}", at(250.0, 250.0));
        // The original is untouched.
        let orig = s.http.get(doc.signed_url(d.id, "original").await).send().await.expect("get");
        assert_eq!(orig.bytes().await.expect("bytes").as_ref(), pdf.as_slice());
    }
    // A PDF deleted before its tile is drawn leaves no tile behind in the live store.
    let gone = doc.upload(&Upload::new(pdf_marked(1), patient, "lab", "Wrong patient")).await;
    let admin = s.login("admin@demo.clinic").await;
    assert_eq!(admin.delete(&format!("/api/v1/documents/{}", gone.id)).await.status(), StatusCode::NO_CONTENT);
    // Another upload after it: once that one has its tile, the deleted one was dealt with.
    let last = doc.upload(&Upload::new(pdf_marked(2), patient, "lab", "Urine panel")).await;
    assert!(listed_with_thumbnail(&doc, patient, last.id).await);
    let gone_id = gone.id.to_string();
    let live_tiles: Vec<_> =
        s.stored_objects().into_iter().filter(|k| k.contains(&gone_id) && !k.contains("/trash/")).collect();
    assert!(live_tiles.iter().all(|k| !k.ends_with("_thumb.jpg")), "a deleted PDF got a tile: {live_tiles:?}");
}
