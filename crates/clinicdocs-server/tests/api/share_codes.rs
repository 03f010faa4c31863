//! Sharing with an SMS code: with the clinic's security set to `sms`, a link shows nothing
//! until its recipient enters the code texted to their mobile (read back from the server's
//! file sink); codes are single use, expire, are voided by 5 wrong tries and are sent at most
//! 3 an hour; the browser that entered one keeps a pass cookie for that link only.

use crate::fixtures::*;
use crate::harness::*;
use clinicdocs_core::api::{Contact, Share};
use reqwest::header::{HeaderMap, COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn sms_server(b: Backend) -> TestServer {
    TestServer::start_with(b, Opts { mail: true, sms: true, movable_clock: true, ..Default::default() }).await
}

/// A browser that follows no redirects and keeps no cookies, so each step is seen as sent.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn visit(r: reqwest::RequestBuilder) -> Page {
    let r = r.send().await.expect("request");
    let (status, headers) = (r.status(), r.headers().clone());
    Page { status, headers, body: r.text().await.expect("body") }
}

async fn contact(sess: &Session, name: &str, phone: Option<&str>) -> Contact {
    let r =
        sess.post_json("/api/v1/contacts", &json!({"name": name, "email": "lee@ortho.example", "phone": phone})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.expect("contact")
}

/// The link in the `n`th email (1-based).
fn nth_link(s: &TestServer, n: usize) -> String {
    s.mail.as_ref().expect("mail").messages()[n - 1].link()
}

/// The code in the `n`th text message (1-based), and the number it went to.
fn nth_code(s: &TestServer, n: usize) -> (String, String) {
    let texts = s.texts();
    assert!(texts.len() >= n, "expected {n} text messages, got {texts:?}");
    let text = texts[n - 1]["text"].as_str().expect("text");
    let code: String = text.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{text}");
    (code, texts[n - 1]["to"].as_str().expect("to").to_string())
}

async fn audit_count(admin: &Session, action: &str) -> usize {
    let page: Value = admin.get(&format!("/api/v1/audit?action={action}&limit=500")).await.json().await.expect("audit");
    page["items"].as_array().expect("items").len()
}

fn wrong_code(right: &str) -> String {
    if right == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

pub async fn with_sms_codes_on_nothing_shows_until_the_texted_code_is_entered(b: Backend) {
    let s = sms_server(b).await;
    let (admin, doctor) = (s.login("admin@demo.clinic").await, s.login("doctor@demo.clinic").await);
    let r = admin.put_json("/api/v1/sharing/settings", &json!({"security": "sms"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let settings: Value = r.json().await.expect("settings");
    assert_eq!(settings, json!({"security": "sms", "email_available": true, "sms_available": true}));

    let patient = doctor.a_patient().await;
    let xray_bytes = jpeg(640, 480);
    let xray = doctor.upload(&Upload::new(xray_bytes.clone(), patient, "imaging", "Wrist X-ray")).await;
    // A contact without a mobile number cannot be sent a code: refused before anything goes out.
    let no_phone = contact(&doctor, "Dr. Nophone", None).await;
    let (status, code, message) = error_code(
        doctor.post_json("/api/v1/shares", &json!({"document_ids": [xray.id], "contact_id": no_phone.id})).await,
    )
    .await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "bad_request"));
    assert!(message.contains("Dr. Nophone has no mobile number"), "{message}");
    assert!(s.mail.as_ref().expect("mail").messages().is_empty());

    let lee = contact(&doctor, "Dr. Lee", Some("+44 7700 900-123")).await;
    let r = doctor.post_json("/api/v1/shares", &json!({"document_ids": [xray.id], "contact_id": lee.id})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Share = r.json().await.expect("share");
    let link = nth_link(&s, 1);
    let token = link.rsplit('/').next().expect("token").to_string();
    let original = format!("{link}/documents/{}/original", xray.id);
    let web = browser();

    // The link asks for the code and shows nothing of the share.
    let page = visit(web.get(&link)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Text me a code") && page.body.contains("••• 23"), "{}", page.body);
    assert!(!page.body.contains("Wrist X-ray") && !page.body.contains("/documents/"), "{}", page.body);
    assert!(page.headers["content-security-policy"].to_str().expect("csp").contains("form-action 'self'"));
    assert_eq!(visit(web.get(&original)).await.status, StatusCode::FORBIDDEN);
    assert!(s.texts().is_empty(), "no code is sent before the recipient asks");
    assert_eq!(audit_count(&admin, "share_opened").await, 0, "asking for the code is not opening the documents");

    // A form posted from another site sends nothing.
    let cross = visit(web.post(format!("{link}/code")).header("sec-fetch-site", "cross-site")).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(s.texts().is_empty());

    // Asked for, the code is texted to the contact's number and the page asks for it.
    let sent = visit(web.post(format!("{link}/code"))).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.headers[LOCATION], format!("/share/{token}").as_str());
    let (first, to) = nth_code(&s, 1);
    assert_eq!(to, "+447700900123");
    assert!(!s.texts()[0]["text"].as_str().expect("text").contains("Wrist"), "the text names no document");
    let page = visit(web.get(&link)).await;
    assert!(page.body.contains("Show the documents") && page.body.contains("We texted a 6-digit code"));

    // Five wrong tries void it: the right code then fails too.
    let verify = format!("{link}/verify");
    for left in (1..=4).rev() {
        let p = visit(web.post(&verify).form(&[("code", wrong_code(&first))])).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        assert!(p.body.contains(&format!("{left} tr")), "{left}: {}", p.body);
        assert!(p.headers.get(SET_COOKIE).is_none());
    }
    let p = visit(web.post(&verify).form(&[("code", wrong_code(&first))])).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("no longer works"), "{}", p.body);
    let p = visit(web.post(&verify).form(&[("code", first.as_str())])).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST, "a voided code stays void");
    assert!(p.headers.get(SET_COOKIE).is_none());
    // Not six digits: said so, and not counted against anything.
    let p = visit(web.post(&verify).form(&[("code", "12ab")])).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("6 digits"), "{}", p.body);

    // A new code, entered with a space as people type it: the browser gets its pass.
    assert_eq!(visit(web.post(format!("{link}/code"))).await.status, StatusCode::SEE_OTHER);
    let (second, _) = nth_code(&s, 2);
    let typed = format!("{} {}", &second[..3], &second[3..]);
    let passed = visit(web.post(&verify).form(&[("code", typed.as_str())])).await;
    assert_eq!(passed.status, StatusCode::SEE_OTHER, "{}", passed.body);
    let set = passed.headers[SET_COOKIE].to_str().expect("cookie").to_string();
    for part in ["HttpOnly", "SameSite=Strict", &format!("Path=/share/{token}")] {
        assert!(set.contains(part), "{set} lacks {part}");
    }
    assert!(!set.contains("Secure"), "plain http on loopback cannot keep a Secure cookie: {set}");
    let cookie = set.split(';').next().expect("pair").to_string();

    // With the pass: the documents, byte for byte; the open is audited.
    let page = visit(web.get(&link).header(COOKIE, &cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Wrist X-ray"));
    let r = web.get(&original).header(COOKIE, &cookie).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), xray_bytes);
    assert_eq!(audit_count(&admin, "share_opened").await, 1);
    // The code works once.
    assert_eq!(visit(web.post(&verify).form(&[("code", second.as_str())])).await.status, StatusCode::BAD_REQUEST);
    // Another browser, or a forged pass, must pass the code again.
    assert!(visit(web.get(&link)).await.body.contains("Text me a code"));
    let forged = format!("clinicdocs_pass={}", "x".repeat(43));
    assert!(visit(web.get(&link).header(COOKIE, forged)).await.body.contains("Text me a code"));
    assert_eq!(visit(web.get(&original).header(COOKIE, "clinicdocs_pass=%00")).await.status, StatusCode::FORBIDDEN);

    // Three codes an hour at most; the fourth waits, and says how long.
    assert_eq!(visit(web.post(format!("{link}/code"))).await.status, StatusCode::SEE_OTHER);
    let limited = visit(web.post(format!("{link}/code"))).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key(RETRY_AFTER));
    assert!(limited.body.contains("Three codes were sent in the last hour"), "{}", limited.body);
    assert_eq!(s.texts().len(), 3);
    // A code older than ten minutes no longer works.
    let (third, _) = nth_code(&s, 3);
    s.advance_clock(11 * 60);
    let p = visit(web.post(&verify).form(&[("code", third.as_str())])).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("no code to enter"), "{}", p.body);
    // An hour after the first send, another can go.
    s.advance_clock(3600);
    assert_eq!(visit(web.post(format!("{link}/code"))).await.status, StatusCode::SEE_OTHER);
    assert_eq!(s.texts().len(), 4);

    let admin = s.login("admin@demo.clinic").await;
    assert_eq!(audit_count(&admin, "share_code_sent").await, 4);
    assert_eq!(audit_count(&admin, "share_code_failed").await, 5, "each wrong try, and nothing else");

    // Revoked, the pass opens nothing.
    let doctor = s.login("doctor@demo.clinic").await;
    assert_eq!(doctor.delete(&format!("/api/v1/shares/{}", made.id)).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(visit(web.get(&link).header(COOKIE, &cookie)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(visit(web.post(format!("{link}/code"))).await.status, StatusCode::NOT_FOUND);
}

pub async fn a_pass_opens_only_the_link_it_was_given_for(b: Backend) {
    let s = sms_server(b).await;
    let (admin, doctor) = (s.login("admin@demo.clinic").await, s.login("doctor@demo.clinic").await);
    assert_eq!(admin.put_json("/api/v1/sharing/settings", &json!({"security": "sms"})).await.status(), StatusCode::OK);
    let patient = doctor.a_patient().await;
    let d = doctor.upload(&Upload::new(pdf(1, 0), patient, "lab", "CBC-Report-Apr2026")).await;
    let lee = contact(&doctor, "Dr. Lee", Some("0612 34 56 78")).await;
    let web = browser();
    let mut links = Vec::new();
    for n in 1..=2 {
        let r = doctor.post_json("/api/v1/shares", &json!({"document_ids": [d.id], "contact_id": lee.id})).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        links.push(nth_link(&s, n));
    }
    assert_eq!(visit(web.post(format!("{}/code", links[0]))).await.status, StatusCode::SEE_OTHER);
    let (code, to) = nth_code(&s, 1);
    assert_eq!(to, "0612345678");
    // A code of one share does not open another.
    assert_eq!(
        visit(web.post(format!("{}/verify", links[1])).form(&[("code", code.as_str())])).await.status,
        StatusCode::BAD_REQUEST
    );
    let passed = visit(web.post(format!("{}/verify", links[0])).form(&[("code", code.as_str())])).await;
    assert_eq!(passed.status, StatusCode::SEE_OTHER);
    let cookie = passed.headers[SET_COOKIE].to_str().expect("cookie").split(';').next().expect("pair").to_string();
    assert!(visit(web.get(&links[0]).header(COOKIE, &cookie)).await.body.contains("CBC-Report-Apr2026"));
    // Sent along to the other link (a browser would not: the cookie's path is the first link's).
    assert!(visit(web.get(&links[1]).header(COOKIE, &cookie)).await.body.contains("Text me a code"));

    // Back to link-only sharing: the links open without a code.
    assert_eq!(admin.put_json("/api/v1/sharing/settings", &json!({"security": "link"})).await.status(), StatusCode::OK);
    assert!(visit(web.get(&links[1])).await.body.contains("CBC-Report-Apr2026"));
}

pub async fn guesses_are_capped_per_code_even_all_at_once_and_per_link_until_the_clinic_resends(b: Backend) {
    let s = sms_server(b).await;
    let (admin, doctor) = (s.login("admin@demo.clinic").await, s.login("doctor@demo.clinic").await);
    assert_eq!(admin.put_json("/api/v1/sharing/settings", &json!({"security": "sms"})).await.status(), StatusCode::OK);
    let patient = doctor.a_patient().await;
    let d = doctor.upload(&Upload::new(jpeg(320, 200), patient, "imaging", "Ankle X-ray")).await;
    let lee = contact(&doctor, "Dr. Lee", Some("+44 7700 900123")).await;
    let r = doctor.post_json("/api/v1/shares", &json!({"document_ids": [d.id], "contact_id": lee.id})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Share = r.json().await.expect("share");
    let link = nth_link(&s, 1);
    let web = browser();
    let verify = format!("{link}/verify");

    // Thirty guesses at once, the right code last: at most five are compared with the code
    // (regression: the right-code check did not count tries, so every guess in flight was
    // compared, not five).
    assert_eq!(visit(web.post(format!("{link}/code"))).await.status, StatusCode::SEE_OTHER);
    let (code, _) = nth_code(&s, 1);
    let mut guesses: Vec<String> = (0..1_000_000).map(|n| format!("{n:06}")).filter(|g| *g != code).take(29).collect();
    guesses.push(code.clone());
    let answers =
        futures::future::join_all(guesses.iter().map(|g| visit(web.post(&verify).form(&[("code", g)])))).await;
    let compared = answers.iter().filter(|p| p.status == StatusCode::SEE_OTHER || p.body.contains("not right")).count();
    assert!((1..=5).contains(&compared), "{compared} guesses were compared with one code");

    // Three codes with five wrong tries each lock the link: no more texts, and the page says
    // to ask the clinic.
    let wrong = wrong_code(&code);
    let (mut sent, mut locked) = (1, false);
    for _round in 0..5 {
        let mut p = visit(web.post(format!("{link}/code"))).await;
        if p.status == StatusCode::TOO_MANY_REQUESTS {
            s.advance_clock(3601);
            p = visit(web.post(format!("{link}/code"))).await;
        }
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        sent += 1;
        for _ in 0..5 {
            let p = visit(web.post(&verify).form(&[("code", wrong.as_str())])).await;
            if p.status == StatusCode::FORBIDDEN {
                assert!(p.body.contains("so it is locked"), "{}", p.body);
                locked = true;
                break;
            }
        }
        if locked {
            break;
        }
    }
    assert!(locked, "fifteen wrong codes lock the link");
    let p = visit(web.post(format!("{link}/code"))).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(p.body.contains("Ask Demo Family Clinic to send it to you again"), "{}", p.body);
    assert_eq!(s.texts().len(), sent, "a locked link is sent no more codes");
    let (admin, doctor) = (s.login("admin@demo.clinic").await, s.login("doctor@demo.clinic").await);
    let failed = audit_count(&admin, "share_code_failed").await;
    assert!(failed <= 15, "{failed} wrong codes audited for a link that takes 15");

    // The clinic sends it again: the new link starts afresh, and its code opens it.
    assert_eq!(
        doctor.post_json(&format!("/api/v1/shares/{}/resend", made.id), &json!({})).await.status(),
        StatusCode::OK
    );
    let fresh = nth_link(&s, 2);
    assert_eq!(visit(web.post(format!("{fresh}/code"))).await.status, StatusCode::SEE_OTHER);
    let (code, _) = nth_code(&s, sent + 1);
    let passed = visit(web.post(format!("{fresh}/verify")).form(&[("code", code.as_str())])).await;
    assert_eq!(passed.status, StatusCode::SEE_OTHER, "{}", passed.body);
}
