//! Stories of a clinic set up without demo data: the operator's command makes it and its first
//! administrator, who gets in with a one-time setup code and adds, changes and removes staff;
//! passwords follow the rules; sessions end when idle. Each runs on both backends (`main.rs`).

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

const GOOD_PASSWORD: &str = "granite kettle orbit";

/// The setup code a command or an answer printed (four groups of four, dashed).
fn code_in(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.len() == 19 && w.split('-').count() == 4 && w.split('-').all(|g| g.len() == 4))
        .unwrap_or_else(|| panic!("no setup code in {text:?}"))
        .to_string()
}

async fn audit_actions(admin: &Session) -> Vec<String> {
    let v: Value = admin.get("/api/v1/audit?limit=500").await.json().await.expect("audit");
    v["items"].as_array().expect("items").iter().map(|e| e["action"].as_str().unwrap_or("").to_string()).collect()
}

pub async fn a_clinic_made_by_the_command_lets_its_admin_in_with_a_one_time_code(b: Backend) {
    let s = TestServer::start_with(b, Opts { movable_clock: true, ..Default::default() }).await;
    let create = [
        "create",
        "--name",
        "Northside Clinic",
        "--domain",
        "Northside.Example",
        "--plan",
        "professional",
        "--admin-email",
        "Ada@Northside.Example",
        "--admin-name",
        "Ada Admin",
    ];
    let (ok, out) = s.clinic(&create).await;
    assert!(ok, "{out}");
    let code = code_in(&out);
    assert!(out.contains("ada@northside.example") && out.contains("valid until"), "{out}");
    // The same domain, a bad domain or an email with an account already: refused, nothing made.
    let (ok, out) = s.clinic(&create).await;
    assert!(!ok && out.contains("exists already"), "{out}");
    let mut bad = create;
    bad[4] = "not a domain";
    let (ok, out) = s.clinic(&bad).await;
    assert!(!ok && out.contains("domain must be"), "{out}");
    let mut taken = create;
    (taken[4], taken[8]) = ("south.example", "doctor@demo.clinic");
    let (ok, out) = s.clinic(&taken).await;
    assert!(!ok && out.contains("already has an account"), "{out}");
    let (ok, list) = s.clinic(&["list"]).await;
    assert!(ok, "{list}");
    let line = list.lines().find(|l| l.starts_with("northside.example")).unwrap_or_else(|| panic!("{list}"));
    assert!(line.contains("professional") && line.contains("Northside Clinic"), "{line}");
    assert!(!list.contains("south.example"), "the refused clinic was not made: {list}");

    // No password yet: signing in fails like any wrong password.
    let (st, c, _) = error_code(s.sign_in("ada@northside.example", "").await).await;
    assert_eq!((st, c.as_str()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    // A wrong code, and weak passwords with the right one: refused, the code still unused.
    let (st, c, msg) = error_code(s.set_up("ABCD-EFGH-JKMN-PQRS", GOOD_PASSWORD).await).await;
    assert_eq!((st, c.as_str()), (StatusCode::BAD_REQUEST, "setup_code_invalid"), "{msg}");
    assert!(msg.contains("administrator"), "{msg}");
    for (weak, says) in
        [("short", "at least 10"), ("1234567890", "most common"), ("Sunshine2026!", "digits or symbols")]
    {
        let (st, c, msg) = error_code(s.set_up(&code, weak).await).await;
        assert_eq!((st, c.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"), "{weak}");
        assert!(msg.contains(says), "{weak}: {msg}");
    }
    // Typed in lower case with spaces for dashes, the code works once.
    let ada = s.session_from(s.set_up(&code.to_lowercase().replace('-', " "), GOOD_PASSWORD).await).await;
    let me: Value = ada.get("/api/v1/me").await.json().await.expect("me");
    assert_eq!((me["user"]["role"].as_str(), me["org"]["name"].as_str()), (Some("admin"), Some("Northside Clinic")));
    assert_eq!(me["org"]["session_idle_minutes"], 30);
    let (st, c, _) = error_code(s.set_up(&code, "another fine password").await).await;
    assert_eq!((st, c.as_str()), (StatusCode::BAD_REQUEST, "setup_code_invalid"), "a code works once");
    s.session_from(s.sign_in("ada@northside.example", GOOD_PASSWORD).await).await;
    // Her clinic is her own: its staff is her alone, and its log tells how it began.
    let staff: Value = ada.get("/api/v1/users").await.json().await.expect("staff");
    let emails: Vec<&str> = staff.as_array().expect("list").iter().filter_map(|u| u["email"].as_str()).collect();
    assert_eq!(emails, ["ada@northside.example"]);
    let actions = audit_actions(&ada).await;
    for a in ["clinic_created", "staff_added", "password_set", "sign_in_succeeded"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // A code expires after 24 hours unused.
    let added = ada
        .post_json("/api/v1/users", &json!({"email": "bo@northside.example", "name": "Bo Doctor", "role": "doctor"}))
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let added: Value = added.json().await.expect("added");
    let bo_code = added["setup"]["code"].as_str().expect("code").to_string();
    s.advance_clock(24 * 3600 + 60);
    let (st, c, _) = error_code(s.set_up(&bo_code, GOOD_PASSWORD).await).await;
    assert_eq!((st, c.as_str()), (StatusCode::BAD_REQUEST, "setup_code_invalid"), "expired");
    // The operator can hand out a new one (the only way in for a lost first administrator).
    let (ok, out) = s.clinic(&["setup-code", "BO@northside.example"]).await;
    assert!(ok, "{out}");
    let bo = s.session_from(s.set_up(&code_in(&out), "a quiet lantern road").await).await;
    assert_eq!(bo.user.role, clinicdocs_core::Role::Doctor);
    let (ok, out) = s.clinic(&["setup-code", "nobody@northside.example"]).await;
    assert!(!ok && out.contains("no staff member"), "{out}");

    // Plans and limits, as the operator changes them, are what the clinic works under at once.
    let ada = s.session_from(s.sign_in("ada@northside.example", GOOD_PASSWORD).await).await;
    let (ok, out) = s.clinic(&["set-limits", "northside.example", "--pool", "20GB", "--files-per-visit", "8"]).await;
    assert!(ok, "{out}");
    let me: Value = ada.get("/api/v1/me").await.json().await.expect("me");
    assert_eq!(me["org"]["limits"]["pool_bytes"], 20u64 << 30);
    assert_eq!(me["org"]["limits"]["max_files_per_visit"], 8);
    let (ok, out) = s.clinic(&["set-limits", "northside.example", "--max-file", "2GB"]).await;
    assert!(!ok && out.contains("1 GB"), "{out}");
    let (ok, out) = s.clinic(&["set-limits", "northside.example", "--pool", "lots"]).await;
    assert!(!ok && out.contains("not a size"), "{out}");
    let (ok, _) = s.clinic(&["set-plan", "northside.example", "basic"]).await;
    assert!(ok);
    let me: Value = ada.get("/api/v1/me").await.json().await.expect("me");
    assert_eq!(me["org"]["documents_enabled"], false);
    let (ok, _) = s.clinic(&["set-plan", "northside.example", "professional"]).await;
    assert!(ok);
    let me: Value = ada.get("/api/v1/me").await.json().await.expect("me");
    assert_eq!(me["org"]["limits"]["max_files_per_visit"], 5, "a new plan brings its own defaults");
    let (ok, out) = s.clinic(&["set-plan", "nowhere.example", "basic"]).await;
    assert!(!ok && out.contains("no clinic"), "{out}");
    // Demo clinics are untouched by all of it.
    let demo: Value = s.login("admin@demo.clinic").await.get("/api/v1/me").await.json().await.expect("me");
    assert_eq!(demo["org"]["limits"]["pool_bytes"], 5u64 << 30);
}

pub async fn staff_are_added_changed_and_removed_and_the_last_admin_stays(b: Backend) {
    let s = TestServer::start(b).await;
    let admin = s.login("admin@demo.clinic").await;
    let new = json!({"email": " Rosa@Demo.Clinic ", "name": "Rosa Reception", "role": "receptionist"});
    // Only an administrator manages staff.
    let reception = s.login("reception@demo.clinic").await;
    let (st, c, _) = error_code(reception.post_json("/api/v1/users", &new).await).await;
    assert_eq!((st, c.as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    assert_eq!(reception.get("/api/v1/users").await.status(), StatusCode::FORBIDDEN);
    // Bad input is refused with what was wrong, and stores nobody.
    for (body, says) in [
        (json!({"email": "rosa", "name": "Rosa", "role": "receptionist"}), "email"),
        (json!({"email": "rosa@demo.clinic", "name": "  ", "role": "receptionist"}), "full name"),
        (json!({"email": "rosa@demo.clinic", "name": "Rosa", "role": "owner"}), "role"),
        (json!({"email": "doctor@demo.clinic", "name": "Dana Again", "role": "doctor"}), "already has an account"),
    ] {
        let (st, _, msg) = error_code(admin.post_json("/api/v1/users", &body).await).await;
        assert!(st.is_client_error() && msg.contains(says), "{body}: {st} {msg}");
    }
    let r = admin.post_json("/api/v1/users", &new).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let added: Value = r.json().await.expect("added");
    assert_eq!(
        (added["user"]["email"].as_str(), added["user"]["password_set"].as_bool()),
        (Some("rosa@demo.clinic"), Some(false))
    );
    let rosa_id: Uuid = added["user"]["id"].as_str().expect("id").parse().expect("uuid");
    let first_code = added["setup"]["code"].as_str().expect("code").to_string();
    // A new code voids the first.
    let r = admin.post_json(&format!("/api/v1/users/{rosa_id}/setup-code"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let code = r.json::<Value>().await.expect("code")["code"].as_str().expect("code").to_string();
    let (_, c, _) = error_code(s.set_up(&first_code, GOOD_PASSWORD).await).await;
    assert_eq!(c, "setup_code_invalid", "the first code was voided");
    // Her password may not be built on her own name or email.
    let (_, c, msg) = error_code(s.set_up(&code, "rosa reception 2026").await).await;
    assert_eq!(c, "weak_password", "{msg}");
    let rosa = s.session_from(s.set_up(&code, GOOD_PASSWORD).await).await;
    let rosa_elsewhere = s.session_from(s.sign_in("rosa@demo.clinic", GOOD_PASSWORD).await).await;
    let patient = rosa.a_patient().await;
    assert_eq!(rosa.get(&format!("/api/v1/patients/{patient}")).await.status(), StatusCode::OK);

    // Another clinic's admin cannot see or touch her: her id answers as a missing one.
    let other = s.login("admin@other.clinic").await;
    for r in [
        other.patch_json(&format!("/api/v1/users/{rosa_id}"), &json!({"active": false})).await,
        other.post_json(&format!("/api/v1/users/{rosa_id}/setup-code"), &json!({})).await,
        other.patch_json(&format!("/api/v1/users/{}", Uuid::new_v4()), &json!({"active": false})).await,
    ] {
        let (st, c, _) = error_code(r).await;
        assert_eq!((st, c.as_str()), (StatusCode::NOT_FOUND, "not_found"));
    }
    assert_eq!(rosa.get("/api/v1/me").await.status(), StatusCode::OK);

    // Renamed and made a doctor; then her access ends: every session of hers at once.
    let r =
        admin.patch_json(&format!("/api/v1/users/{rosa_id}"), &json!({"name": "Rosa Ruiz", "role": "doctor"})).await;
    let changed: Value = r.json().await.expect("changed");
    assert_eq!((changed["name"].as_str(), changed["role"].as_str()), (Some("Rosa Ruiz"), Some("doctor")));
    let r = admin.patch_json(&format!("/api/v1/users/{rosa_id}"), &json!({"active": false})).await;
    assert_eq!(r.status(), StatusCode::OK);
    for sess in [&rosa, &rosa_elsewhere] {
        let (st, c, _) = error_code(sess.get("/api/v1/me").await).await;
        assert_eq!((st, c.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    }
    let (st, c, _) = error_code(s.sign_in("rosa@demo.clinic", GOOD_PASSWORD).await).await;
    assert_eq!((st, c.as_str()), (StatusCode::UNAUTHORIZED, "invalid_credentials"), "reads like a wrong password");
    let r = admin.post_json(&format!("/api/v1/users/{rosa_id}/setup-code"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "no setup code for someone whose access ended");
    // Her rows stay: the staff list shows her inactive, the log keeps what she did.
    let staff: Value = admin.get("/api/v1/users").await.json().await.expect("staff");
    let her = staff.as_array().expect("list").iter().find(|u| u["id"] == rosa_id.to_string()).expect("listed");
    assert_eq!(her["active"], false);
    let v: Value = admin.get("/api/v1/audit?limit=500").await.json().await.expect("audit");
    let hers = v["items"].as_array().expect("items").iter().filter(|e| e["actor_id"] == rosa_id.to_string()).count();
    assert!(hers >= 2, "her sign-ins stay in the log: {hers}");
    assert!(audit_actions(&admin).await.iter().any(|a| a == "staff_deactivated"));
    // Her failed sign-in while deactivated is in the log of her clinic.
    let v: Value = admin.get("/api/v1/audit?action=sign_in_failed&limit=50").await.json().await.expect("audit");
    assert!(v["items"].as_array().expect("items").iter().any(|e| e["target_id"] == rosa_id.to_string()));
    // Restored, she signs in with her own password again.
    admin.patch_json(&format!("/api/v1/users/{rosa_id}"), &json!({"active": true})).await;
    let forgetful = s.session_from(s.sign_in("rosa@demo.clinic", GOOD_PASSWORD).await).await;
    // A code for someone who has a password resets it: using it ends every session they had.
    let r = admin.post_json(&format!("/api/v1/users/{rosa_id}/setup-code"), &json!({})).await;
    let reset = r.json::<Value>().await.expect("code")["code"].as_str().expect("code").to_string();
    s.session_from(s.set_up(&reset, "a brand new orchard").await).await;
    assert_eq!(forgetful.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED, "the reset ended her old session");
    assert_eq!(s.sign_in("rosa@demo.clinic", GOOD_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    s.session_from(s.sign_in("rosa@demo.clinic", "a brand new orchard").await).await;
    let (st, _, msg) = error_code(admin.patch_json(&format!("/api/v1/users/{rosa_id}"), &json!({})).await).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "an empty change: {msg}");

    // The clinic always keeps an active administrator.
    let admin_id = admin.user.id;
    for change in [json!({"role": "doctor"}), json!({"active": false})] {
        let (st, c, msg) = error_code(admin.patch_json(&format!("/api/v1/users/{admin_id}"), &change).await).await;
        assert_eq!((st, c.as_str()), (StatusCode::CONFLICT, "last_admin"), "{change}");
        assert!(msg.contains("at least one active administrator"), "{msg}");
    }
    admin.patch_json(&format!("/api/v1/users/{rosa_id}"), &json!({"role": "admin"})).await;
    let rosa = s.session_from(s.sign_in("rosa@demo.clinic", "a brand new orchard").await).await;
    // Two admins demoting each other at once: one of them stays an admin.
    let demote = json!({"role": "doctor"});
    let (rosa_path, admin_path) = (format!("/api/v1/users/{rosa_id}"), format!("/api/v1/users/{admin_id}"));
    let (a, b) = tokio::join!(admin.patch_json(&rosa_path, &demote), rosa.patch_json(&admin_path, &demote));
    // One goes through; the other hears 409 (both passed the role check, the clinic's row lock
    // made the second see the first) or 403 (the first was through before its caller was read).
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert!(
        statuses == [StatusCode::OK, StatusCode::FORBIDDEN] || statuses == [StatusCode::OK, StatusCode::CONFLICT],
        "{statuses:?}"
    );
    // Whichever of them is still an admin reads the staff list.
    let r = admin.get("/api/v1/users").await;
    let r = if r.status() == StatusCode::OK { r } else { rosa.get("/api/v1/users").await };
    let staff: Vec<Value> = r.json().await.expect("staff");
    let admins = staff.iter().filter(|u| u["role"] == "admin" && u["active"] == true).count();
    assert_eq!(admins, 1, "{staff:?}");
}

pub async fn a_password_change_ends_other_sessions_and_follows_the_rules(b: Backend) {
    let s = TestServer::start(b).await;
    let here = s.login("doctor@demo.clinic").await;
    let there = s.login("doctor@demo.clinic").await;
    let change = |current: &str, new: &str| json!({"current": current, "new": new});
    let (st, c, _) = error_code(here.post_json("/api/v1/auth/password", &change("wrong", GOOD_PASSWORD)).await).await;
    assert_eq!((st, c.as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    let (st, c, _) = error_code(here.post_json("/api/v1/auth/password", &change("demo", "password123")).await).await;
    assert_eq!((st, c.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"));
    assert_eq!(there.get("/api/v1/me").await.status(), StatusCode::OK, "refused changes end nothing");
    let r = here.post_json("/api/v1/auth/password", &change("demo", GOOD_PASSWORD)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(here.get("/api/v1/me").await.status(), StatusCode::OK, "this session stays");
    assert_eq!(there.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED, "the other one ends");
    assert_eq!(s.sign_in("doctor@demo.clinic", "demo").await.status(), StatusCode::UNAUTHORIZED);
    s.session_from(s.sign_in("doctor@demo.clinic", GOOD_PASSWORD).await).await;
    let admin = s.login("admin@demo.clinic").await;
    let actions = audit_actions(&admin).await;
    assert!(actions.iter().any(|a| a == "password_changed"));
    assert!(actions.iter().any(|a| a == "access_refused"), "the wrong current password is in the log: {actions:?}");
}

pub async fn an_idle_session_ends_after_the_time_the_clinic_chose(b: Backend) {
    let s = TestServer::start_with(b, Opts { movable_clock: true, ..Default::default() }).await;
    let admin = s.login("admin@demo.clinic").await;
    let doctor = s.login("doctor@demo.clinic").await;
    let (st, _, msg) = error_code(admin.patch_json("/api/v1/clinic", &json!({"session_idle_minutes": 2})).await).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{msg}");
    assert_eq!(
        doctor.patch_json("/api/v1/clinic", &json!({"session_idle_minutes": 60})).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = admin.patch_json("/api/v1/clinic", &json!({"session_idle_minutes": 10})).await;
    assert_eq!(r.json::<Value>().await.expect("org")["session_idle_minutes"], 10);
    // Used every 8 minutes, a session lives on; left for 11, it ends. Other clinics keep 30.
    let other = s.login("doctor@other.clinic").await;
    for _ in 0..3 {
        s.advance_clock(8 * 60);
        assert_eq!(doctor.get("/api/v1/me").await.status(), StatusCode::OK);
        assert_eq!(other.get("/api/v1/me").await.status(), StatusCode::OK);
    }
    s.advance_clock(11 * 60);
    let (st, c, _) = error_code(doctor.get("/api/v1/me").await).await;
    assert_eq!((st, c.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    assert_eq!(admin.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED, "the admin idled too");
    assert_eq!(other.get("/api/v1/me").await.status(), StatusCode::OK, "11 minutes: other.clinic keeps 30");
    // However busy, a session still ends after its absolute lifetime (12 hours).
    for _ in 0..(12 * 60 / 25) {
        s.advance_clock(25 * 60);
        if other.get("/api/v1/me").await.status() != StatusCode::OK {
            break;
        }
    }
    assert_eq!(other.get("/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
}

pub async fn the_audit_trail_is_filtered_worded_and_exported_as_csv(b: Backend) {
    let s = TestServer::start(b.clone()).await;
    let doctor = s.login("doctor@demo.clinic").await;
    let maria = doctor.patients("Maria").await[0].id;
    let john = doctor.patients("John").await[0].id;
    let cbc = doctor.upload(&Upload::new(crate::fixtures::pdf(1, 0), maria, "lab", "CBC-Report-Apr2026")).await;
    let formula =
        doctor.upload(&Upload::new(crate::fixtures::pdf(1, 0), maria, "lab", "=SUM(A1) Lipids, fasting")).await;
    let knee = doctor.upload(&Upload::new(crate::fixtures::jpeg(300, 200), john, "imaging", "Knee X-ray")).await;
    let url = doctor.signed_url(cbc.id, "original").await;
    assert_eq!(s.http.get(url).send().await.expect("download").status(), StatusCode::OK);
    let reception = s.login("reception@demo.clinic").await;
    let admin = s.login("admin@demo.clinic").await;
    let page = |q: String| {
        let admin = &admin;
        async move {
            let r = admin.get(&format!("/api/v1/audit?limit=1000{q}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{q}");
            let v: Value = r.json().await.expect("page");
            v["items"].as_array().expect("items").clone()
        }
    };
    let summaries =
        |items: &[Value]| items.iter().map(|e| e["summary"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();

    // Each event in words, naming the document and its patient.
    let all = page(String::new()).await;
    let said = summaries(&all);
    assert!(said.contains(&"Dr. Dana Doctor uploaded ‘CBC-Report-Apr2026’ of Maria Garcia".to_string()), "{said:?}");
    assert!(said.contains(&"Dr. Dana Doctor opened ‘CBC-Report-Apr2026’ of Maria Garcia".to_string()), "{said:?}");
    assert!(said.contains(&"Riley Reception signed in".to_string()), "{said:?}");
    if !b.is_s3() {
        assert!(said.contains(&"‘CBC-Report-Apr2026’ of Maria Garcia was downloaded through a signed link".to_string()));
    }
    // By person: only the doctor's events.
    let theirs = page(format!("&user_id={}", doctor.user.id)).await;
    assert!(!theirs.is_empty() && theirs.iter().all(|e| e["actor_id"] == doctor.user.id.to_string()));
    // By patient: Maria's documents, never John's.
    let hers = page(format!("&patient_id={maria}")).await;
    assert!(hers.iter().all(|e| e["patient_id"] == maria.to_string()));
    let titles: Vec<&str> = hers.iter().filter_map(|e| e["document_title"].as_str()).collect();
    assert!(titles.contains(&"CBC-Report-Apr2026") && !titles.contains(&"Knee X-ray"), "{titles:?}");
    // By document: its upload, its link and (on the local store) its download, nothing else.
    let its = page(format!("&document_id={}", cbc.id)).await;
    let mut actions: Vec<&str> = its.iter().filter_map(|e| e["action"].as_str()).collect();
    actions.sort();
    let mut expected = vec!["document_link_issued", "document_uploaded"];
    if !b.is_s3() {
        expected.insert(0, "document_downloaded");
    }
    assert_eq!(actions, expected);
    // By action and person together.
    let uploads = page(format!("&action=document_uploaded&user_id={}", doctor.user.id)).await;
    assert_eq!(uploads.len(), 3);
    assert_eq!(page(format!("&action=document_uploaded&user_id={}", reception.user.id)).await.len(), 0);
    // By time: the days the events happened on hold them all; the day after the last and the
    // day before the first, nothing.
    let on =
        |e: &Value| e["at"].as_str().expect("at").parse::<chrono::DateTime<chrono::Utc>>().expect("time").date_naive();
    let (first, last) = (on(all.last().expect("events")), on(&all[0]));
    let today = first;
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    assert_eq!(page(format!("&from={}&to={}", day(first), day(last))).await.len(), all.len());
    assert!(page(format!("&from={}", day(last.succ_opt().expect("day")))).await.is_empty());
    assert!(page(format!("&to={}", day(first.pred_opt().expect("day")))).await.is_empty());
    let (st, _, msg) = error_code(admin.get("/api/v1/audit?from=yesterday").await).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{msg}");
    let (st, _, msg) = error_code(
        admin.get(&format!("/api/v1/audit?from={}&to={}", day(today), day(today.pred_opt().expect("day")))).await,
    )
    .await;
    assert!(st == StatusCode::BAD_REQUEST && msg.contains("before its start"), "{msg}");
    // Another clinic's admin filtering by this clinic's patient sees nothing of it.
    let other = s.login("admin@other.clinic").await;
    let v: Value = other.get(&format!("/api/v1/audit?patient_id={maria}")).await.json().await.expect("page");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(doctor.get("/api/v1/audit?format=csv").await.status(), StatusCode::FORBIDDEN);

    // The CSV: a header, one event per line, parsed back as written; formulas neutralised.
    let r = admin.get(&format!("/api/v1/audit?format=csv&patient_id={maria}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().expect("ascii").contains("audit-"));
    let text = r.text().await.expect("csv");
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(header[..5], ["time (UTC)", "who", "email", "action", "what happened"]);
    let rows: Vec<csv::StringRecord> = rd.records().collect::<Result<_, _>>().expect("every line parses");
    assert_eq!(rows.len(), hers.len(), "one line per event");
    let doc_col = header.iter().position(|h| h == "document").expect("document column");
    let docs: Vec<&str> = rows.iter().map(|r| &r[doc_col]).collect();
    assert!(docs.contains(&"'=SUM(A1) Lipids, fasting"), "the formula is neutralised: {docs:?}");
    assert!(!docs.iter().any(|d| d.starts_with('=')));
    assert!(rows.iter().any(|r| &r[4] == "Dr. Dana Doctor uploaded ‘=SUM(A1) Lipids, fasting’ of Maria Garcia"));
    assert_eq!(knee.title, "Knee X-ray");
    assert_eq!(formula.title, "=SUM(A1) Lipids, fasting");
    // The export is in the trail itself.
    let exported = page("&action=audit_exported".into()).await;
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["actor_id"], admin.user.id.to_string());
}

pub async fn the_front_desk_registers_a_patient_and_opens_todays_visit(b: Backend) {
    let s = TestServer::start(b).await;
    let desk = s.login("reception@demo.clinic").await;
    let new = json!({"name": "Ana Lima", "date_of_birth": "1990-02-03", "sex": "female", "phone": "+351 912 345 678",
        "email": "Ana.Lima@Example.org", "patient_number": "P-1042"});
    let r = desk.post_json("/api/v1/patients", &new).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ana: Value = r.json().await.expect("patient");
    assert_eq!(
        (ana["sex"].as_str(), ana["email"].as_str(), ana["patient_number"].as_str()),
        (Some("female"), Some("ana.lima@example.org"), Some("P-1042"))
    );
    let ana_id: Uuid = ana["id"].as_str().expect("id").parse().expect("uuid");
    // Before registering another Ana Lima born that day, the desk finds the one there is.
    let same: Value =
        desk.get("/api/v1/patients?name=ana%20LIMA&date_of_birth=1990-02-03").await.json().await.expect("namesakes");
    assert_eq!(same.as_array().map(Vec::len), Some(1));
    let none: Value =
        desk.get("/api/v1/patients?name=Ana%20Lima&date_of_birth=1990-02-04").await.json().await.expect("namesakes");
    assert_eq!(none.as_array().map(Vec::len), Some(0));
    // The clinic's patient number is unique in the clinic, not across clinics.
    let twin = json!({"name": "Bea Lima", "date_of_birth": "1992-05-06", "patient_number": " P-1042 "});
    let (st, c, msg) = error_code(desk.post_json("/api/v1/patients", &twin).await).await;
    assert_eq!((st, c.as_str()), (StatusCode::CONFLICT, "conflict"));
    assert!(msg.contains("P-1042") && msg.contains("another patient"), "{msg}");
    let other = s.login("reception@other.clinic").await;
    assert_eq!(other.post_json("/api/v1/patients", &twin).await.status(), StatusCode::CREATED);
    // Bad details are refused with what was wrong, and store nothing.
    for (body, says) in [
        (json!({"name": "C", "date_of_birth": "1990-02-30"}), "date"),
        (json!({"name": "C", "date_of_birth": "1990-02-03", "phone": "call me"}), "phone"),
        (json!({"name": "C", "date_of_birth": "1990-02-03", "email": "nope"}), "email"),
        (json!({"name": "C", "date_of_birth": "1990-02-03", "sex": "robot"}), "sex"),
        (json!({"name": "C", "date_of_birth": "1990-02-03", "patient_number": "a\nb"}), "one line"),
    ] {
        let (st, _, msg) = error_code(desk.post_json("/api/v1/patients", &body).await).await;
        assert!(st.is_client_error() && msg.to_lowercase().contains(says), "{body}: {st} {msg}");
    }
    assert!(desk.patients("C").await.iter().all(|p| p.name != "C"));
    assert_eq!(
        s.login("billing@demo.clinic").await.post_json("/api/v1/patients", &new).await.status(),
        StatusCode::FORBIDDEN
    );
    // Edited: a field given changes, one left out stays, an empty one is cleared.
    let r = desk.patch_json(&format!("/api/v1/patients/{ana_id}"), &json!({"phone": "", "name": "Ana M. Lima"})).await;
    let edited: Value = r.json().await.expect("edited");
    assert_eq!(
        (edited["name"].as_str(), edited["phone"].as_str(), edited["patient_number"].as_str()),
        (Some("Ana M. Lima"), None, Some("P-1042"))
    );
    let bea = desk
        .post_json(
            "/api/v1/patients",
            &json!({"name": "Bea Lima", "date_of_birth": "1992-05-06", "patient_number": "P-2000"}),
        )
        .await;
    let bea_id = bea.json::<Value>().await.expect("bea")["id"].as_str().expect("id").to_string();
    let (st, _, _) =
        error_code(desk.patch_json(&format!("/api/v1/patients/{bea_id}"), &json!({"patient_number": "P-1042"})).await)
            .await;
    assert_eq!(st, StatusCode::CONFLICT, "a number taken by another patient");
    let (st, _, _) =
        error_code(other.patch_json(&format!("/api/v1/patients/{ana_id}"), &json!({"name": "X"})).await).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another clinic's patient");

    // Today's visit with a practitioner of the clinic; one of another clinic is refused.
    let practitioners: Value = desk.get("/api/v1/practitioners").await.json().await.expect("practitioners");
    let names: Vec<&str> = practitioners.as_array().expect("list").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["Dr. Dana Doctor", "Alex Admin"]);
    let dana = practitioners[0]["id"].as_str().expect("id");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let r = desk
        .post_json(
            &format!("/api/v1/patients/{ana_id}/encounters"),
            &json!({"date": today, "reason": "Walk-in: cough", "practitioner_id": dana}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let visit: Value = r.json().await.expect("visit");
    assert_eq!(visit["practitioner_id"], dana);
    let foreign: Value = other.get("/api/v1/practitioners").await.json().await.expect("practitioners");
    let foreign = foreign[0]["id"].as_str().expect("id");
    let r = desk
        .post_json(
            &format!("/api/v1/patients/{ana_id}/encounters"),
            &json!({"date": today, "reason": "x", "practitioner_id": foreign}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // An upload linked to it counts against the visit.
    let v_id: Uuid = visit["id"].as_str().expect("id").parse().expect("uuid");
    let mut u = Upload::new(crate::fixtures::pdf(1, 0), ana_id, "insurance", "Insurance card");
    u.encounter_id = Some(v_id);
    desk.upload(&u).await;
    let visits: Value = desk.get(&format!("/api/v1/patients/{ana_id}/encounters")).await.json().await.expect("visits");
    assert_eq!(visits[0]["document_count"], 1);
    let admin = s.login("admin@demo.clinic").await;
    let actions = audit_actions(&admin).await;
    for a in ["patient_created", "patient_updated", "visit_created"] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

/// Regression: a dropped folder of `page 1`, `page 2` … `page 12`, stored in one batch (so at one
/// moment), was listed oldest-first in a random order, since ties of the upload time fell to
/// the documents' random ids. Ties follow the order the files were sent.
pub async fn pages_sent_together_keep_their_order_in_the_listing(b: Backend) {
    let s = TestServer::start(b).await;
    let desk = s.login("reception@demo.clinic").await;
    let patient = desk.patients("Li Wei").await[0].id;
    let titles: Vec<String> = (1..=12).map(|n| format!("page {n}")).collect();
    let items: Vec<Upload> =
        titles.iter().map(|t| Upload::new(crate::fixtures::pdf(1, 0), patient, "insurance", t)).collect();
    assert_eq!(desk.batch(&items).await.status(), StatusCode::CREATED);
    // Sent in order, and numbered as a scanner numbers pages: by date they keep the order they
    // were sent in (same upload time), by name "page 2" comes before "page 10".
    let orders = [("asc", titles.clone()), ("desc", titles.iter().rev().cloned().collect())];
    for ((order, expected), sort) in orders.iter().flat_map(|o| ["date", "name"].map(|s| (o, s))) {
        let mut listed = Vec::new();
        let mut cursor: Option<String> = None;
        // In pages of 5, so the order holds across pages too.
        loop {
            let mut path = format!("/api/v1/documents?patient_id={patient}&sort={sort}&order={order}&limit=5");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page: Value = desk.get(&path).await.json().await.expect("page");
            listed.extend(
                page["items"].as_array().expect("items").iter().map(|d| d["title"].as_str().unwrap_or("").to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(&listed, expected, "sorted by {sort}, {order}");
    }
}
