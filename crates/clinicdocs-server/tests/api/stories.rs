//! The stories, each written once and run on both backends (see `main.rs`).

use crate::fixtures::*;
use crate::harness::*;
use chrono::{Datelike, Utc};
use clinicdocs_core::api::{Annotation, Document, DocumentPage, StorageReport};
use clinicdocs_core::Category;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use uuid::Uuid;

const CATEGORIES: [&str; 9] =
    ["lab", "imaging", "prescription", "referral", "consent", "insurance", "photo", "clinical-note", "other"];

pub async fn upload_decides_type_by_bytes_and_stores_under_the_key_layout(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let bytes = jpeg(1600, 1200);
    let mut u = Upload::new(bytes.clone(), patient, "imaging", "Chest X-Ray");
    u.file_name = "../../../etc/passwd\u{202E}fdp.pdf".into(); // hostile name: ignored, never a path
    let d = doc.upload(&u).await;
    assert_eq!(d.content_type, "image/jpeg", "type comes from the bytes, not the client's claim");
    assert_eq!(d.sha256, sha256(&bytes));
    assert_eq!(d.file_size, bytes.len() as i64);
    assert!(d.has_thumbnail);
    assert_eq!(d.title, "Chest X-Ray");
    let now = Utc::now();
    let key = format!("{}/{}/documents/{:04}/{:02}/{}.jpg", doc.user.org_id, patient, now.year(), now.month(), d.id);
    let thumb = key.replace(".jpg", "_thumb.jpg");
    assert_eq!(
        s.stored_objects(),
        vec![key.clone(), thumb].into_iter().collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>()
    );
    // The original downloads byte for byte; the thumbnail is a JPEG of at most 256 px.
    let orig = s.http.get(doc.signed_url(d.id, "original").await).send().await.expect("get");
    assert_eq!(orig.status(), StatusCode::OK);
    assert_eq!(orig.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
    let t = s.http.get(doc.signed_url(d.id, "thumbnail").await).send().await.expect("get thumb");
    assert_eq!(t.status(), StatusCode::OK);
    let img = image::load_from_memory(&t.bytes().await.expect("bytes")).expect("thumbnail decodes");
    assert_eq!((img.width(), img.height()), (256, 192));
    // A PDF is answered with its page count (its tile is drawn afterwards: imaging.rs).
    let p = doc.upload(&Upload::new(pdf(3, 0), patient, "lab", "CBC Report")).await;
    assert_eq!(p.content_type, "application/pdf");
    assert_eq!(p.page_count, Some(3));
}

fn tamper(url: &str, param: &str, f: impl Fn(&str) -> String) -> String {
    let mut u = url::Url::parse(url).expect("url");
    let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    assert!(pairs.iter().any(|(k, _)| k == param), "{param} missing from {url}");
    u.query_pairs_mut().clear().extend_pairs(pairs.iter().map(|(k, v)| {
        if k == param {
            (k.clone(), f(v))
        } else {
            (k.clone(), v.clone())
        }
    }));
    u.to_string()
}

fn flip_last(s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if let Some(l) = c.last_mut() {
        *l = if *l == '0' { '1' } else { '0' };
    }
    c.into_iter().collect()
}

pub async fn signed_urls_refuse_every_tampered_field_and_expire(b: Backend) {
    let s = TestServer::start_with(b.clone(), Opts { url_ttl_secs: Some(3), ..Default::default() }).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let a = doc.upload(&Upload::new(jpeg(300, 200), patient, "photo", "Wound day 1")).await;
    let other = doc.upload(&Upload::new(pdf(1, 0), patient, "lab", "Lipids")).await;
    let url = doc.signed_url(a.id, "original").await;
    let other_url = doc.signed_url(other.id, "original").await;
    let get = |u: String| {
        let http = s.http.clone();
        async move { http.get(u).send().await.expect("get").status() }
    };
    assert_eq!(get(url.clone()).await, StatusCode::OK);
    let mut tampered = Vec::new();
    // The path: another document's key with this link's signature.
    let other_path = url::Url::parse(&other_url).expect("url").path().to_string();
    let mut swapped = url::Url::parse(&url).expect("url");
    swapped.set_path(&other_path);
    tampered.push(("key", swapped.to_string()));
    if b.is_s3() {
        for p in [
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "X-Amz-Algorithm",
        ] {
            tampered.push((
                p,
                tamper(&url, p, |v| match p {
                    "X-Amz-Expires" => (v.parse::<u64>().unwrap_or(0) + 600).to_string(),
                    "X-Amz-SignedHeaders" => format!("{v};x-amz-meta-x"),
                    "X-Amz-Algorithm" => "AWS4-HMAC-SHA1".into(),
                    "X-Amz-Date" => flip_last(&v.replace('Z', "")) + "Z",
                    "X-Amz-Credential" => v.replacen(v.split('/').next().unwrap_or(""), "someone-else", 1),
                    _ => flip_last(v),
                }),
            ));
        }
    } else {
        tampered.push(("sig", tamper(&url, "sig", flip_last)));
        tampered.push(("expires", tamper(&url, "expires", |v| (v.parse::<i64>().unwrap_or(0) + 3600).to_string())));
        let mut no_sig = url::Url::parse(&url).expect("url");
        no_sig.set_query(None);
        tampered.push(("no query", no_sig.to_string()));
    }
    for (what, u) in tampered {
        let st = get(u).await;
        if what == "X-Amz-Algorithm" {
            // s3s-fs answers an unknown signing scheme with 501; what matters is no bytes.
            assert!(!st.is_success(), "tampered {what} must be refused, got {st}");
        } else {
            assert_eq!(st, StatusCode::FORBIDDEN, "tampered {what} must be refused");
        }
    }
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(get(url).await, StatusCode::FORBIDDEN, "an expired link must be refused");
    // A fresh link works again.
    assert_eq!(get(doc.signed_url(a.id, "original").await).await, StatusCode::OK);
}

pub async fn range_get_matches_the_same_slice_of_a_full_get(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let bytes = pdf(2, 6 * 1024 * 1024); // over one 5 MiB part: a multipart upload to S3
    let d = doc.upload(&Upload::new(bytes.clone(), patient, "lab", "Big report")).await;
    let url = doc.signed_url(d.id, "original").await;
    let full = s.http.get(&url).send().await.expect("get");
    assert_eq!(full.status(), StatusCode::OK);
    let full = full.bytes().await.expect("bytes");
    assert_eq!(full.as_ref(), bytes.as_slice());
    for (range, slice) in [
        ("bytes=1000-1999", 1000..2000),
        ("bytes=0-0", 0..1),
        (&format!("bytes={}-", bytes.len() - 10) as &str, bytes.len() - 10..bytes.len()),
        ("bytes=-500", bytes.len() - 500..bytes.len()),
    ] {
        let r = s.http.get(&url).header("Range", range).send().await.expect("range get");
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        let cr = r.headers().get("content-range").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert_eq!(cr, format!("bytes {}-{}/{}", slice.start, slice.end - 1, bytes.len()), "{range}");
        assert_eq!(r.bytes().await.expect("bytes").as_ref(), &full[slice], "{range}");
    }
    let r = s.http.get(&url).header("Range", format!("bytes={}-", bytes.len() + 5)).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
}

/// docs/DESIGN.md §3, written out independently of the server's policy table.
fn sees(role: &str, cat: &str, own: bool) -> bool {
    match role {
        "admin" | "doctor" => true,
        "reception" => cat == "insurance" || own,
        _ => cat == "insurance",
    }
}
fn may_upload(role: &str, cat: &str) -> bool {
    role != "billing" || cat == "insurance"
}
fn may_annotate(role: &str) -> bool {
    role == "admin" || role == "doctor"
}

pub async fn role_category_action_matrix(b: Backend) {
    let s = TestServer::start(b).await;
    let roles = ["admin", "doctor", "reception", "billing"];
    let mut sessions = Vec::new();
    for r in roles {
        sessions.push((r, s.login(&format!("{r}@demo.clinic")).await));
    }
    let doctor = &sessions[1].1;
    let patient = doctor.a_patient().await;
    // Upload: every role, every category.
    let mut docs: Vec<(Document, &str)> = Vec::new(); // (document, uploader role)
    for (role, sess) in &sessions {
        for cat in CATEGORIES {
            let r = sess.upload_raw(&Upload::new(pdf(1, 0), patient, cat, &format!("{role} {cat}")), None).await;
            let expected = if may_upload(role, cat) { StatusCode::CREATED } else { StatusCode::FORBIDDEN };
            let status = r.status();
            let v: Value = r.json().await.expect("json");
            assert_eq!(status, expected, "{role} uploads {cat}: {v}");
            if status == StatusCode::CREATED {
                docs.push((serde_json::from_value(v["document"].clone()).expect("doc"), role));
            }
        }
    }
    for (role, sess) in &sessions {
        // List shows exactly what the role may see.
        let page: DocumentPage =
            sess.get(&format!("/api/v1/documents?patient_id={patient}&limit=200")).await.json().await.expect("list");
        let listed: BTreeSet<Uuid> = page.items.iter().map(|d| d.id).collect();
        let expected: BTreeSet<Uuid> =
            docs.iter().filter(|(d, up)| sees(role, d.category.as_str(), up == role)).map(|(d, _)| d.id).collect();
        assert_eq!(listed, expected, "{role} list");
        for (d, up) in &docs {
            let cat = d.category.as_str();
            let visible = sees(role, cat, up == role);
            let hidden = StatusCode::NOT_FOUND;
            let st = sess.get(&format!("/api/v1/documents/{}", d.id)).await.status();
            assert_eq!(st, if visible { StatusCode::OK } else { hidden }, "{role} reads {up}'s {cat}");
            let st = sess.get(&format!("/api/v1/documents/{}/url", d.id)).await.status();
            assert_eq!(st, if visible { StatusCode::OK } else { hidden }, "{role} gets a link to {up}'s {cat}");
            let st = sess.get(&format!("/api/v1/documents/{}/annotations", d.id)).await.status();
            assert_eq!(st, if visible { StatusCode::OK } else { hidden }, "{role} reads annotations of {up}'s {cat}");
            let mark = json!({"page_number": 1, "kind": "marker", "geometry": {"x": 0.5, "y": 0.5}, "style": {"color": "#ff0000", "width": 0.01}, "text": "here"});
            let st = sess.post_json(&format!("/api/v1/documents/{}/annotations", d.id), &mark).await.status();
            let want = if !visible {
                hidden
            } else if may_annotate(role) {
                StatusCode::CREATED
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(st, want, "{role} annotates {up}'s {cat}");
            let st = sess
                .patch_json(&format!("/api/v1/documents/{}", d.id), &json!({"notes": format!("seen by {role}")}))
                .await
                .status();
            assert_eq!(st, if visible { StatusCode::OK } else { hidden }, "{role} edits {up}'s {cat}");
            if *role != "admin" {
                let st = sess.delete(&format!("/api/v1/documents/{}", d.id)).await.status();
                assert_eq!(st, if visible { StatusCode::FORBIDDEN } else { hidden }, "{role} deletes {up}'s {cat}");
            }
        }
        let st = sess.get("/api/v1/audit").await.status();
        assert_eq!(st, if *role == "admin" { StatusCode::OK } else { StatusCode::FORBIDDEN }, "{role} reads audit");
        assert_eq!(sess.get("/api/v1/storage").await.status(), StatusCode::OK, "{role} sees the gauge");
        let st = sess
            .post_json("/api/v1/patients", &json!({"name": format!("New {role}"), "date_of_birth": "1990-01-01"}))
            .await
            .status();
        assert_eq!(
            st,
            if *role == "billing" { StatusCode::FORBIDDEN } else { StatusCode::CREATED },
            "{role} creates a patient"
        );
    }
    // Only the admin deletes, and then nobody sees the document.
    let admin = &sessions[0].1;
    for (d, _) in &docs {
        assert_eq!(admin.delete(&format!("/api/v1/documents/{}", d.id)).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(doctor.get(&format!("/api/v1/documents/{}", d.id)).await.status(), StatusCode::NOT_FOUND);
    }
}

pub async fn other_clinics_ids_answer_exactly_like_missing_ones(b: Backend) {
    let s = TestServer::start(b).await;
    let doctor = s.login("doctor@demo.clinic").await;
    let patient = doctor.a_patient().await;
    let enc = doctor.a_visit(patient).await;
    let d = doctor.upload(&Upload::new(jpeg(100, 100), patient, "imaging", "Knee")).await;
    let ann: Annotation = doctor
        .post_json(
            &format!("/api/v1/documents/{}/annotations", d.id),
            &json!({"page_number": 1, "kind": "arrow", "geometry": {"from": {"x": 0.1, "y": 0.1}, "to": {"x": 0.5, "y": 0.5}}, "style": {"color": "#00ff00", "width": 0.005}}),
        )
        .await
        .json()
        .await
        .expect("annotation");
    for who in ["admin@other.clinic", "doctor@other.clinic"] {
        let other = s.login(who).await;
        let other_patient = other.a_patient().await;
        // Each call with the demo clinic's id, and the same call with a random id.
        let calls = [
            ("GET", "/api/v1/documents/{id}"),
            ("GET", "/api/v1/documents/{id}/url"),
            ("GET", "/api/v1/documents/{id}/annotations"),
            ("POST", "/api/v1/documents/{id}/annotations"),
            ("PATCH", "/api/v1/documents/{id}"),
            ("DELETE", "/api/v1/documents/{id}"),
        ];
        let with = |template: &str, id: Uuid| template.replace("{id}", &id.to_string());
        for (method, path) in calls {
            for_both(&other, method, &with(path, d.id), &with(path, Uuid::new_v4())).await;
        }
        let patient_calls = [
            ("GET", "/api/v1/patients/{id}"),
            ("GET", "/api/v1/patients/{id}/encounters"),
            ("POST", "/api/v1/patients/{id}/encounters"),
            ("GET", "/api/v1/patients/{id}/photo"),
            ("GET", "/api/v1/documents?patient_id={id}"),
        ];
        for (method, path) in patient_calls {
            for_both(&other, method, &with(path, patient), &with(path, Uuid::new_v4())).await;
        }
        for method in ["PUT", "DELETE"] {
            for_both(
                &other,
                method,
                &format!("/api/v1/annotations/{}", ann.id),
                &format!("/api/v1/annotations/{}", Uuid::new_v4()),
            )
            .await;
        }
        for_both(
            &other,
            "GET",
            &format!("/api/v1/documents?encounter_id={enc}"),
            &format!("/api/v1/documents?encounter_id={}", Uuid::new_v4()),
        )
        .await;
        // Uploading to the demo clinic's patient, or to its visit from one's own patient.
        let r1 = other.upload_raw(&Upload::new(pdf(1, 0), patient, "lab", "x"), None).await;
        let r2 = other.upload_raw(&Upload::new(pdf(1, 0), Uuid::new_v4(), "lab", "x"), None).await;
        assert_eq!(error_code(r1).await, error_code(r2).await);
        let mut u = Upload::new(pdf(1, 0), other_patient, "lab", "x");
        u.encounter_id = Some(enc);
        let r1 = other.upload_raw(&u, None).await;
        u.encounter_id = Some(Uuid::new_v4());
        let r2 = other.upload_raw(&u, None).await;
        let (st, code, _) = error_code(r1).await;
        assert_eq!((st, code.clone()), (StatusCode::NOT_FOUND, "not_found".to_string()));
        assert_eq!((st, code), {
            let (a, b, _) = error_code(r2).await;
            (a, b)
        });
        // Their clinic's list does not contain ours.
        let page: DocumentPage = other.get("/api/v1/documents?limit=200").await.json().await.expect("list");
        assert!(page.items.iter().all(|x| x.id != d.id));
    }
    // Nothing changed for the owner.
    assert_eq!(doctor.get(&format!("/api/v1/documents/{}", d.id)).await.status(), StatusCode::OK);
    let anns: Vec<Annotation> =
        doctor.get(&format!("/api/v1/documents/{}/annotations", d.id)).await.json().await.expect("anns");
    assert_eq!(anns.len(), 1);
}

async fn send(sess: &Session, method: &str, path: &str) -> (StatusCode, String, String) {
    // A body each route takes (routes refuse fields they do not know), so only the id differs.
    let mark = json!({"page_number": 1, "kind": "marker", "geometry": {"x": 0.5, "y": 0.5}, "style": {"color": "#ff0000", "width": 0.01}});
    let body = if path.contains("/annotations") && method == "PUT" {
        json!({"kind": "marker", "geometry": {"x": 0.5, "y": 0.5}, "style": {"color": "#ff0000", "width": 0.01}, "version": 1})
    } else if path.contains("/annotations") {
        mark
    } else if path.contains("/encounters") {
        json!({"date": "2026-11-22", "reason": "x"})
    } else {
        json!({"title": "renamed"})
    };
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let r = sess.http.request(m, sess.url(path)).bearer_auth(&sess.token).json(&body).send().await.expect("send");
    error_code(r).await
}

/// The same call with another clinic's id and with a random id answer identically (404).
async fn for_both(sess: &Session, method: &str, theirs: &str, random: &str) {
    let a = send(sess, method, theirs).await;
    let b = send(sess, method, random).await;
    assert_eq!(a.0, StatusCode::NOT_FOUND, "{method} {theirs}: {a:?}");
    assert_eq!(a, b, "{method} {theirs} vs a random id");
}

pub async fn concurrent_batches_cannot_overshoot_the_pool(b: Backend) {
    // Two batches of 50,000 bytes each against a pool of 99,999 bytes: together one byte too many.
    let s = TestServer::start_with(b, Opts { pool_bytes: Some(99_999), ..Default::default() }).await;
    let doc = s.login("doctor@demo.clinic").await;
    let rec = s.login("reception@demo.clinic").await;
    let patient = doc.a_patient().await;
    let batch = |tag: &str| -> Vec<Upload> {
        (0..2).map(|i| Upload::new(pdf_exact(25_000), patient, "lab", &format!("{tag} {i}"))).collect()
    };
    let (ba, bb) = (batch("A"), batch("B"));
    let (a, b2) = tokio::join!(doc.batch(&ba), rec.batch(&bb));
    let mut statuses = vec![a.status(), b2.status()];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::CREATED, StatusCode::PAYLOAD_TOO_LARGE]);
    let loser = if a.status() == StatusCode::CREATED { b2 } else { a };
    let v: Value = loser.json().await.expect("json");
    assert_eq!(v["error"]["code"], "quota_exceeded");
    assert!(v["error"]["message"].as_str().unwrap_or("").contains("Delete older documents"), "{v}");
    let usage = doc.storage().await;
    assert_eq!((usage.used_bytes, usage.document_count), (50_000, 2));
    assert_eq!(s.stored_objects().len(), 2 + pdf_tiles(2), "no bytes of the refused batch remain");
    // Eight concurrent single uploads of 10,000 bytes into the 49,999 left: exactly four fit.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let sess = Session {
            base: doc.base.clone(),
            http: doc.http.clone(),
            token: doc.token.clone(),
            user: doc.user.clone(),
        };
        tasks.push(tokio::spawn(async move {
            sess.upload_raw(&Upload::new(pdf_exact(10_000), patient, "lab", &format!("single {i}")), None)
                .await
                .status()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::CREATED => ok += 1,
            StatusCode::PAYLOAD_TOO_LARGE => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 4);
    let usage = doc.storage().await;
    assert_eq!((usage.used_bytes, usage.document_count), (90_000, 6));
    assert_eq!(s.stored_objects().len(), 6 + pdf_tiles(6));
}

pub async fn batch_with_a_bad_13th_file_stores_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let before = doc.storage().await;
    let mut items: Vec<Upload> = (0..20)
        .map(|i| {
            let bytes = if i % 2 == 0 { pdf(1, 2000) } else { png(120, 90) };
            Upload::new(bytes, patient, "lab", &format!("page {}", i + 1))
        })
        .collect();
    items[12].bytes = elf();
    items[12].file_name = "page13.pdf".into();
    let r = doc.batch(&items).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["stored"], false);
    assert_eq!(v["error"]["code"], "batch_failed");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 20);
    for (i, f) in files.iter().enumerate() {
        if i == 12 {
            assert_eq!(f["status"], "refused");
            assert_eq!(f["error"]["code"], "executable_refused");
        } else {
            assert_eq!(f["status"], "not_stored", "file {i}");
        }
    }
    let after = doc.storage().await;
    assert_eq!((after.used_bytes, after.document_count), (before.used_bytes, before.document_count));
    assert!(s.stored_objects().is_empty(), "objects left behind: {:?}", s.stored_objects());
    // The same batch with the bad file replaced goes through whole.
    items[12].bytes = pdf(1, 2000);
    let r = doc.batch(&items).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.expect("json");
    assert!(v["files"].as_array().expect("files").iter().all(|f| f["status"] == "stored"));
    assert_eq!(doc.storage().await.document_count, 20);
    assert_eq!(s.stored_objects().len(), 30 + pdf_tiles(10), "20 originals, 10 PNG thumbnails, the PDFs' tiles");
}

