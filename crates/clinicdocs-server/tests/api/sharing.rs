//! Sharing with an external contact or the patient, end to end over a real SMTP server on
//! loopback: the email arrives, its link opens the portal, the documents download byte for
//! byte, and the link expires, survives, dies on revoke and on resend as the rules say.

use crate::fixtures::*;
use crate::harness::*;
use clinicdocs_core::api::{Contact, Share, ShareState};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const DAY: i64 = 24 * 3600;

async fn sharing_server(b: Backend) -> TestServer {
    TestServer::start_with(b, Opts { mail: true, movable_clock: true, log: true, ..Default::default() }).await
}

async fn contact(sess: &Session, name: &str, email: &str) -> Contact {
    let r = sess
        .post_json("/api/v1/contacts", &json!({"name": name, "organisation": "Riverside Orthopaedics", "email": email}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.expect("contact")
}

async fn share(sess: &Session, body: &Value) -> Share {
    let r = sess.post_json("/api/v1/shares", body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("share")
}

async fn shares_of(sess: &Session, query: &str) -> Vec<Share> {
    let r = sess.get(&format!("/api/v1/shares?{query}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("shares")
}

/// The link in the `n`th email (1-based), and its token.
fn nth_link(s: &TestServer, n: usize) -> (String, String) {
    let mail = s.mail.as_ref().expect("mail");
    let msgs = mail.messages();
    assert!(msgs.len() >= n, "expected {n} emails, got {}", msgs.len());
    let link = msgs[n - 1].link();
    let token = link.rsplit('/').next().expect("token").to_string();
    (link, token)
}

async fn get(s: &TestServer, url: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = s.http.get(url).send().await.expect("get");
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.bytes().await.expect("bytes").to_vec())
}

async fn audit_count(admin: &Session, action: &str) -> usize {
    let page: Value = admin.get(&format!("/api/v1/audit?action={action}&limit=500")).await.json().await.expect("audit");
    page["items"].as_array().expect("items").len()
}

pub async fn a_contact_receives_the_link_by_email_and_opens_views_and_downloads_the_documents(b: Backend) {
    let s = sharing_server(b).await;
    let doctor = s.login("doctor@demo.clinic").await;
    let admin = s.login("admin@demo.clinic").await;
    let patient = doctor.a_patient().await;
    let xray_bytes = jpeg(900, 600);
    let pdf_bytes = pdf(2, 0);
    let bmp_bytes = bmp(320, 200);
    let xray = doctor.upload(&Upload::new(xray_bytes.clone(), patient, "imaging", "Knee X-ray")).await;
    let letter = doctor.upload(&Upload::new(pdf_bytes.clone(), patient, "referral", "Referral <letter>")).await;
    let scan = doctor.upload(&Upload::new(bmp_bytes.clone(), patient, "lab", "Scanned lab sheet")).await;
    let lee = contact(&doctor, "Dr. Lee", "Lee@Ortho.Example").await;
    assert_eq!(lee.email, "lee@ortho.example");

    let answer = doctor
        .post_json("/api/v1/shares", &json!({"document_ids": [xray.id, letter.id, scan.id], "contact_id": lee.id}))
        .await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let answer_text = answer.text().await.expect("body");
    let made: Share = serde_json::from_str(&answer_text).expect("share");
    assert_eq!(made.state, ShareState::Waiting);
    assert_eq!(made.recipient_email, "lee@ortho.example");
    assert_eq!(made.documents.iter().map(|d| d.id).collect::<Vec<_>>(), vec![xray.id, letter.id, scan.id]);
    assert!(made.expires_unused_at > made.created_at + chrono::Duration::hours(23));

    // The email: to Dr. Lee, in the clinic's name, with the link and no patient or document name.
    let mail = s.mail.as_ref().expect("mail");
    let msgs = mail.messages();
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m.envelope_to, vec!["lee@ortho.example".to_string()]);
    assert!(m.to.contains("Dr. Lee") && m.from.contains("Demo Family Clinic"), "{m:?}");
    assert!(m.subject.contains("Demo Family Clinic") && m.subject.contains("3 documents"), "{}", m.subject);
    let (link, token) = nth_link(&s, 1);
    assert!(link.starts_with(&format!("{}/share/", s.url)), "{link}");
    assert_eq!(token.len(), 43, "256 random bits, URL-safe");
    assert!(m.html.as_deref().is_some_and(|h| h.contains(&link)));
    let raw = mail.raw();
    for private in ["Knee X-ray", "Referral", &doctor.patients("").await[0].name] {
        assert!(!raw.contains(private), "the email names {private:?}");
    }
    // The token is in the email and nowhere else: not in the answer, not in the server's log.
    assert!(!answer_text.contains(&token));
    assert!(!shares_of(&doctor, "")
        .await
        .iter()
        .any(|s| serde_json::to_string(s).unwrap_or_default().contains(&token)));

    // The portal page: the clinic, the sender, each document, and the portal's headers.
    let (status, headers, body) = get(&s, &link).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body).expect("html");
    assert!(page.contains("Demo Family Clinic") && page.contains("Dr. Dana Doctor shared 3 documents"), "{page}");
    assert!(page.contains("Knee X-ray") && page.contains("Referral &lt;letter&gt;") && !page.contains("<letter>"));
    let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"),
        "{csp}"
    );
    for (h, v) in [("x-frame-options", "DENY"), ("referrer-policy", "no-referrer"), ("cache-control", "no-store")] {
        assert_eq!(headers.get(h).and_then(|x| x.to_str().ok()), Some(v), "{h}");
    }
    assert!(!page.contains("<script"), "the portal needs no script");

    // Every document downloads byte for byte; pictures show inline and come as a PDF too.
    let base = format!("{}/share/{token}/documents", s.url);
    for (d, bytes) in [(&xray, &xray_bytes), (&letter, &pdf_bytes), (&scan, &bmp_bytes)] {
        let href = format!("/share/{token}/documents/{}/original", d.id);
        assert!(page.contains(&href), "the page links {href}");
        let (status, headers, got) = get(&s, &format!("{base}/{}/original", d.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&got, bytes, "{} downloads byte for byte", d.title);
        let disposition = headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(disposition.starts_with("attachment"), "{disposition}");
    }
    let (status, headers, shown) = get(&s, &format!("{base}/{}/view", xray.id)).await;
    assert_eq!(
        (status, headers.get("content-type").and_then(|v| v.to_str().ok())),
        (StatusCode::OK, Some("image/jpeg"))
    );
    assert_eq!(shown, xray_bytes, "a JPEG is shown as it is");
    let (status, headers, drawn) = get(&s, &format!("{base}/{}/view", scan.id)).await;
    assert_eq!(
        (status, headers.get("content-type").and_then(|v| v.to_str().ok())),
        (StatusCode::OK, Some("image/jpeg"))
    );
    let img = image::load_from_memory(&drawn).expect("the BMP drawn as a JPEG");
    assert_eq!((img.width(), img.height()), (320, 200));
    let (status, headers, as_pdf) = get(&s, &format!("{base}/{}/pdf", xray.id)).await;
    assert_eq!(
        (status, headers.get("content-type").and_then(|v| v.to_str().ok())),
        (StatusCode::OK, Some("application/pdf"))
    );
    let file = s.data_dir.path().join("xray.pdf");
    std::fs::write(&file, &as_pdf).expect("write pdf");
    if let Ok(out) = std::process::Command::new("qpdf").arg("--check").arg(&file).output() {
        assert!(out.status.success(), "qpdf --check: {}", String::from_utf8_lossy(&out.stdout));
    }
    let (status, headers, pdf_view) = get(&s, &format!("{base}/{}/view", letter.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert_eq!(pdf_view, pdf_bytes);
    // Where the server draws PDFs, the page shows each page as a picture, linked in order.
    let mut drawn_pages = 0;
    if pdf_engine_or_skip() {
        for n in 1..=2 {
            assert!(page.contains(&format!("/share/{token}/documents/{}/page-{n}\"", letter.id)), "page {n} linked");
            let (status, headers, jpeg) = get(&s, &format!("{base}/{}/page-{n}", letter.id)).await;
            assert_eq!(
                (status, headers.get("content-type").and_then(|v| v.to_str().ok())),
                (StatusCode::OK, Some("image/jpeg")),
                "page {n}"
            );
            let shown = image::load_from_memory(&jpeg).expect("the page drawn as a JPEG");
            assert_eq!(shown.width(), 1240, "page {n} drawn 1240 px wide");
            drawn_pages += 1;
        }
        // No page 0, none past the last, no leading zeros, and no pages of a picture.
        for bad in [format!("{}/page-0", letter.id), format!("{}/page-3", letter.id), format!("{}/page-01", letter.id)]
            .into_iter()
            .chain([format!("{}/page-1", xray.id)])
        {
            assert_eq!(get(&s, &format!("{base}/{bad}")).await.0, StatusCode::NOT_FOUND, "{bad}");
        }
    }
    assert!(!s.server_log().contains(&token), "the token reached the server's log");

    // The clinic sees it opened; the audit trail has each step, each delivery.
    let listed = shares_of(&doctor, &format!("document_id={}", xray.id)).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, ShareState::Opened);
    assert!(listed[0].opened_at.is_some());
    assert_eq!(shares_of(&doctor, &format!("patient_id={patient}")).await.len(), 1);
    for (action, n) in
        [("share_created", 1), ("share_email_sent", 1), ("share_opened", 1), ("share_downloaded", 7 + drawn_pages)]
    {
        assert_eq!(audit_count(&admin, action).await, n, "{action}");
    }
    if drawn_pages > 0 {
        let delivered: Value =
            admin.get("/api/v1/audit?action=share_downloaded&limit=50").await.json().await.expect("audit");
        let details: Vec<&str> =
            delivered["items"].as_array().expect("items").iter().filter_map(|e| e["detail"].as_str()).collect();
        assert!(details.iter().any(|d| d.contains("page 2")), "each drawn page is audited as such: {details:?}");
    }
    let opened: Value = admin.get("/api/v1/audit?action=share_opened").await.json().await.expect("audit");
    let ev = &opened["items"][0];
    assert!(ev["detail"].as_str().is_some_and(|d| d.contains("lee@ortho.example")), "{ev}");
    assert!(ev["summary"].as_str().is_some_and(|t| t.starts_with("The recipient opened documents of ")), "{ev}");

    // Opened once, it keeps working: a month later it still opens.
    s.advance_clock(30 * DAY);
    assert_eq!(get(&s, &link).await.0, StatusCode::OK);
    let (doctor, admin) = (s.login("doctor@demo.clinic").await, s.login("admin@demo.clinic").await);

    // Revoked, it stops at once — the page and every document — answered like a wrong link.
    assert_eq!(doctor.delete(&format!("/api/v1/shares/{}", made.id)).await.status(), StatusCode::NO_CONTENT);
    let (status, _, revoked) = get(&s, &link).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, wrong) = get(&s, &format!("{}/share/{}", s.url, "A".repeat(43))).await;
    assert_eq!(revoked, wrong, "a revoked link answers exactly like one that never existed");
    assert_eq!(get(&s, &format!("{base}/{}/original", xray.id)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(shares_of(&doctor, "").await[0].state, ShareState::Revoked);
    assert_eq!(audit_count(&admin, "share_revoked").await, 1);
}

pub async fn an_unopened_link_expires_after_a_day_and_a_resend_replaces_it(b: Backend) {
    let s = sharing_server(b).await;
    let doctor = s.login("doctor@demo.clinic").await;
    let patient = doctor.a_patient().await;
    let d = doctor.upload(&Upload::new(jpeg(200, 100), patient, "imaging", "Hand X-ray")).await;
    let lee = contact(&doctor, "Dr. Lee", "lee@ortho.example").await;
    let first = share(&doctor, &json!({"document_ids": [d.id], "contact_id": lee.id})).await;
    let (old_link, _) = nth_link(&s, 1);

    // A day and a second later, unopened: expired, and the page says what to do.
    s.advance_clock(DAY + 1);
    let (status, _, body) = get(&s, &old_link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(String::from_utf8_lossy(&body).contains("This link has expired — ask the clinic to send it again"));
    let doctor = s.login("doctor@demo.clinic").await;
    assert_eq!(shares_of(&doctor, "").await[0].state, ShareState::Expired);

    // The address was mistyped: corrected in the contact, the resend goes to the new one
    // (regression: it went to the address of the first email).
    let r =
        doctor.patch_json(&format!("/api/v1/contacts/{}", lee.id), &json!({"email": "lee@riverside.example"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Resend: a new email with a new link; the old one is dead, the new one opens.
    let r = doctor.post_json(&format!("/api/v1/shares/{}/resend", first.id), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let again: Share = r.json().await.expect("share");
    assert_eq!((again.id, again.state), (first.id, ShareState::Waiting));
    assert_eq!(again.recipient_email, "lee@riverside.example");
    assert_eq!(s.mail.as_ref().expect("mail").messages()[1].envelope_to, vec!["lee@riverside.example".to_string()]);
    let (new_link, _) = nth_link(&s, 2);
    assert_ne!(new_link, old_link);
    assert_eq!(get(&s, &old_link).await.0, StatusCode::NOT_FOUND);

    // Opened just before its day is up, it then outlives the day.
    s.advance_clock(DAY - 60);
    assert_eq!(get(&s, &new_link).await.0, StatusCode::OK);
    s.advance_clock(30 * DAY);
    assert_eq!(get(&s, &new_link).await.0, StatusCode::OK);
    let doctor = s.login("doctor@demo.clinic").await;
    assert_eq!(shares_of(&doctor, "").await[0].state, ShareState::Opened);

    // A resend kills a link even once it was opened.
    assert_eq!(
        doctor.post_json(&format!("/api/v1/shares/{}/resend", first.id), &json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(get(&s, &new_link).await.0, StatusCode::NOT_FOUND);
    let (third, _) = nth_link(&s, 3);
    assert_eq!(get(&s, &third).await.0, StatusCode::OK);
    // A revoked share is not sent again.
    assert_eq!(doctor.delete(&format!("/api/v1/shares/{}", first.id)).await.status(), StatusCode::NO_CONTENT);
    let (status, code, _) =
        error_code(doctor.post_json(&format!("/api/v1/shares/{}/resend", first.id), &json!({})).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::CONFLICT, "conflict"));
}

pub async fn a_patient_is_sent_only_their_own_documents(b: Backend) {
    let s = sharing_server(b).await;
    let doctor = s.login("doctor@demo.clinic").await;
    let patients = doctor.patients("").await;
    let (p1, p2) = (patients[0].id, patients[1].id);
    let d1 = doctor.upload(&Upload::new(pdf(1, 0), p1, "lab", "CBC-Report-Apr2026")).await;
    let d2 = doctor.upload(&Upload::new(pdf(1, 0), p2, "lab", "Lipids")).await;
    // No email on file: the message says what to do.
    let (status, _, msg) =
        error_code(doctor.post_json("/api/v1/shares", &json!({"document_ids": [d1.id], "patient_id": p1})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(msg.contains("no email address"), "{msg}");
    let r = doctor.patch_json(&format!("/api/v1/patients/{p1}"), &json!({"email": "maria@example.org"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Another patient's document never goes to this patient.
    let (status, _, msg) =
        error_code(doctor.post_json("/api/v1/shares", &json!({"document_ids": [d2.id], "patient_id": p1})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(msg.contains("their own documents"), "{msg}");
    let (status, _, msg) = error_code(
        doctor.post_json("/api/v1/shares", &json!({"document_ids": [d1.id, d2.id], "patient_id": p1})).await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(msg.contains("one patient"), "{msg}");
    assert!(s.mail.as_ref().expect("mail").messages().is_empty(), "nothing was sent for a refused share");
    let made = share(&doctor, &json!({"document_ids": [d1.id], "patient_id": p1})).await;
    assert_eq!(made.recipient_email, "maria@example.org");
    let (link, _) = nth_link(&s, 1);
    let (status, _, body) = get(&s, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("CBC-Report-Apr2026"));

    // The clinic leaves the plan with documents: its links stop at once, and it can still
    // revoke them (regression: the portal did not look at the plan; revoking was refused).
    let (ok, out) = s.clinic(&["set-plan", "demo.clinic", "basic"]).await;
    assert!(ok, "{out}");
    assert_eq!(get(&s, &link).await.0, StatusCode::NOT_FOUND);
    assert_eq!(doctor.delete(&format!("/api/v1/shares/{}", made.id)).await.status(), StatusCode::NO_CONTENT);
}

pub async fn sharing_is_refused_to_other_roles_clinics_and_bad_requests_and_stores_nothing(b: Backend) {
    let s = sharing_server(b.clone()).await;
    let doctor = s.login("doctor@demo.clinic").await;
    let admin = s.login("admin@demo.clinic").await;
    let patient = doctor.a_patient().await;
    let d = doctor.upload(&Upload::new(jpeg(100, 100), patient, "imaging", "Knee")).await;
    let lee = contact(&doctor, "Dr. Lee", "lee@ortho.example").await;
    let body = json!({"document_ids": [d.id], "contact_id": lee.id});

    // Receptionists and billing staff neither share nor see contacts or shares.
    for who in ["reception@demo.clinic", "billing@demo.clinic"] {
        let sess = s.login(who).await;
        for r in [
            sess.post_json("/api/v1/shares", &body).await,
            sess.get("/api/v1/contacts").await,
            sess.get("/api/v1/shares").await,
            sess.post_json("/api/v1/contacts", &json!({"name": "X", "email": "x@example.org"})).await,
        ] {
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
        }
    }
    // Only an administrator sets the sharing security; SMS needs a gateway this server lacks.
    assert_eq!(
        doctor.put_json("/api/v1/sharing/settings", &json!({"security": "link"})).await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, code, msg) =
        error_code(admin.put_json("/api/v1/sharing/settings", &json!({"security": "sms"})).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "not_configured"), "{msg}");
    let settings: Value = doctor.get("/api/v1/sharing/settings").await.json().await.expect("settings");
    assert_eq!(settings, json!({"security": "link", "email_available": true, "sms_available": false}));

    // Bad requests: nothing chosen, too many, both or neither recipient, an unknown field.
    for bad in [
        json!({"document_ids": [], "contact_id": lee.id}),
        json!({"document_ids": (0..21).map(|_| Uuid::new_v4()).collect::<Vec<_>>(), "contact_id": lee.id}),
        json!({"document_ids": [d.id]}),
        json!({"document_ids": [d.id], "contact_id": lee.id, "patient_id": patient}),
        json!({"document_ids": [d.id], "contact_id": lee.id, "token": "x"}),
    ] {
        let (status, _, msg) = error_code(doctor.post_json("/api/v1/shares", &bad).await).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {status} {msg}"
        );
    }

    // Another clinic's documents, contacts, shares and tokens: 404 like missing ones.
    let made = share(&doctor, &body).await;
    let (link, token) = nth_link(&s, 1);
    let other = s.login("doctor@other.clinic").await;
    let other_patient = other.a_patient().await;
    let theirs = other.upload(&Upload::new(jpeg(50, 50), other_patient, "imaging", "Theirs")).await;
    let their_lee = contact(&other, "Dr. Lee", "lee@ortho.example").await;
    for (method, path, body) in [
        ("POST", "/api/v1/shares".to_string(), json!({"document_ids": [d.id], "contact_id": their_lee.id})),
        ("POST", "/api/v1/shares".to_string(), json!({"document_ids": [theirs.id], "contact_id": lee.id})),
        ("POST", format!("/api/v1/shares/{}/resend", made.id), json!({})),
        ("DELETE", format!("/api/v1/shares/{}", made.id), json!({})),
        ("PATCH", format!("/api/v1/contacts/{}", lee.id), json!({"name": "Mallory"})),
        ("DELETE", format!("/api/v1/contacts/{}", lee.id), json!({})),
        ("GET", format!("/api/v1/shares?document_id={}", d.id), json!({})),
    ] {
        let r = match method {
            "POST" => other.post_json(&path, &body).await,
            "PATCH" => other.patch_json(&path, &body).await,
            "DELETE" => other.delete(&path).await,
            _ => other.get(&path).await,
        };
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    assert!(other.get("/api/v1/shares").await.json::<Vec<Share>>().await.expect("shares").is_empty());
    assert_eq!(get(&s, &link).await.0, StatusCode::OK, "the other clinic's attempts changed nothing");
    // Their document through our token: not in the share, so not there.
    assert_eq!(get(&s, &format!("{link}/documents/{}/original", theirs.id)).await.0, StatusCode::NOT_FOUND);
    // A tampered token, a short one, a hostile one: the same page as a wrong one.
    let (_, _, wrong) = get(&s, &format!("{}/share/{}", s.url, "B".repeat(43))).await;
    let mut flipped = token.clone().into_bytes();
    flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
    for t in [String::from_utf8(flipped).expect("ascii"), token[..42].to_string(), "%3Cscript%3E".to_string()] {
        let (status, _, page) = get(&s, &format!("{}/share/{t}", s.url)).await;
        assert_eq!((status, &page), (StatusCode::NOT_FOUND, &wrong), "{t}");
    }
    for v in ["thumbnail", "..%2F..%2Fetc", "PDF"] {
        assert_eq!(get(&s, &format!("{link}/documents/{}/{v}", d.id)).await.0, StatusCode::NOT_FOUND, "{v}");
    }

    // The mail server refuses the address: the doctor is told, and nothing is half-shared.
    let nobody = contact(&doctor, "Dr. Nobody", "refuse-me@ortho.example").await;
    let before = shares_of(&doctor, "").await.len();
    let (status, code, msg) =
        error_code(doctor.post_json("/api/v1/shares", &json!({"document_ids": [d.id], "contact_id": nobody.id})).await)
            .await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_GATEWAY, "send_failed"));
    assert!(
        msg.starts_with("The email to Dr. Nobody could not be sent") && msg.contains("Nothing was shared"),
        "{msg}"
    );
    assert_eq!(shares_of(&doctor, "").await.len(), before, "no share is left behind");
    assert_eq!(audit_count(&admin, "share_email_failed").await, 1);

    // A server with no mail server says so and shares nothing.
    let bare = TestServer::start(b).await;
    let doc = bare.login("doctor@demo.clinic").await;
    let p = doc.a_patient().await;
    let x = doc.upload(&Upload::new(jpeg(20, 20), p, "imaging", "X")).await;
    let c = contact(&doc, "Dr. Lee", "lee@ortho.example").await;
    let (status, code, msg) =
        error_code(doc.post_json("/api/v1/shares", &json!({"document_ids": [x.id], "contact_id": c.id})).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "not_configured"));
    assert!(msg.contains("CLINICDOCS_SMTP_URL"), "{msg}");
    assert!(doc.get("/api/v1/shares").await.json::<Vec<Share>>().await.expect("shares").is_empty());
}

pub async fn contacts_are_checked_changed_and_removed_without_losing_their_shares(b: Backend) {
    let s = sharing_server(b).await;
    let doctor = s.login("doctor@demo.clinic").await;
    for bad in [
        json!({"name": "Dr. Lee", "email": "not an email"}),
        json!({"name": "Dr. Lee", "email": ""}),
        json!({"name": "", "email": "lee@ortho.example"}),
        json!({"name": "Dr. Lee", "email": "lee@ortho.example", "phone": "call me"}),
        json!({"name": "Dr. Lee", "email": "lee@ortho.example", "organisation": "x".repeat(201)}),
    ] {
        let (status, _, msg) = error_code(doctor.post_json("/api/v1/contacts", &bad).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {msg}");
    }
    assert!(doctor.get("/api/v1/contacts").await.json::<Vec<Contact>>().await.expect("list").is_empty());
    let lee = contact(&doctor, "Dr. Lee", "lee@ortho.example").await;
    let r = doctor
        .patch_json(&format!("/api/v1/contacts/{}", lee.id), &json!({"phone": "+44 7700 900123", "organisation": ""}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let changed: Contact = r.json().await.expect("contact");
    assert_eq!((changed.phone.as_deref(), changed.organisation.as_deref()), (Some("+44 7700 900123"), None));
    let patient = doctor.a_patient().await;
    let d = doctor.upload(&Upload::new(jpeg(40, 40), patient, "imaging", "Wrist")).await;
    share(&doctor, &json!({"document_ids": [d.id], "contact_id": lee.id})).await;
    let (link, _) = nth_link(&s, 1);
    assert_eq!(doctor.delete(&format!("/api/v1/contacts/{}", lee.id)).await.status(), StatusCode::NO_CONTENT);
    assert!(doctor.get("/api/v1/contacts").await.json::<Vec<Contact>>().await.expect("list").is_empty());
    // The share sent before stays listed with its recipient, and keeps working until revoked.
    let listed = shares_of(&doctor, "").await;
    assert_eq!(listed[0].recipient_name, "Dr. Lee");
    assert_eq!(get(&s, &link).await.0, StatusCode::OK);
    // A removed contact can no longer be shared with.
    let r = doctor.post_json("/api/v1/shares", &json!({"document_ids": [d.id], "contact_id": lee.id})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Nor sent a new link: the doctor is told why (not a bare "not found" for a share in the
    // list), no email goes out, and the link already sent keeps working.
    let (status, code, msg) =
        error_code(doctor.post_json(&format!("/api/v1/shares/{}/resend", listed[0].id), &json!({})).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::CONFLICT, "conflict"), "{msg}");
    assert!(msg.contains("Dr. Lee is no longer among the clinic's contacts"), "{msg}");
    assert_eq!(s.mail.as_ref().expect("mail").messages().len(), 1, "no second email");
    assert_eq!(get(&s, &link).await.0, StatusCode::OK);
}