pub async fn batch_manifest_is_capped_yet_fits_the_longest_items(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("reception@demo.clinic").await;
    let patient = doc.a_patient().await;
    // A full batch, each item at the longest title and notes, in multi-byte characters.
    let notes = "\u{1FA7A}".repeat(4000);
    let items: Vec<Upload> = (0..50)
        .map(|i| {
            let mut u = Upload::new(pdf(1, 2000), patient, "lab", &format!("{i:02} {}", "Ж".repeat(197)));
            u.notes = Some(notes.clone());
            u
        })
        .collect();
    let r = doc.batch(&items).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap_or_default());
    let listed: Value =
        doc.get(&format!("/api/v1/documents?patient_id={patient}&limit=100")).await.json().await.expect("list");
    let listed = listed["items"].as_array().expect("items");
    assert_eq!(listed.len(), 50);
    assert!(listed.iter().all(|d| d["notes"] == notes.as_str()), "notes kept whole");
    let before = (doc.storage().await.document_count, s.stored_objects().len());
    // A manifest past any real batch is refused unread, naming the part; nothing is stored.
    let mut huge = Upload::new(pdf(1, 2000), patient, "lab", &"x".repeat(1_400_000));
    huge.file_name = "huge.pdf".into();
    let (st, code, message) = error_code(doc.batch(&[huge]).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::BAD_REQUEST, "bad_request"), "{message}");
    assert!(message.contains("'manifest' is longer than 1.3 MB"), "{message}");
    assert_eq!((doc.storage().await.document_count, s.stored_objects().len()), before);
}

pub async fn bad_input_corpus_is_refused_and_stores_nothing(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let mut truncated_pdf = pdf(2, 5000);
    truncated_pdf.truncate(3000);
    let cases: Vec<(&str, Vec<u8>, &str, StatusCode, &str)> = vec![
        ("empty", vec![], "Empty", StatusCode::BAD_REQUEST, "empty_file"),
        ("oversize", pdf(1, 10 * 1024 * 1024 + 1), "Too big", StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"),
        ("renamed ELF", elf(), "report", StatusCode::UNSUPPORTED_MEDIA_TYPE, "executable_refused"),
        ("PNG with a zip appended", png_with_zip(), "photo", StatusCode::UNPROCESSABLE_ENTITY, "corrupt_file"),
        ("truncated JPEG", truncated_jpeg(), "scan", StatusCode::UNPROCESSABLE_ENTITY, "corrupt_file"),
        ("truncated PDF", truncated_pdf, "scan", StatusCode::UNPROCESSABLE_ENTITY, "corrupt_file"),
        ("decompression bomb", bomb_png(), "bomb", StatusCode::UNPROCESSABLE_ENTITY, "image_too_large"),
        ("password PDF", encrypted_pdf(), "locked", StatusCode::UNPROCESSABLE_ENTITY, "password_protected_pdf"),
        (
            "plain text",
            b"hello, this is not a document".to_vec(),
            "notes",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
        ),
        ("path in name", pdf(1, 0), "../../etc/passwd", StatusCode::BAD_REQUEST, "invalid_name"),
        ("control character in name", pdf(1, 0), "scan\u{0007}001", StatusCode::BAD_REQUEST, "invalid_name"),
        ("RTL override in name", pdf(1, 0), "invoice\u{202E}fdp.exe", StatusCode::BAD_REQUEST, "invalid_name"),
        ("empty name", pdf(1, 0), "   ", StatusCode::BAD_REQUEST, "invalid_name"),
    ];
    for (what, bytes, title, status, code) in cases {
        let mut u = Upload::new(bytes, patient, "lab", title);
        u.file_name = format!("{what}.pdf");
        // Received first, then stored; and stored while it arrives (size announced).
        for u in [u.clone(), u.streamed()] {
            let how = if u.size.is_some() { "streamed" } else { "spooled" };
            let (st, c, message) = error_code(doc.upload_raw(&u, None).await).await;
            assert_eq!((st, c.as_str()), (status, code), "{what} ({how}): {message}");
            assert!(message.len() > 20 && !message.contains("internal"), "{what}: unclear message {message:?}");
        }
    }
    // Wrong type name and an unknown patient.
    let (st, c, _) = error_code(doc.upload_raw(&Upload::new(pdf(1, 0), patient, "xray", "x"), None).await).await;
    assert_eq!((st, c.as_str()), (StatusCode::BAD_REQUEST, "bad_request"));
    let usage = doc.storage().await;
    assert_eq!((usage.used_bytes, usage.document_count), (0, 0));
    assert!(s.stored_objects().is_empty(), "objects left behind: {:?}", s.stored_objects());
    // Everything else still works.
    doc.upload(&Upload::new(pdf(1, 0), patient, "lab", "Fine")).await;
}

pub async fn idempotency_key_replays_and_conflicts(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("reception@demo.clinic").await;
    let patient = doc.a_patient().await;
    let u = Upload::new(pdf(1, 5000), patient, "referral", "Referral letter");
    let key = Uuid::new_v4().to_string();
    let r1 = doc.upload_raw(&u, Some(&key)).await;
    assert_eq!(r1.status(), StatusCode::CREATED);
    let d1: Value = r1.json().await.expect("json");
    let r2 = doc.upload_raw(&u, Some(&key)).await;
    assert_eq!(r2.status(), StatusCode::OK, "a retry is answered with the same document");
    let d2: Value = r2.json().await.expect("json");
    assert_eq!(d1["document"]["id"], d2["document"]["id"]);
    let mut changed = u.clone();
    changed.bytes = pdf(1, 6000);
    let (st, code, _) = error_code(doc.upload_raw(&changed, Some(&key)).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict"));
    // Concurrent retries of one key store one document.
    let key2 = Uuid::new_v4().to_string();
    let u2 = Upload::new(pdf(1, 7000), patient, "referral", "Second");
    let (a, c) = tokio::join!(doc.upload_raw(&u2, Some(&key2)), doc.upload_raw(&u2, Some(&key2)));
    let mut sts = vec![a.status(), c.status()];
    sts.sort();
    assert_eq!(sts, vec![StatusCode::OK, StatusCode::CREATED]);
    let usage = doc.storage().await;
    assert_eq!(usage.document_count, 2);
    assert_eq!(usage.used_bytes, (u.bytes.len() + u2.bytes.len()) as i64);
    assert_eq!(s.stored_objects().len(), 2 + pdf_tiles(2));
}

pub async fn batch_sent_again_with_its_keys_stores_nothing_twice(b: Backend) {
    // The desktop queue sends a dropped folder as one batch, each file with its own key. When the
    // answer is lost it sends the same batch again and must get the same documents back.
    let s = TestServer::start(b).await;
    let rec = s.login("reception@demo.clinic").await;
    let patient = rec.a_patient().await;
    let items: Vec<Upload> = (0..4)
        .map(|i| {
            let mut u = Upload::new(pdf(1, 3000 + i), patient, "insurance", &format!("card {i}"));
            u.key = Some(Uuid::new_v4().to_string());
            u
        })
        .collect();
    let first = rec.batch(&items).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let again = rec.batch(&items).await;
    assert_eq!(again.status(), StatusCode::OK, "a replay is not a new store");
    let again: Value = again.json().await.expect("json");
    for i in 0..4 {
        assert_eq!(again["files"][i]["status"], "stored");
        assert_eq!(again["files"][i]["document"]["id"], first["files"][i]["document"]["id"], "file {i}");
    }
    let usage = rec.storage().await;
    assert_eq!(usage.document_count, 4);
    assert_eq!(usage.used_bytes, items.iter().map(|u| u.bytes.len() as i64).sum::<i64>());
    assert_eq!(s.stored_objects().len(), 4 + pdf_tiles(4));

    // A key already used for another file refuses that file, and with it the batch.
    let mut reused = items.clone();
    reused[2].bytes = pdf(1, 9999);
    let r = rec.batch(&reused).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["files"][2]["error"]["code"], "idempotency_conflict");
    // Two files of one batch with one key is a malformed batch.
    let mut twice = vec![items[0].clone(), items[0].clone()];
    twice[1].bytes = pdf(1, 4444);
    let (st, _, msg) = error_code(rec.batch(&twice).await).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{msg}");
    assert_eq!(rec.storage().await.document_count, 4);
    assert_eq!(s.stored_objects().len(), 4 + pdf_tiles(4));
}

pub async fn visit_limit_and_plan_are_enforced(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let enc = doc.a_visit(patient).await;
    for i in 0..5 {
        let mut u = Upload::new(pdf(1, 0), patient, "lab", &format!("visit doc {i}"));
        u.encounter_id = Some(enc);
        doc.upload(&u).await;
    }
    let mut u = Upload::new(pdf(1, 0), patient, "lab", "sixth");
    u.encounter_id = Some(enc);
    let (st, code, msg) = error_code(doc.upload_raw(&u, None).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::CONFLICT, "visit_limit_reached"));
    assert!(msg.contains("5 documents"), "{msg}");
    assert_eq!(doc.storage().await.document_count, 5);
    // Relinking a document to the full visit is refused too; to none is fine.
    let free = doc.upload(&Upload::new(pdf(1, 0), patient, "lab", "unlinked")).await;
    let r = doc.patch_json(&format!("/api/v1/documents/{}", free.id), &json!({"encounter_id": enc})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // A clinic without the Professional plan has no Documents.
    let basic = s.login("doctor@basic.clinic").await;
    let bp = basic.a_patient().await;
    let (st, code, msg) = error_code(basic.upload_raw(&Upload::new(pdf(1, 0), bp, "lab", "x"), None).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::FORBIDDEN, "plan_required"));
    assert!(msg.contains("Professional"), "{msg}");
    let (st, code, _) = error_code(basic.get("/api/v1/documents").await).await;
    assert_eq!((st, code.as_str()), (StatusCode::FORBIDDEN, "plan_required"));
}

pub async fn soft_delete_frees_the_pool_and_kills_links(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.login("admin@demo.clinic").await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let keep = doc.upload(&Upload::new(pdf(1, 4000), patient, "lab", "keep")).await;
    let gone = doc.upload(&Upload::new(jpeg(500, 400), patient, "photo", "wrong patient")).await;
    let before = doc.storage().await;
    let url = doc.signed_url(gone.id, "original").await;
    let thumb = doc.signed_url(gone.id, "thumbnail").await;
    assert_eq!(s.http.get(&url).send().await.expect("get").status(), StatusCode::OK);
    assert_eq!(doc.delete(&format!("/api/v1/documents/{}", gone.id)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin.delete(&format!("/api/v1/documents/{}", gone.id)).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(admin.delete(&format!("/api/v1/documents/{}", gone.id)).await.status(), StatusCode::NOT_FOUND);
    let after = doc.storage().await;
    assert_eq!(after.used_bytes, before.used_bytes - gone.file_size);
    assert_eq!(after.document_count, before.document_count - 1);
    for u in [&url, &thumb] {
        let st = s.http.get(u).send().await.expect("get").status();
        assert!(st == StatusCode::NOT_FOUND || st == StatusCode::FORBIDDEN, "a deleted document's link answered {st}");
    }
    let page: DocumentPage =
        doc.get(&format!("/api/v1/documents?patient_id={patient}")).await.json().await.expect("list");
    assert_eq!(page.items.iter().map(|d| d.id).collect::<Vec<_>>(), vec![keep.id]);
    // The bytes are kept (soft delete) under the clinic's trash prefix.
    let trash: Vec<_> = s.stored_objects().into_iter().filter(|k| k.contains("/trash/")).collect();
    assert_eq!(trash.len(), 2, "original and thumbnail moved to trash");
    assert!(trash.iter().all(|k| k.starts_with(&doc.user.org_id.to_string())));
}

pub async fn annotations_round_trip_with_conflict_detection(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let admin = s.login("admin@demo.clinic").await;
    let rec = s.login("reception@demo.clinic").await;
    let patient = doc.a_patient().await;
    let xray = doc.upload(&Upload::new(jpeg(800, 600), patient, "imaging", "Wrist")).await;
    let card = doc.upload(&Upload::new(png(300, 200), patient, "insurance", "Card")).await;
    let base = format!("/api/v1/documents/{}/annotations", xray.id);
    let r = doc
        .post_json(&base, &json!({"page_number": 1, "kind": "drawing", "geometry": {"points": [{"x": 0.1, "y": 0.2}, {"x": 0.3, "y": 0.4}, {"x": 0.35, "y": 0.5}]},
            "style": {"color": "#ff0000", "width": 0.004}, "text": "fracture line"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let a: Annotation = r.json().await.expect("ann");
    assert_eq!((a.version, a.text.as_deref()), (1, Some("fracture line")));
    for bad in [
        json!({"page_number": 1, "kind": "marker", "geometry": {"x": 1.5, "y": 0.5}, "style": {"color": "#ff0000", "width": 0.01}}),
        json!({"page_number": 1, "kind": "highlight", "geometry": {"x": 0.9, "y": 0.1, "w": 0.2, "h": 0.1}, "style": {"color": "#ffff0080", "width": 0.01}}),
        json!({"page_number": 0, "kind": "marker", "geometry": {"x": 0.5, "y": 0.5}, "style": {"color": "#ff0000", "width": 0.01}}),
        json!({"page_number": 2, "kind": "marker", "geometry": {"x": 0.5, "y": 0.5}, "style": {"color": "#ff0000", "width": 0.01}}),
        json!({"page_number": 1, "kind": "marker", "geometry": {"x": 0.5, "y": 0.5}, "style": {"color": "red", "width": 0.01}}),
    ] {
        assert_eq!(doc.post_json(&base, &bad).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let upd = json!({"kind": "drawing", "geometry": {"points": [{"x": 0.1, "y": 0.2}, {"x": 0.4, "y": 0.4}]}, "style": {"color": "#0000ff", "width": 0.004}, "text": "revised", "version": 1});
    // Two editors started from version 1: the first wins, the second is told.
    let r = admin.put_json(&format!("/api/v1/annotations/{}", a.id), &upd).await;
    assert_eq!(r.status(), StatusCode::OK);
    let a2: Annotation = r.json().await.expect("ann");
    assert_eq!((a2.version, a2.style.color.as_str()), (2, "#0000ff"));
    let (st, code, _) = error_code(doc.put_json(&format!("/api/v1/annotations/{}", a.id), &upd).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::CONFLICT, "conflict"));
    let list: Vec<Annotation> = doc.get(&base).await.json().await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].text.as_deref(), Some("revised"));
    // Read-only roles see marks but cannot write.
    let card_base = format!("/api/v1/documents/{}/annotations", card.id);
    let mark = json!({"page_number": 1, "kind": "text", "geometry": {"x": 0.2, "y": 0.2}, "style": {"color": "#000000", "width": 0.01}, "text": "expired?"});
    assert_eq!(doc.post_json(&card_base, &mark).await.status(), StatusCode::CREATED);
    assert_eq!(rec.get(&card_base).await.status(), StatusCode::OK);
    assert_eq!(rec.post_json(&card_base, &mark).await.status(), StatusCode::FORBIDDEN);
    let card_anns: Vec<Annotation> = rec.get(&card_base).await.json().await.expect("list");
    assert_eq!(rec.delete(&format!("/api/v1/annotations/{}", card_anns[0].id)).await.status(), StatusCode::FORBIDDEN);
    // A delete based on version 1 comes after the change to version 2: refused, nothing lost.
    let (st, code, _) = error_code(doc.delete(&format!("/api/v1/annotations/{}?version=1", a.id)).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::CONFLICT, "conflict"));
    assert_eq!(doc.get(&base).await.json::<Vec<Annotation>>().await.expect("list").len(), 1);
    assert_eq!(doc.delete(&format!("/api/v1/annotations/{}?version=2", a.id)).await.status(), StatusCode::NO_CONTENT);
    let list: Vec<Annotation> = doc.get(&base).await.json().await.expect("list");
    assert!(list.is_empty());
}

/// The offline queue sends a mark's create again when its answer was lost: stored once.
pub async fn annotation_created_again_with_its_id_is_stored_once(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let admin = s.login("admin@demo.clinic").await;
    let other = s.login("doctor@other.clinic").await;
    let patient = doc.a_patient().await;
    let xray = doc.upload(&Upload::new(jpeg(400, 300), patient, "imaging", "Knee")).await;
    let photo = doc.upload(&Upload::new(jpeg(200, 200), patient, "imaging", "Hand")).await;
    let base = format!("/api/v1/documents/{}/annotations", xray.id);
    let id = Uuid::new_v4();
    let mark = json!({"id": id, "page_number": 1, "kind": "marker", "geometry": {"x": 0.4, "y": 0.6}, "style": {"color": "#ff0000", "width": 0.01}, "text": "effusion"});
    let r = doc.post_json(&base, &mark).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first: Annotation = r.json().await.expect("ann");
    assert_eq!(first.id, id, "the client's id is kept");
    let r = doc.post_json(&base, &mark).await;
    assert_eq!(r.status(), StatusCode::OK, "sent again: the stored mark, not a second one");
    assert_eq!(r.json::<Annotation>().await.expect("ann"), first);
    assert_eq!(doc.get(&base).await.json::<Vec<Annotation>>().await.expect("list").len(), 1);
    // The id used for another document, by another person, or from another clinic: refused.
    let photo_base = format!("/api/v1/documents/{}/annotations", photo.id);
    let (st, code, _) = error_code(doc.post_json(&photo_base, &mark).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::CONFLICT, "conflict"));
    let (st, _, _) = error_code(admin.post_json(&base, &mark).await).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let other_patient = other.a_patient().await;
    let theirs = other.upload(&Upload::new(jpeg(200, 200), other_patient, "imaging", "Foot")).await;
    let (st, _, _) =
        error_code(other.post_json(&format!("/api/v1/documents/{}/annotations", theirs.id), &mark).await).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(other
        .get(&format!("/api/v1/documents/{}/annotations", theirs.id))
        .await
        .json::<Vec<Annotation>>()
        .await
        .expect("list")
        .is_empty());
    assert_eq!(doc.get(&base).await.json::<Vec<Annotation>>().await.expect("list"), vec![first]);
}

/// Listing pages are kept in memory per clinic version: every change, made through any server
/// instance on the same database, shows in the next listing of every instance.
pub async fn a_listing_shows_every_change_at_once_on_every_instance(b: Backend) {
    let s = TestServer::start(b).await;
    let (_second, url2) = s.second_instance().await;
    let doctor = s.login("doctor@demo.clinic").await;
    let admin = s.login("admin@demo.clinic").await;
    let reception = s.login("reception@demo.clinic").await;
    let there = doctor.at(&url2);
    let patient = doctor.a_patient().await;
    let list = format!("/api/v1/documents?patient_id={patient}&limit=50");
    let titles = |sess: &Session| {
        let (sess, list) = (sess.at(&sess.base), list.clone());
        async move {
            let page: DocumentPage = sess.get(&list).await.json().await.expect("page");
            page.items.into_iter().map(|d| d.title).collect::<Vec<_>>()
        }
    };
    let before = titles(&there).await;
    assert_eq!(titles(&there).await, before, "asked again: the same page");
    let d = doctor.upload(&Upload::new(jpeg(300, 200), patient, "imaging", "Elbow")).await;
    assert!(titles(&there).await.contains(&"Elbow".to_string()), "an upload on the other instance shows at once");
    assert_eq!(
        doctor.patch_json(&format!("/api/v1/documents/{}", d.id), &json!({"title": "Elbow, left"})).await.status(),
        StatusCode::OK
    );
    let now = titles(&there).await;
    assert!(now.contains(&"Elbow, left".to_string()) && !now.contains(&"Elbow".to_string()), "{now:?}");
    // The same query by someone whose role sees less is never answered from the doctor's page.
    assert!(
        !titles(&reception.at(&url2)).await.contains(&"Elbow, left".to_string()),
        "a receptionist does not see X-rays"
    );
    assert_eq!(admin.delete(&format!("/api/v1/documents/{}", d.id)).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(titles(&there).await, before, "deleted: gone from the other instance's listing");
    assert_eq!(titles(&doctor).await, before);
}

/// The storage report says what fills the pool, to admins only, and adds up to the gauge.
pub async fn storage_report_is_for_admins_and_adds_up(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.login("admin@demo.clinic").await;
    let doctor = s.login("doctor@demo.clinic").await;
    let patients = doctor.patients("").await;
    let (p1, p2) = (patients[0].id, patients[1].id);
    let lab = doctor.upload(&Upload::new(pdf(3, 300_000), p1, "lab", "CBC")).await;
    let xray = doctor.upload(&Upload::new(jpeg(800, 600), p1, "imaging", "Knee")).await;
    let card = doctor.upload(&Upload::new(png(300, 200), p2, "insurance", "Card")).await;
    let wrong = doctor.upload(&Upload::new(jpeg(400, 300), p2, "imaging", "Wrong patient")).await;
    assert_eq!(admin.delete(&format!("/api/v1/documents/{}", wrong.id)).await.status(), StatusCode::NO_CONTENT);

    let r = admin.get("/api/v1/storage/report").await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: StorageReport = r.json().await.expect("report");
    let by = |c: Category| report.by_category.iter().find(|u| u.category == c).map(|u| (u.documents, u.bytes));
    assert_eq!(by(Category::Lab), Some((1, lab.file_size)));
    assert_eq!(by(Category::Imaging), Some((1, xray.file_size)), "the deleted upload does not count");
    assert_eq!(by(Category::Insurance), Some((1, card.file_size)));
    assert_eq!(report.by_category.iter().map(|u| u.bytes).sum::<i64>(), report.used_bytes, "adds up to the gauge");
    assert_eq!(report.by_category.iter().map(|u| u.documents).sum::<i64>(), report.document_count);
    let usage: Value = admin.get("/api/v1/storage").await.json().await.expect("gauge");
    assert_eq!(usage["used_bytes"], json!(report.used_bytes));
    assert!(report.by_category.windows(2).all(|w| w[0].bytes >= w[1].bytes), "largest first");
    let top: Vec<(Uuid, i64)> = report.top_patients.iter().map(|p| (p.patient_id, p.bytes)).collect();
    assert_eq!(top, vec![(p1, lab.file_size + xray.file_size), (p2, card.file_size)]);
    assert_eq!(report.top_patients[0].name, patients[0].name);

    // Other roles are refused; another clinic's admin sees none of this clinic's patients.
    for email in ["doctor@demo.clinic", "reception@demo.clinic", "billing@demo.clinic"] {
        let st = s.login(email).await.get("/api/v1/storage/report").await.status();
        assert_eq!(st, StatusCode::FORBIDDEN, "{email}");
    }
    let theirs: StorageReport =
        s.login("admin@other.clinic").await.get("/api/v1/storage/report").await.json().await.expect("report");
    assert!(theirs.top_patients.iter().all(|p| p.patient_id != p1 && p.patient_id != p2));
    assert_eq!(theirs.by_category.iter().map(|u| u.bytes).sum::<i64>(), theirs.used_bytes);
}

pub async fn audit_log_records_events_and_is_append_only(b: Backend) {
    let s = TestServer::start(b.clone()).await;
    let admin = s.login("admin@demo.clinic").await;
    let doc = s.login("doctor@demo.clinic").await;
    let rec = s.login("reception@demo.clinic").await;
    let patient = doc.a_patient().await;
    let d = doc.upload(&Upload::new(jpeg(200, 200), patient, "imaging", "Ankle")).await;
    let url = doc.signed_url(d.id, "original").await;
    assert_eq!(s.http.get(&url).send().await.expect("get").status(), StatusCode::OK);
    doc.post_json(&format!("/api/v1/documents/{}/annotations", d.id), &json!({"page_number": 1, "kind": "marker", "geometry": {"x": 0.5, "y": 0.5}, "style": {"color": "#ff0000", "width": 0.01}})).await;
    assert_eq!(rec.get(&format!("/api/v1/documents/{}", d.id)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(admin.delete(&format!("/api/v1/documents/{}", d.id)).await.status(), StatusCode::NO_CONTENT);
    let v: Value = admin.get("/api/v1/audit?limit=500").await.json().await.expect("audit");
    let items = v["items"].as_array().expect("items");
    let has = |action: &str, actor: Option<&str>| {
        items.iter().any(|e| {
            e["action"] == action
                && actor.is_none_or(|a| e["actor_email"] == a)
                && (e["target_id"] == d.id.to_string() || action == "sign_in_succeeded")
        })
    };
    assert!(has("document_uploaded", Some("doctor@demo.clinic")));
    assert!(has("document_link_issued", Some("doctor@demo.clinic")));
    if !b.is_s3() {
        // Local links are served (and audited) by this server; S3 links go straight to the
        // store, so there the issue of the link is the audited event.
        assert!(has("document_downloaded", None));
    }
    assert!(has("access_refused", Some("reception@demo.clinic")));
    assert!(has("document_deleted", Some("admin@demo.clinic")));
    assert!(items.iter().any(|e| e["action"] == "annotation_created"));
    assert!(
        items.iter().all(|e| e["actor_email"].as_str().is_none_or(|m| m.ends_with("@demo.clinic"))),
        "only this clinic's events"
    );
    // The database itself refuses to change or remove audit rows.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.database_url).await.expect("connect db");
    let n_before: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events").fetch_one(&pool).await.expect("count");
    assert!(
        sqlx::query("UPDATE audit_events SET action = 'nothing'").execute(&pool).await.is_err(),
        "update must fail"
    );
    assert!(sqlx::query("DELETE FROM audit_events").execute(&pool).await.is_err(), "delete must fail");
    let n_after: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events").fetch_one(&pool).await.expect("count");
    assert_eq!(n_before, n_after);
}

pub async fn listing_filters_sorts_and_pages(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let rec = s.login("reception@demo.clinic").await;
    let patients = doc.patients("").await;
    let (p, q) = (patients[0].id, patients[1].id);
    doc.upload(&Upload::new(pdf(1, 0), p, "lab", "B lipids")).await;
    rec.upload(&Upload::new(pdf(1, 0), p, "lab", "a glucose")).await;
    doc.upload(&Upload::new(jpeg(50, 50), p, "imaging", "C hand")).await;
    doc.upload(&Upload::new(pdf(1, 0), q, "lab", "other patient")).await;
    let list = |query: String| {
        let doc = &doc;
        async move {
            let r = doc.get(&format!("/api/v1/documents?patient_id={p}&{query}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{query}");
            r.json::<DocumentPage>().await.expect("page")
        }
    };
    let titles = |pg: &DocumentPage| pg.items.iter().map(|d| d.title.clone()).collect::<Vec<_>>();
    assert_eq!(titles(&list("category=lab&sort=name".into()).await), vec!["a glucose", "B lipids"]);
    assert_eq!(titles(&list("sort=name&order=desc".into()).await), vec!["C hand", "B lipids", "a glucose"]);
    assert_eq!(list("sort=uploader".into()).await.items[0].uploaded_by_name, "Dr. Dana Doctor");
    let up = list("sort=uploader&order=asc".into()).await;
    assert_eq!(up.items.last().map(|d| d.uploaded_by_name.as_str()), Some("Riley Reception"));
    // Paging by cursor visits each document once.
    let first = list("sort=date&limit=2".into()).await;
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("cursor");
    let second = list(format!("sort=date&limit=2&cursor={cursor}")).await;
    let mut all: Vec<Uuid> = first.items.iter().chain(&second.items).map(|d| d.id).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 3);
    // Date range.
    let today = Utc::now().date_naive();
    assert_eq!(list(format!("from={today}&to={today}")).await.items.len(), 3);
    assert_eq!(list(format!("to={}", today.pred_opt().expect("yesterday"))).await.items.len(), 0);
    let (st, _, _) = error_code(doc.get("/api/v1/documents?from=yesterday").await).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // The receptionist sees her own lab report, not the doctor's.
    let r: DocumentPage = rec.get(&format!("/api/v1/documents?patient_id={p}")).await.json().await.expect("page");
    assert_eq!(titles(&r), vec!["a glucose"]);
    // Rename and recategorise.
    let d: Document = r.items[0].clone();
    let r = rec
        .patch_json(&format!("/api/v1/documents/{}", d.id), &json!({"title": "Glucose Apr 2026", "category": "other"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let d2: Document = r.json().await.expect("doc");
    assert_eq!((d2.title.as_str(), d2.category.as_str()), ("Glucose Apr 2026", "other"));
    let r = rec.patch_json(&format!("/api/v1/documents/{}", d.id), &json!({"title": "../x"})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

pub async fn profile_images_are_resized_and_replaced(b: Backend) {
    let s = TestServer::start(b).await;
    let rec = s.login("reception@demo.clinic").await;
    let doctor = s.login("doctor@demo.clinic").await;
    let patient = rec.a_patient().await;
    let put = |sess: &Session, path: String, bytes: Vec<u8>| {
        let req = sess.http.put(sess.url(&path)).bearer_auth(&sess.token).body(bytes);
        async move { req.send().await.expect("put") }
    };
    let r = put(&rec, format!("/api/v1/patients/{patient}/photo"), jpeg(1200, 900)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let first = s.stored_objects();
    assert_eq!(first.len(), 2);
    let prefix = format!("{}/profiles/patient/{patient}/", rec.user.org_id);
    assert!(first.iter().all(|k| k.starts_with(&prefix)), "{first:?}");
    let r = put(&rec, format!("/api/v1/patients/{patient}/photo"), png(400, 800)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    let second = s.stored_objects();
    assert_eq!(second.len(), 2, "the old picture and avatar are removed");
    assert!(first.iter().all(|k| !second.contains(k)));
    let avatar = s.http.get(v["avatar_url"]["url"].as_str().expect("url")).send().await.expect("get");
    assert_eq!(avatar.status(), StatusCode::OK);
    let img = image::load_from_memory(&avatar.bytes().await.expect("bytes")).expect("decode");
    assert_eq!((img.width(), img.height()), (48, 96));
    // Practitioners set their own; another staff member may not.
    let r = put(&doctor, format!("/api/v1/practitioners/{}/photo", doctor.user.id), jpeg(300, 300)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = put(&rec, format!("/api/v1/practitioners/{}/photo", doctor.user.id), jpeg(300, 300)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = put(&rec, format!("/api/v1/patients/{patient}/photo"), elf()).await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

pub async fn orphans_are_reported_and_removed(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let kept = doc.upload(&Upload::new(pdf(1, 0), patient, "lab", "kept")).await;
    let lost = doc.upload(&Upload::new(pdf(1, 100), patient, "lab", "lost")).await;
    let objects = s.stored_objects();
    let lost_key = objects.iter().find(|k| k.contains(&lost.id.to_string())).expect("lost key").clone();
    std::fs::remove_file(s.objects_dir.join(&lost_key)).expect("remove object");
    let stray_dir = s.objects_dir.join(doc.user.org_id.to_string()).join("stray");
    std::fs::create_dir_all(&stray_dir).expect("mkdir");
    std::fs::write(stray_dir.join("leftover.pdf"), pdf(1, 0)).expect("write stray");
    let s = &s;
    let run = |delete: bool| async move {
        // The stray object is seconds old: count it even so (the default grace is an hour).
        let mut args = vec!["orphans", "--grace-secs", "0"];
        if delete {
            args.push("--delete");
        }
        let (ok, out) = s.run_subcommand(&args).await;
        assert!(ok, "{out}");
        out
    };
    let report = run(false).await;
    assert!(report.contains(&format!("object without document: {}/stray/leftover.pdf", doc.user.org_id)), "{report}");
    assert!(report.contains(&format!("document without object: {lost_key}")), "{report}");
    assert!(report.contains("1 orphaned objects, 1 documents with missing objects"), "{report}");
    assert!(!report.contains(&kept.id.to_string()));
    let report = run(true).await;
    assert!(report.contains("removed 1 orphaned objects"), "{report}");
    assert!(!stray_dir.join("leftover.pdf").exists());
    assert!(run(false).await.contains("0 orphaned objects"));
}

pub async fn upload_memory_stays_bounded_whatever_the_file_size(b: Backend) {
    // A clinic allowed 400 MB files: a 300 MB upload streams through a bounded spool.
    let s = TestServer::start_with(b, Opts { max_file_bytes: Some(400 << 20), ..Default::default() }).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    doc.upload(&Upload::new(pdf(1, 1 << 20), patient, "lab", "warm-up")).await;
    let before = s.peak_rss();
    let big = pdf(1, 300 << 20);
    let d = doc.upload(&Upload::new(big.clone(), patient, "lab", "huge scan")).await;
    let grew = s.peak_rss().saturating_sub(before);
    assert_eq!(d.sha256, sha256(&big));
    assert!(grew < 100 << 20, "server peak memory grew by {} MB for a 300 MB upload", grew >> 20);
}

pub async fn sign_in_who_am_i_and_sign_out(b: Backend) {
    let s = TestServer::start(b).await;
    let r = s
        .http
        .post(format!("{}/api/v1/auth/login", s.url))
        .json(&json!({"email": "doctor@demo.clinic", "password": "nope"}))
        .send()
        .await
        .expect("login");
    let (st, code, msg) = error_code(r).await;
    assert_eq!((st, code.as_str()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    assert!(msg.contains("email or password"), "{msg}");
    let r = s
        .http
        .post(format!("{}/api/v1/auth/login", s.url))
        .json(&json!({"email": "nobody@demo.clinic", "password": "demo"}))
        .send()
        .await
        .expect("login");
    assert_eq!(error_code(r).await.1, "invalid_credentials", "an unknown email reads like a wrong password");
    let doc = s.login("  Doctor@Demo.Clinic ").await;
    let me: Value = doc.get("/api/v1/me").await.json().await.expect("me");
    assert_eq!(me["user"]["role"], "doctor");
    assert_eq!(me["org"]["plan"], "professional");
    assert_eq!(me["org"]["documents_enabled"], true);
    let basic = s.login("admin@basic.clinic").await;
    let me: Value = basic.get("/api/v1/me").await.json().await.expect("me");
    assert_eq!(me["org"]["documents_enabled"], false);
    let r = doc.http.post(doc.url("/api/v1/auth/logout")).bearer_auth(&doc.token).send().await.expect("logout");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (st, code, _) = error_code(doc.get("/api/v1/me").await).await;
    assert_eq!((st, code.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let (st, _, _) = error_code(s.http.get(format!("{}/api/v1/documents", s.url)).send().await.expect("get")).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "no token, no data");
    assert_eq!(basic.get("/api/v1/me").await.status(), StatusCode::OK, "other sessions live on");
}

pub async fn an_upload_that_announces_its_size_is_stored_while_it_arrives(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    // A PDF and a photo, each sent with its size after the fields: stored whole, byte for byte.
    let big = pdf(2, 3 << 20);
    let d = doc.upload(&Upload::new(big.clone(), patient, "lab", "Streamed report").streamed()).await;
    assert_eq!((d.sha256.clone(), d.file_size, d.page_count), (sha256(&big), big.len() as i64, Some(2)));
    let got = s.http.get(doc.signed_url(d.id, "original").await).send().await.expect("get");
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert!(got.headers()["content-disposition"].to_str().expect("ascii").contains("Streamed report.pdf"));
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), big.as_slice());
    let photo = jpeg(800, 600);
    let p = doc.upload(&Upload::new(photo.clone(), patient, "photo", "Streamed photo").streamed()).await;
    assert!(p.has_thumbnail, "the photo's bytes were kept for its thumbnail");
    let t = s.http.get(doc.signed_url(p.id, "thumbnail").await).send().await.expect("thumb");
    assert_eq!(image::load_from_memory(&t.bytes().await.expect("bytes")).expect("decodes").width(), 256);
    let kept = s.stored_objects();
    assert_eq!(kept.len(), 3 + pdf_tiles(1), "{kept:?}");
    let usage = doc.storage().await;

    // A size that does not match what arrives is refused, and the object is abandoned.
    let file = pdf(1, 200_000);
    for (what, size) in [("one byte short", file.len() as u64 + 1), ("one byte over", file.len() as u64 - 1)] {
        let mut u = Upload::new(file.clone(), patient, "lab", what);
        u.size = Some(size);
        let (st, code, message) = error_code(doc.upload_raw(&u, None).await).await;
        assert_eq!((st, code.as_str()), (StatusCode::BAD_REQUEST, "bad_request"), "{what}: {message}");
        assert!(message.contains("announced") && message.contains("Nothing was stored"), "{message}");
    }
    // A size over the limit is refused before any byte is read.
    let mut u = Upload::new(pdf(1, 0), patient, "lab", "Claims to be huge");
    u.size = Some(10 * 1024 * 1024 + 1);
    assert_eq!(error_code(doc.upload_raw(&u, None).await).await.1, "file_too_large");
    // Another clinic's patient: refused like a missing one, and nothing of the file kept.
    let other = s.login("doctor@other.clinic").await.a_patient().await;
    let (st, code, _) =
        error_code(doc.upload_raw(&Upload::new(file.clone(), other, "lab", "x").streamed(), None).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::NOT_FOUND, "not_found"));
    // A signed-out session: refused as unknown (its form is read while the session is looked up).
    let gone = s.login("doctor@demo.clinic").await;
    let r = gone.http.post(gone.url("/api/v1/auth/logout")).bearer_auth(&gone.token).send().await.expect("logout");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = gone.upload_raw(&Upload::new(file.clone(), patient, "lab", "Signed out").streamed(), None).await;
    // Regression: its body is left unread, so the connection must not be reused (a pooled
    // client's next upload on it failed with "connection closed before message completed").
    assert_eq!(r.headers().get("connection").map(|v| v.as_bytes()), Some(&b"close"[..]));
    let (st, code, _) = error_code(r).await;
    assert_eq!((st, code.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    // A text field far longer than any name or note is refused as such, not kept in memory.
    let long = "x".repeat(70 * 1024);
    let (st, code, message) =
        error_code(doc.upload_raw(&Upload::new(file.clone(), patient, "lab", &long).streamed(), None).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::BAD_REQUEST, "bad_request"));
    assert!(message.contains("'title' is longer than 64 KB"), "{message}");
    // A field changed after the file would not match what was checked before storing it.
    let form =
        Session::form(&Upload::new(file.clone(), patient, "lab", "Late field").streamed()).text("title", "Renamed");
    let r =
        doc.http.post(doc.url("/api/v1/documents")).bearer_auth(&doc.token).multipart(form).send().await.expect("post");
    let (st, _, message) = error_code(r).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(message.contains("before the file"), "{message}");
    assert_eq!(s.stored_objects(), kept, "refused uploads left objects behind");
    assert_eq!(doc.storage().await.used_bytes, usage.used_bytes);

    // The same key again: the first document, and no second object.
    let u = Upload::new(pdf(1, 50_000), patient, "lab", "Keyed").streamed();
    let first = doc.upload_raw(&u, Some("stream-key-1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let again = doc.upload_raw(&u, Some("stream-key-1")).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.expect("json");
    assert_eq!(first["document"]["id"], again["document"]["id"]);
    assert_eq!(s.stored_objects().len(), kept.len() + 1 + pdf_tiles(1));
    let usage = doc.storage().await;
    // The same key with another file: refused, and nothing of it stored.
    let other = Upload::new(pdf(1, 60_000), patient, "lab", "Keyed").streamed();
    let (st, code, _) = error_code(doc.upload_raw(&other, Some("stream-key-1")).await).await;
    assert_eq!((st, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict"));
    assert_eq!(s.stored_objects().len(), kept.len() + 1 + pdf_tiles(1));
    assert_eq!(doc.storage().await.used_bytes, usage.used_bytes);
}

pub async fn concurrent_uploads_never_overfill_a_visit(b: Backend) {
    // Eight uploads to an empty visit at once all pass the early check (the visit holds 0 of
    // 5); the commit's conditional update lets exactly five in, and refuses the rest as a full
    // visit, not a full pool.
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let enc = doc.a_visit(patient).await;
    let (objects, usage) = (s.stored_objects().len(), doc.storage().await);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let doc = doc.at(&doc.base);
        let mut u = Upload::new(pdf(1, 20_000 + 1000 * i), patient, "lab", &format!("race {i}"));
        u.encounter_id = Some(enc);
        if i % 2 == 0 {
            u = u.streamed();
        }
        let size = u.bytes.len() as i64;
        tasks.push(tokio::spawn(async move { (error_code(doc.upload_raw(&u, None).await).await, size) }));
    }
    let (mut stored, mut refused, mut stored_bytes) = (0, 0, 0);
    for t in tasks {
        match t.await.expect("task") {
            ((StatusCode::CREATED, _, _), size) => {
                stored += 1;
                stored_bytes += size;
            }
            ((st, code, _), _) => {
                assert_eq!((st, code.as_str()), (StatusCode::CONFLICT, "visit_limit_reached"));
                refused += 1;
            }
        }
    }
    assert_eq!((stored, refused), (5, 3));
    let listed: Value = doc.get(&format!("/api/v1/documents?encounter_id={enc}")).await.json().await.expect("list");
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(s.stored_objects().len(), objects + 5 + pdf_tiles(5), "a refused upload left its object");
    let after = doc.storage().await;
    assert_eq!(after.document_count, usage.document_count + 5);
    assert_eq!(after.used_bytes, usage.used_bytes + stored_bytes, "only the five count");
}

pub async fn concurrent_requests_each_get_their_own_session(b: Backend) {
    // Session lookups of concurrent requests are read together; each must still get its own.
    let s = TestServer::start(b).await;
    let mut users = Vec::new();
    for email in ["admin@demo.clinic", "doctor@demo.clinic", "reception@demo.clinic", "admin@other.clinic"] {
        users.push(s.login(email).await);
    }
    let gone = s.login("billing@demo.clinic").await;
    let r = gone.http.post(gone.url("/api/v1/auth/logout")).bearer_auth(&gone.token).send().await.expect("logout");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (token, email) = match i % 5 {
            4 => (gone.token.clone(), None),
            k => (users[k].token.clone(), Some(users[k].user.email.clone())),
        };
        let (http, url) = (s.http.clone(), format!("{}/api/v1/me", s.url));
        tasks.push(tokio::spawn(async move {
            let r = http.get(url).bearer_auth(token).send().await.expect("me");
            let status = r.status();
            let body: Value = r.json().await.expect("json");
            (email, status, body["user"]["email"].as_str().map(str::to_string))
        }));
    }
    for t in tasks {
        match t.await.expect("task") {
            (Some(email), status, got) => assert_eq!((status, got), (StatusCode::OK, Some(email))),
            (None, status, _) => assert_eq!(status, StatusCode::UNAUTHORIZED, "a signed-out token stays out"),
        }
    }
}

/// One error shape: every refusal — malformed JSON, a missing or unknown field, a wrong content
/// type, a value not accepted, a bad id or query, an unknown path or method — is the API's error
/// body with a readable message, never the framework's plain text; and every answer carries a
/// request id, JSON ones also `no-store` and `nosniff`.
pub async fn every_refusal_is_the_error_body_and_every_answer_carries_its_headers(b: Backend) {
    let s = TestServer::start_with(b, Opts { log: true, ..Default::default() }).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let d = doc.upload(&Upload::new(pdf(1, 0), patient, "lab", "Lipids")).await;
    let login = s.url.clone() + "/api/v1/auth/login";
    let raw = |ct: &'static str, body: &'static str| s.http.post(&login).header("content-type", ct).body(body).send();
    let mut seen = Vec::new();
    let cases: Vec<(&str, reqwest::Response, StatusCode, &str, &str)> = vec![
        ("malformed JSON", raw("application/json", "{not json").await.expect("send"), StatusCode::BAD_REQUEST, "bad_request", "not valid JSON"),
        ("a missing field", raw("application/json", r#"{"email": "a@b"}"#).await.expect("send"), StatusCode::BAD_REQUEST, "bad_request", "The field 'password' is missing."),
        ("an unknown field", raw("application/json", r#"{"email": "a@b", "password": "x", "admin": true}"#).await.expect("send"), StatusCode::BAD_REQUEST, "bad_request", "The field 'admin' is not part of this request."),
        ("a wrong content type", raw("text/plain", r#"{"email": "a@b", "password": "x"}"#).await.expect("send"), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type", "Content-Type: application/json"),
        (
            "a mark of an unknown kind",
            doc.post_json(&format!("/api/v1/documents/{}/annotations", d.id), &json!({"page_number": 1, "kind": "circle", "geometry": {"x": 0.5, "y": 0.5}, "style": {"color": "#ff0000", "width": 0.01}})).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
            "'circle' is not accepted here; use one of: marker, drawing, text, highlight, arrow, measure, angle",
        ),
        ("a bad id", doc.get("/api/v1/documents/not-a-uuid").await, StatusCode::BAD_REQUEST, "bad_request", "An id is not valid"),
        ("a bad query value", doc.get(&format!("/api/v1/documents?patient_id={patient}&sort=sideways")).await, StatusCode::BAD_REQUEST, "bad_request", "'sideways' is not accepted here; use one of: date, name, uploader"),
        ("an unknown query parameter", doc.get(&format!("/api/v1/documents?patient_id={patient}&bogus=1")).await, StatusCode::BAD_REQUEST, "bad_request", "'bogus' is not part of this request"),
        ("an unknown path", doc.get("/api/v1/nothing-here").await, StatusCode::NOT_FOUND, "not_found", "not found"),
        ("a wrong method", doc.delete("/api/v1/me").await, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "does not take that method"),
        (
            "an upload that is not a form",
            doc.http.post(doc.url("/api/v1/documents")).bearer_auth(&doc.token).json(&json!({"file": "x"})).send().await.expect("send"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            "multipart/form-data",
        ),
    ];
    for (what, r, status, code, says) in cases {
        let h = r.headers().clone();
        let id = h.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert!(id.len() >= 16, "{what}: a request id ({h:?})");
        assert_eq!(h.get("content-type").map(|v| v.as_bytes()), Some(&b"application/json"[..]), "{what}");
        assert_eq!(h.get("cache-control").map(|v| v.as_bytes()), Some(&b"no-store"[..]), "{what}");
        assert_eq!(h.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]), "{what}");
        let (st, c, message) = error_code(r).await;
        assert_eq!((st, c.as_str()), (status, code), "{what}: {message}");
        assert!(message.contains(says), "{what}: {message}");
        for internal in ["serde", "Failed to deserialize", "line 1 column", "Json", "axum"] {
            assert!(!message.contains(internal), "{what}: the message names {internal}: {message}");
        }
        seen.push(id);
    }
    // A success carries them too, and every id is the request's own and in the server's log.
    let ok = doc.get("/api/v1/me").await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers().get("cache-control").map(|v| v.as_bytes()), Some(&b"no-store"[..]));
    seen.push(ok.headers()["x-request-id"].to_str().expect("id").to_string());
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), seen.len(), "ids are unique");
    let log = s.server_log();
    for id in &seen {
        assert!(log.contains(id.as_str()), "request {id} is not in the server log");
    }
}

/// Audit bypass: every answer that hands out a document's bytes writes a download event,
/// whatever the `Range` header says — suffix ranges, several ranges, `bytes=00-`, other units.
/// (S3/R2 links go straight to the store: there the audited event is the link's issue, with
/// who and what, and the link lives five minutes.)
pub async fn every_download_is_audited_whatever_its_range(b: Backend) {
    let s = TestServer::start(b.clone()).await;
    let admin = s.login("admin@demo.clinic").await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let d = doc.upload(&Upload::new(pdf(2, 50_000), patient, "lab", "Ranged")).await;
    let events = |action: &'static str| {
        let admin = &admin;
        let id = d.id.to_string();
        async move {
            let v: Value = admin.get("/api/v1/audit?limit=1000").await.json().await.expect("audit");
            v["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|e| e["action"] == action && e["target_id"] == id.as_str())
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    let url = doc.signed_url(d.id, "original").await;
    let issued = events("document_link_issued").await;
    assert!(
        issued.iter().any(|e| e["actor_email"] == "doctor@demo.clinic"
            && e["detail"].as_str().is_some_and(|t| t.starts_with("original until"))),
        "the link's issue names who and what: {issued:?}"
    );
    if b.is_s3() {
        return;
    }
    let ranges = ["bytes=-10", "bytes=00-", "bytes=0-1,5-6", "items=0-5", "bytes=10-20", "bytes=1-"];
    for (n, range) in ranges.iter().enumerate() {
        let r = s.http.get(&url).header("range", *range).send().await.expect("get");
        assert!(r.status().is_success(), "{range}: {}", r.status());
        assert!(!r.bytes().await.expect("bytes").is_empty());
        let got = events("document_downloaded").await;
        assert_eq!(got.len(), n + 1, "the download with {range} is audited");
        assert!(got.iter().any(|e| e["detail"].as_str().is_some_and(|t| t.contains(range))), "{range}: {got:?}");
    }
    // A range outside the file delivers nothing: 416, and no download is recorded.
    let r = s.http.get(&url).header("range", "bytes=999999999-").send().await.expect("get");
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(events("document_downloaded").await.len(), ranges.len());
}

async fn sign_in_as(s: &TestServer, email: &str, password: &str) -> reqwest::Response {
    let req = s.http.post(format!("{}/api/v1/auth/login", s.url)).json(&json!({"email": email, "password": password}));
    req.send().await.expect("login request")
}

/// Password guessing: ten failures for an account pause its sign-ins (429 with Retry-After),
/// each next pause twice as long; an unknown email is answered exactly alike; the real user
/// gets in once the pause is over; the clinic's admin sees the guessing summarised, not a row
/// per guess; the address that guesses many accounts is paused too.
pub async fn password_guessing_is_slowed_without_telling_which_accounts_exist(b: Backend) {
    let env = vec![("CLINICDOCS_SIGNIN_PAUSE_SECS".to_string(), "2".to_string())];
    let s = TestServer::start_with(b, Opts { env, ..Default::default() }).await;
    let burst = |email: &'static str| {
        let s = &s;
        async move {
            let mut answers = Vec::new();
            for _ in 0..10 {
                answers.push(error_code(sign_in_as(s, email, "wrong-guess").await).await);
            }
            let paused = sign_in_as(s, email, "wrong-guess").await;
            let retry: u64 =
                paused.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(0);
            (answers, error_code(paused).await, retry)
        }
    };
    let (real, real_paused, retry) = burst("doctor@demo.clinic").await;
    let (ghost, ghost_paused, ghost_retry) = burst("nobody@demo.clinic").await;
    assert!(
        real.iter().all(|(st, c, _)| (*st, c.as_str()) == (StatusCode::UNAUTHORIZED, "invalid_credentials")),
        "{real:?}"
    );
    assert_eq!(real, ghost, "an unknown account answers like a real one");
    assert_eq!(
        (real_paused.0, real_paused.1.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
        "{real_paused:?}"
    );
    assert_eq!(real_paused, ghost_paused);
    assert_eq!((retry, ghost_retry), (2, 2));
    assert!(real_paused.2.contains("Wait 2 seconds"), "{}", real_paused.2);
    // Even the right password waits out the pause; then it signs in at once.
    assert_eq!(sign_in_as(&s, "doctor@demo.clinic", "demo").await.status(), StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(sign_in_as(&s, "doctor@demo.clinic", "demo").await.status(), StatusCode::OK);
    // The next burst of the guesser at the unknown account pauses it twice as long.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (_, _, second) = burst("nobody@demo.clinic").await;
    assert_eq!(second, 4, "each next pause doubles");
    // The admin sees the guessing at the real account, summarised: the burst's first failure
    // and one row when it paused the account. Nothing of the unknown account.
    let admin = s.login("admin@demo.clinic").await;
    let v: Value = admin.get("/api/v1/audit?action=sign_in_failed&limit=100").await.json().await.expect("audit");
    let rows = v["items"].as_array().expect("items");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|e| e["actor_email"] == "doctor@demo.clinic"));
    assert!(rows.iter().any(|e| e["detail"].as_str().is_some_and(|d| d.contains("paused for 2 s"))), "{rows:?}");
    // One address guessing across many accounts is paused as well, for every account.
    for i in 0..40 {
        let _ = sign_in_as(&s, &format!("guess{i}@demo.clinic"), "x").await;
    }
    let r = sign_in_as(&s, "reception@demo.clinic", "demo").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "50 failures from one address pause it");
}

/// Behind a reverse proxy (named in `CLINICDOCS_TRUSTED_PROXIES`) each client is paused and
/// audited by its own address, taken from `X-Forwarded-For` as the proxy wrote it: a guesser
/// is paused without pausing the rest of the clinic, and what a client writes into the header
/// itself changes nothing. Without a trusted proxy the header is ignored altogether.
pub async fn behind_a_trusted_proxy_each_client_is_paused_and_audited_by_its_own_address(b: Backend) {
    let sign_in_via = |s: &TestServer, forwarded: &str, email: &str, password: &str| {
        let req = s
            .http
            .post(format!("{}/api/v1/auth/login", s.url))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"email": email, "password": password}));
        async move { req.send().await.expect("login request").status() }
    };
    let env = vec![("CLINICDOCS_TRUSTED_PROXIES".to_string(), "127.0.0.1,::1".to_string())];
    let s = TestServer::start_with(b.clone(), Opts { env, ..Default::default() }).await;
    // The guesser forges a new leftmost address each time; the proxy appends the real one.
    for i in 0..50 {
        let status = sign_in_via(&s, &format!("10.9.{i}.1, 203.0.113.7"), &format!("guess{i}@demo.clinic"), "x").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    assert_eq!(
        sign_in_via(&s, "203.0.113.7", "reception@demo.clinic", "demo").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser's own address is paused, whatever it wrote before it"
    );
    assert_eq!(
        sign_in_via(&s, "198.51.100.2", "admin@demo.clinic", "demo").await,
        StatusCode::OK,
        "the clinic's other computers behind the same proxy still sign in"
    );
    let admin = s.login("admin@demo.clinic").await;
    let v: Value = admin.get("/api/v1/audit?action=sign_in_succeeded&limit=100").await.json().await.expect("audit");
    let addrs: Vec<&str> =
        v["items"].as_array().expect("items").iter().filter_map(|e| e["remote_addr"].as_str()).collect();
    assert!(addrs.contains(&"198.51.100.2"), "the audit log names the client, not the proxy: {addrs:?}");

    // Without a trusted proxy the header is the client's word and is ignored: rotating it does
    // not escape the pause, and the audit log names the connection's address.
    let plain = TestServer::start(b).await;
    for i in 0..50 {
        let _ = sign_in_via(&plain, &format!("203.0.113.{i}"), &format!("guess{i}@demo.clinic"), "x").await;
    }
    assert_eq!(
        sign_in_via(&plain, "198.51.100.2", "reception@demo.clinic", "demo").await,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged X-Forwarded-For does not make a new address"
    );
}

/// Floods stay cheap: 300 sign-ins at once with random emails keep memory bounded (password
/// checks run two at a time) and `/healthz` answering; hundreds of forged 30 KB links and
/// sign-ins with megabyte-long emails write (next to) nothing into the database.
pub async fn anonymous_floods_keep_memory_and_the_database_small(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let d = doc.upload(&Upload::new(pdf(1, 0), patient, "lab", "Target")).await;
    let before_rss = s.peak_rss();
    let flood: Vec<_> = (0..300)
        .map(|i| {
            let req = s.http.post(format!("{}/api/v1/auth/login", s.url));
            req.json(&json!({"email": format!("{}@x.example", Uuid::new_v4()), "password": format!("p{i}")})).send()
        })
        .collect();
    let health = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let r =
            tokio::time::timeout(std::time::Duration::from_secs(10), s.http.get(format!("{}/healthz", s.url)).send())
                .await;
        r.expect("/healthz answers during the flood").expect("healthz").status()
    };
    let (answers, health) = tokio::join!(futures::future::join_all(flood), health);
    assert_eq!(health, StatusCode::OK);
    for r in answers {
        let st = r.expect("sign-in answered").status();
        assert!(matches!(st, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS), "{st}");
    }
    let grew = s.peak_rss().saturating_sub(before_rss);
    assert!(grew < 300 << 20, "peak memory grew by {} MB for 300 sign-ins at once", grew >> 20);

    let size_before = s.database_bytes().await;
    let base = s.url.clone();
    let junk = "a".repeat(30 * 1024);
    for i in 0..300 {
        let org = d.org_id;
        let r = s
            .http
            .get(format!("{base}/files/{org}/{junk}{i}.pdf?expires=9999999999&sig=00"))
            .send()
            .await
            .expect("get");
        assert!(matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status());
    }
    let long = "e".repeat(1 << 20);
    for _ in 0..100 {
        // Refused unread: the client sees the 413, or, still sending, the connection closed.
        let req = s
            .http
            .post(format!("{}/api/v1/auth/login", s.url))
            .json(&json!({"email": format!("{long}@demo.clinic"), "password": "x"}));
        match req.send().await {
            Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "a megabyte-long email is refused unread"),
            Err(e) => assert!(e.is_request() && !e.is_connect(), "refused while sending, not unreachable: {e}"),
        }
    }
    let grew = s.database_bytes().await.saturating_sub(size_before);
    assert!(grew < 2 << 20, "anonymous junk grew the database by {grew} bytes");
}

/// Memory bombs: a batch of 25 files of 8 MB is spilled to disk as it arrives, not held in
/// memory whole; six uploads at once of an image at the pixel budget (100 megapixels) are
/// decoded a couple at a time, so the server's memory stays well under 2 GB.
pub async fn big_batches_and_parallel_image_decodes_keep_memory_bounded(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    doc.upload(&Upload::new(pdf(1, 1 << 20), patient, "lab", "warm-up")).await;
    let before = s.peak_rss();
    let items: Vec<Upload> =
        (0..25).map(|i| Upload::new(pdf(1, 8 << 20), patient, "lab", &format!("Chart page {i}"))).collect();
    let r = doc.batch(&items).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let grew = s.peak_rss().saturating_sub(before);
    assert!(grew < 100 << 20, "peak memory grew by {} MB for a 200 MB batch", grew >> 20);

    let big = png_solid(10_000, 10_000);
    assert!(big.len() < 10 << 20, "the image fits the file limit ({} bytes)", big.len());
    let before = s.peak_rss();
    let forms: Vec<Upload> =
        (0..6).map(|i| Upload::new(big.clone(), patient, "photo", &format!("Wound {i}"))).collect();
    let uploads: Vec<_> = forms.iter().map(|u| doc.upload_raw(u, None)).collect();
    for r in futures::future::join_all(uploads).await {
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let grew = s.peak_rss().saturating_sub(before);
    assert!(grew < 1500 << 20, "peak memory grew by {} MB for six 100-megapixel decodes", grew >> 20);
}

/// No confirmed upload may lose its bytes: when the database connection drops after the commit
/// was sent (the server cannot tell whether it committed), the stored object is not deleted;
/// the client's retry with the same Idempotency-Key answers the document, and it downloads
/// byte for byte.
pub async fn an_upload_whose_commit_answer_was_lost_keeps_its_bytes(b: Backend) {
    let s = TestServer::start_with(b, Opts { cut_after_commit: true, ..Default::default() }).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let bytes = pdf(2, 300_000);
    let form = Upload::new(bytes.clone(), patient, "lab", "Lost answer");
    let first = doc.upload_raw(&form, Some("k-lost-answer")).await;
    let first_status = first.status();
    let again = doc.upload_raw(&form, Some("k-lost-answer")).await;
    let status = again.status();
    let v: Value = again.json().await.expect("answer");
    assert!(status == StatusCode::OK || status == StatusCode::CREATED, "retry after {first_status}: {status} {v}");
    let id: Uuid = serde_json::from_value(v["document"]["id"].clone()).expect("document id");
    let url = doc.signed_url(id, "original").await;
    let got = s.http.get(&url).send().await.expect("download");
    assert_eq!(got.status(), StatusCode::OK, "the committed document's bytes are there");
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
    let listed: DocumentPage =
        doc.get(&format!("/api/v1/documents?patient_id={patient}")).await.json().await.expect("list");
    assert_eq!(listed.items.iter().filter(|d| d.title == "Lost answer").count(), 1, "stored once");
}

/// `orphans --delete` never removes an object younger than its grace period (an hour by
/// default), so it cannot race uploads and batches being stored: run over and over while a
/// 50-file batch is stored, it leaves every document downloadable. An old stray is removed.
pub async fn orphan_removal_never_races_a_batch_being_stored(b: Backend) {
    let s = TestServer::start(b.clone()).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let orphans = || s.run_subcommand(&["orphans", "--delete"]);
    let items: Vec<Upload> =
        (0..50).map(|i| Upload::new(pdf(1, 200_000 + i), patient, "lab", &format!("Page {i}"))).collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    let batch = async {
        let r = doc.batch(&items).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        r
    };
    let sweeps = async {
        let mut runs = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            let (ok, out) = orphans().await;
            assert!(ok, "{out}");
            runs += 1;
        }
        runs
    };
    let (r, runs) = tokio::join!(batch, sweeps);
    assert!(runs > 0, "the scan ran while the batch was stored");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.expect("batch");
    for f in v["files"].as_array().expect("files") {
        let id: Uuid = serde_json::from_value(f["document"]["id"].clone()).expect("id");
        let got = s.http.get(doc.signed_url(id, "original").await).send().await.expect("get");
        assert_eq!(got.status(), StatusCode::OK, "{} lost its bytes to the orphan scan", f["title"]);
    }
    if b.is_s3() {
        return;
    }
    // On the local store an object's age can be set: an old stray goes, a fresh one stays.
    let dir = s.objects_dir.join(doc.user.org_id.to_string()).join("stray");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let (old, fresh) = (dir.join("old.pdf"), dir.join("fresh.pdf"));
    std::fs::write(&old, pdf(1, 0)).expect("old");
    std::fs::write(&fresh, pdf(1, 0)).expect("fresh");
    let touched = std::process::Command::new("touch").args(["-d", "2 hours ago"]).arg(&old).status().expect("touch");
    assert!(touched.success());
    let (_, report) = orphans().await;
    assert!(!old.exists(), "the two-hour-old stray is removed: {report}");
    assert!(fresh.exists(), "the fresh one is kept: {report}");
    assert!(report.contains("younger than"), "{report}");
}

/// The audit log holds against whoever can reach the database. On PostgreSQL the server's own
/// role may only add and read audit rows (migrations run as the owner role): deleting,
/// changing, truncating, or switching off or dropping the append-only trigger is refused. On
/// SQLite whoever can write the file can change it, so every row is sealed into a hash chain
/// as it is written, and `audit verify` names the first row changed, removed or slipped in.
pub async fn the_audit_log_cannot_be_rewritten_unnoticed(b: Backend) {
    let s = TestServer::start(b.clone()).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    // Events written at the same moment still form one chain.
    let uploads: Vec<Upload> =
        (0..6).map(|i| Upload::new(pdf(1, 1000 + i), patient, "lab", &format!("Chained {i}"))).collect();
    let (_, sessions) = tokio::join!(
        futures::future::join_all(uploads.iter().map(|u| doc.upload(u))),
        futures::future::join_all((0..6).map(|_| s.login("reception@demo.clinic")))
    );
    assert_eq!(sessions.len(), 6);
    let (ok, out) = s.run_subcommand(&["audit", "verify"]).await;
    assert!(ok, "{out}");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.database_url).await.expect("connect db");
    if b.is_s3() {
        assert!(out.contains("may only add and read audit rows"), "{out}");
        for sql in [
            "DELETE FROM audit_events",
            "UPDATE audit_events SET detail = 'edited'",
            "TRUNCATE audit_events",
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update",
            "ALTER TABLE audit_events DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_events_no_update ON audit_events",
            "DROP TABLE audit_events CASCADE",
        ] {
            assert!(sqlx::query(sql).execute(&pool).await.is_err(), "the server's role could run {sql}");
        }
        let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events").fetch_one(&pool).await.expect("n");
        assert!(events >= 13, "every event is still there: {events}");
        return;
    }
    assert!(out.contains("audit log intact"), "{out}");
    let head = out.lines().find_map(|l| l.strip_prefix("head ")).expect("the head is printed").to_string();
    let head_event: i64 = head.split(':').next().and_then(|id| id.parse().ok()).expect("head EVENT:HASH");
    let (ok, out) = s.run_subcommand(&["audit", "verify", "--expect", &head]).await;
    assert!(ok && out.contains("passes through the seal noted"), "{out}");
    // Someone with the file lifts the triggers and edits it behind the server's back. Each
    // edit is earlier in the log than the one before, so each is the first broken link.
    for sql in ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"] {
        sqlx::query(sql).execute(&pool).await.expect("lift trigger");
    }
    let ids: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM audit_events ORDER BY id").fetch_all(&pool).await.expect("ids");
    let (first, middle) = (ids[0].0, ids[ids.len() / 2].0);
    let broken_at = |id: i64| {
        let s = &s;
        async move {
            let (ok, out) = s.run_subcommand(&["audit", "verify"]).await;
            assert!(!ok, "verify must fail: {out}");
            assert!(out.contains(&format!("broken at event {id}:")), "expected event {id}: {out}");
        }
    };
    let forged: (i64,) = sqlx::query_as(
        "INSERT INTO audit_events (org_id, at, action, target_type, detail) \
         SELECT org_id, at, 'document_downloaded', 'document', 'slipped in' FROM audit_events ORDER BY id DESC LIMIT 1 \
         RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .expect("forge");
    broken_at(forged.0).await;
    sqlx::query("DELETE FROM audit_events WHERE id = $1").bind(middle).execute(&pool).await.expect("delete");
    broken_at(middle).await;
    sqlx::query("UPDATE audit_events SET actor_email = 'someone@else.example' WHERE id = $1")
        .bind(first)
        .execute(&pool)
        .await
        .expect("edit");
    broken_at(first).await;
    // Wiping the log and its seals leaves nothing to check, but not the seal noted earlier.
    for sql in ["DROP TRIGGER audit_seals_no_delete", "DELETE FROM audit_seals", "DELETE FROM audit_events"] {
        sqlx::query(sql).execute(&pool).await.expect("wipe");
    }
    let (ok, out) = s.run_subcommand(&["audit", "verify", "--expect", &head]).await;
    assert!(!ok && out.contains(&format!("broken at event {head_event}:")), "{out}");
}

/// Reads from a raw connection until the server answers or closes it: what it sent, and after
/// how long. `None` if neither happened within `limit`.
async fn read_until_closed(c: &mut tokio::net::TcpStream, limit: Duration) -> Option<(String, Duration)> {
    use tokio::io::AsyncReadExt;
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), c.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((String::from_utf8_lossy(&got).into_owned(), start.elapsed())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A connection to the server from a loopback address of the test's choosing.
async fn connect_from(from: &str, to: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(format!("{from}:0").parse().expect("from")).expect("bind");
    socket.connect(to.parse().expect("to")).await.expect("connect")
}

/// A client that opens a connection and sends nothing, or half its headers, or half an
/// upload, is cut off once it has been silent for the idle limit; the stalled upload stores
/// nothing. One address cannot hold more than its share of connections: the next is answered
/// `503` at once, while clients at other addresses are served as usual.
pub async fn slow_clients_are_cut_off_and_cannot_crowd_out_others(b: Backend) {
    use tokio::io::AsyncWriteExt;
    let idle = Duration::from_secs(3);
    let opts = Opts {
        env: vec![
            ("CLINICDOCS_CLIENT_IDLE_SECS".into(), idle.as_secs().to_string()),
            ("CLINICDOCS_MAX_CONNECTIONS_PER_ADDRESS".into(), "8".into()),
        ],
        ..Opts::default()
    };
    let s = TestServer::start_with(b, opts).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let limit = idle * 4;
    // Nothing at all, and half a request's headers.
    let mut silent = tokio::net::TcpStream::connect(s.addr()).await.expect("connect");
    let mut half_head = tokio::net::TcpStream::connect(s.addr()).await.expect("connect");
    half_head.write_all(b"GET /healthz HTTP/1.1\r\nHost: clinic\r\n").await.expect("write");
    // Half an upload.
    let u = Upload::new(pdf(1, 400_000), patient, "lab", "Stalled upload");
    let (head, body) = doc.raw_upload(&u);
    let mut stalled = tokio::net::TcpStream::connect(s.addr()).await.expect("connect");
    stalled.write_all(&head).await.expect("head");
    stalled.write_all(&body[..body.len() / 2]).await.expect("half the body");
    let (silent, half_head, stalled) = tokio::join!(
        read_until_closed(&mut silent, limit),
        read_until_closed(&mut half_head, limit),
        read_until_closed(&mut stalled, limit)
    );
    for (what, r) in
        [("a silent connection", &silent), ("half a request head", &half_head), ("half an upload", &stalled)]
    {
        let (_, after) = r.as_ref().unwrap_or_else(|| panic!("{what} was never cut off"));
        assert!(*after >= idle - Duration::from_millis(500), "{what} cut off too early, after {after:?}");
    }
    let (answer, _) = stalled.expect("stalled");
    assert!(answer.is_empty() || !answer.starts_with("HTTP/1.1 2"), "a stalled upload is not accepted: {answer}");
    let stalled_docs = || async {
        let listed: Value =
            doc.get(&format!("/api/v1/documents?patient_id={patient}")).await.json().await.expect("list");
        let items = listed["items"].as_array().expect("items").clone();
        items.iter().filter(|d| d["title"] == "Stalled upload").count()
    };
    assert_eq!(stalled_docs().await, 0, "the stalled upload stored nothing");
    let spool: Vec<_> = std::fs::read_dir(s.data_dir.path().join("spool")).expect("spool").collect();
    assert!(spool.is_empty(), "nothing left in the spool: {spool:?}");
    doc.upload(&u).await;
    assert_eq!(stalled_docs().await, 1, "sent again in one go, it is stored");

    // Eight connections from one address; the ninth is refused at once, others are served.
    let mut crowd = Vec::new();
    for _ in 0..8 {
        crowd.push(connect_from("127.0.0.2", &s.addr()).await);
    }
    let mut ninth = connect_from("127.0.0.2", &s.addr()).await;
    let (refusal, after) = read_until_closed(&mut ninth, idle).await.expect("the ninth is answered");
    assert!(refusal.starts_with("HTTP/1.1 503"), "{refusal}");
    assert!(refusal.contains("too_many_connections") && refusal.to_lowercase().contains("retry-after"), "{refusal}");
    assert!(after < idle, "refused at once, not after the idle limit: {after:?}");
    let health = s.http.get(format!("{}/healthz", s.url)).send().await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK, "another address is served while one is at its limit");
    drop(crowd);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect_from("127.0.0.2", &s.addr()).await;
    again.write_all(b"GET /healthz HTTP/1.1\r\nHost: clinic\r\nConnection: close\r\n\r\n").await.expect("write");
    let (answer, _) = read_until_closed(&mut again, limit).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "closed connections free their slots: {answer}");
}

/// A client that asks for a download and then reads nothing is cut off once the server could
/// write nothing for the idle limit (its connection and buffers are freed); and all addresses
/// together hold at most the server's total of connections: past it, a new one is answered
/// `503` at once, and a closed one frees its place.
pub async fn a_client_that_stops_reading_is_cut_off_and_connections_are_capped_in_all(b: Backend) {
    use tokio::io::AsyncWriteExt;
    let idle = Duration::from_secs(2);
    let total = 16;
    let opts = Opts {
        env: vec![
            ("CLINICDOCS_CLIENT_IDLE_SECS".into(), idle.as_secs().to_string()),
            ("CLINICDOCS_MAX_CONNECTIONS".into(), total.to_string()),
        ],
        ..Opts::default()
    };
    let s = TestServer::start_with(b, opts).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let bytes = pdf(1, 9_000_000);
    let d = doc.upload(&Upload::new(bytes.clone(), patient, "lab", "Large scan")).await;
    let url = doc.signed_url(d.id, "original").await;
    // Through the server's own links (S3 and R2 links go to the store, not to this server).
    if let Some(path) = url.strip_prefix(&s.url) {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("a small receive buffer");
        let mut c = socket.connect(s.addr().parse().expect("addr")).await.expect("connect");
        c.write_all(format!("GET {path} HTTP/1.1\r\nHost: clinic\r\n\r\n").as_bytes()).await.expect("ask");
        tokio::time::sleep(idle * 3).await;
        let (got, _) = read_until_closed(&mut c, idle * 5).await.expect("the server closed the connection");
        assert!(got.starts_with("HTTP/1.1 200"), "{}", &got[..got.len().min(200)]);
        assert!(got.len() < bytes.len(), "cut off before the whole file: {} of {} bytes", got.len(), bytes.len());
        // The same file to a client that reads arrives whole.
        let whole = s.http.get(&url).send().await.expect("get").bytes().await.expect("bytes");
        assert_eq!(whole.len(), bytes.len());
    }

    // One connection from each of many addresses, opened at once (well within the idle limit,
    // which would close them): past the total, each is refused at once.
    let mut crowd = Vec::new();
    for n in 10..(10 + total + 4) {
        crowd.push(connect_from(&format!("127.0.0.{n}"), &s.addr()).await);
    }
    let answers =
        futures::future::join_all(crowd.iter_mut().map(|c| read_until_closed(c, Duration::from_millis(500)))).await;
    let mut refused = 0;
    for (i, a) in answers.iter().enumerate() {
        if let Some((answer, _)) = a {
            assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("too_many_connections"), "{answer}");
            assert!(i + 1 > total - 4, "refused only once the server is full: connection {}", i + 1);
            refused += 1;
        }
    }
    assert!((4..=8).contains(&refused), "the connections past the total of {total} are refused: {refused}");
    drop(crowd);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = s.http.get(format!("{}/healthz", s.url)).send().await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK, "closed connections free their places");
}

/// Stopping the server (SIGTERM, as a service manager does) while an upload is arriving: new
/// connections are refused at once, the upload in flight completes and is stored, then the
/// server exits cleanly.
pub async fn shutdown_lets_an_upload_in_flight_finish(b: Backend) {
    use tokio::io::AsyncWriteExt;
    let mut s = TestServer::start(b).await;
    let doc = s.login("doctor@demo.clinic").await;
    let patient = doc.a_patient().await;
    let bytes = pdf(1, 600_000);
    let u = Upload::new(bytes.clone(), patient, "lab", "Sent while stopping");
    let (head, body) = doc.raw_upload(&u);
    let mut c = tokio::net::TcpStream::connect(s.addr()).await.expect("connect");
    c.write_all(&head).await.expect("head");
    c.write_all(&body[..body.len() / 3]).await.expect("a third");
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.terminate();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(tokio::net::TcpStream::connect(s.addr()).await.is_err(), "a stopping server takes no new connections");
    c.write_all(&body[body.len() / 3..]).await.expect("the rest");
    let (answer, _) = read_until_closed(&mut c, Duration::from_secs(20)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 201"), "the upload in flight completes: {answer}");
    let status = s.exit_status(Duration::from_secs(20)).await.expect("the server exits once it is done");
    assert!(status.success(), "{status:?}");
    let json = &answer[answer.find("\r\n\r\n").expect("body") + 4..];
    let v: Value = serde_json::from_str(json).expect("json");
    assert_eq!(v["document"]["sha256"], sha256(&bytes), "{v}");
    // Its bytes are in the store, under its id.
    let id = v["document"]["id"].as_str().expect("id");
    assert!(s.stored_objects().iter().any(|k| k.contains(id)), "stored: {:?}", s.stored_objects());
}
