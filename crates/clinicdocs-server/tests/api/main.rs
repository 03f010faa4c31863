//! The API integration suite. Every story runs twice against the real server binary on a
//! loopback port: on SQLite + local files, and on PostgreSQL + S3 (s3s-fs, which verifies
//! SigV4 signatures). `scripts/test.sh` starts PostgreSQL and s3s-fs and requires both runs.

use std::collections::BTreeSet;

mod clinic_setup;
mod fixtures;
mod harness;
mod imaging;
mod mail;
mod share_codes;
mod sharing;
mod stories;

/// Runs a story on both backends.
macro_rules! on_both_backends {
    ($module:ident: $($story:ident),* $(,)?) => {$(
        mod $story {
            use super::harness::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_local() {
                super::$module::$story(Backend::SqliteLocal).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_s3() {
                if let Some(b) = Backend::postgres_s3() {
                    super::$module::$story(b).await;
                }
            }
        }
    )*};
}

on_both_backends!(stories:
    upload_decides_type_by_bytes_and_stores_under_the_key_layout,
    signed_urls_refuse_every_tampered_field_and_expire,
    range_get_matches_the_same_slice_of_a_full_get,
    role_category_action_matrix,
    other_clinics_ids_answer_exactly_like_missing_ones,
    concurrent_batches_cannot_overshoot_the_pool,
    batch_with_a_bad_13th_file_stores_nothing,
    batch_manifest_is_capped_yet_fits_the_longest_items,
    bad_input_corpus_is_refused_and_stores_nothing,
    idempotency_key_replays_and_conflicts,
    batch_sent_again_with_its_keys_stores_nothing_twice,
    visit_limit_and_plan_are_enforced,
    soft_delete_frees_the_pool_and_kills_links,
    annotations_round_trip_with_conflict_detection,
    annotation_created_again_with_its_id_is_stored_once,
    a_listing_shows_every_change_at_once_on_every_instance,
    storage_report_is_for_admins_and_adds_up,
    audit_log_records_events_and_is_append_only,
    listing_filters_sorts_and_pages,
    profile_images_are_resized_and_replaced,
    orphans_are_reported_and_removed,
    upload_memory_stays_bounded_whatever_the_file_size,
    an_upload_that_announces_its_size_is_stored_while_it_arrives,
    sign_in_who_am_i_and_sign_out,
    concurrent_requests_each_get_their_own_session,
    concurrent_uploads_never_overfill_a_visit,
    every_refusal_is_the_error_body_and_every_answer_carries_its_headers,
    every_download_is_audited_whatever_its_range,
    password_guessing_is_slowed_without_telling_which_accounts_exist,
    behind_a_trusted_proxy_each_client_is_paused_and_audited_by_its_own_address,
    anonymous_floods_keep_memory_and_the_database_small,
    big_batches_and_parallel_image_decodes_keep_memory_bounded,
    an_upload_whose_commit_answer_was_lost_keeps_its_bytes,
    orphan_removal_never_races_a_batch_being_stored,
    the_audit_log_cannot_be_rewritten_unnoticed,
    slow_clients_are_cut_off_and_cannot_crowd_out_others,
    a_client_that_stops_reading_is_cut_off_and_connections_are_capped_in_all,
    shutdown_lets_an_upload_in_flight_finish,
);

on_both_backends!(imaging:
    dicom_is_checked_on_arrival_and_given_a_server_thumbnail,
    pdfs_that_open_without_a_password_are_stored_and_those_that_need_one_refused,
    a_scanners_bmp_is_accepted_with_a_server_thumbnail_and_a_cut_one_refused,
    a_phones_heic_photo_gets_a_server_thumbnail_and_one_that_does_not_decode_is_refused,
    a_fax_tiff_has_its_pages_counted_and_marked_page_by_page_and_a_page_bomb_is_refused,
    a_pdf_is_answered_at_once_then_given_a_server_thumbnail_of_its_first_page,
    an_angle_is_stored_read_back_and_changed_and_a_malformed_one_refused,
);

on_both_backends!(sharing:
    a_contact_receives_the_link_by_email_and_opens_views_and_downloads_the_documents,
    an_unopened_link_expires_after_a_day_and_a_resend_replaces_it,
    a_patient_is_sent_only_their_own_documents,
    sharing_is_refused_to_other_roles_clinics_and_bad_requests_and_stores_nothing,
    contacts_are_checked_changed_and_removed_without_losing_their_shares,
);

on_both_backends!(share_codes:
    with_sms_codes_on_nothing_shows_until_the_texted_code_is_entered,
    a_pass_opens_only_the_link_it_was_given_for,
    guesses_are_capped_per_code_even_all_at_once_and_per_link_until_the_clinic_resends,
);

on_both_backends!(clinic_setup:
    a_clinic_made_by_the_command_lets_its_admin_in_with_a_one_time_code,
    staff_are_added_changed_and_removed_and_the_last_admin_stays,
    a_password_change_ends_other_sessions_and_follows_the_rules,
    an_idle_session_ends_after_the_time_the_clinic_chose,
    the_audit_trail_is_filtered_worded_and_exported_as_csv,
    the_front_desk_registers_a_patient_and_opens_todays_visit,
    pages_sent_together_keep_their_order_in_the_listing,
);

#[tokio::test]
async fn demo_mode_refuses_to_listen_beyond_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tokio::process::Command::new(harness::server_bin())
        .args(["serve", "--demo", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .await
        .expect("run server");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback"), "stderr: {err}");
}

/// Runs `clinicdocs-server serve` with `args` and `env`, expecting it to refuse to start; its
/// error message.
async fn refused_start(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tokio::process::Command::new(harness::server_bin())
        .arg("serve")
        .args(args)
        .arg("--data-dir")
        .arg(dir.path())
        .envs(env.iter().copied())
        .env_remove("CLINICDOCS_PUBLIC_URL")
        .output()
        .await
        .expect("run server");
    assert!(!out.status.success(), "the server started with {args:?} {env:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn a_weak_signing_key_or_a_public_address_without_its_url_is_refused_at_start() {
    for key in ["", "00", &"ab".repeat(31)] {
        let err = refused_start(&["--listen", "127.0.0.1:0"], &[("CLINICDOCS_SIGNING_KEY", key)]).await;
        assert!(err.contains("at least 32 bytes") && err.contains("openssl rand -hex 32"), "key {key:?}: {err}");
    }
    let err = refused_start(&["--listen", "127.0.0.1:0"], &[("CLINICDOCS_SIGNING_KEY", "not hex at all")]).await;
    assert!(err.contains("at least 32 bytes"), "{err}");
    let err = refused_start(&["--listen", "0.0.0.0:0"], &[]).await;
    assert!(err.contains("--public-url") && err.contains("CLINICDOCS_PUBLIC_URL"), "{err}");
}

#[tokio::test]
async fn openapi_document_lists_every_contract_path() {
    let s = harness::TestServer::start(harness::Backend::SqliteLocal).await;
    let v: serde_json::Value =
        reqwest::get(format!("{}/api/v1/openapi.json", s.url)).await.expect("get").json().await.expect("json");
    let paths = v["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/setup",
        "/api/v1/auth/password",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/setup-code",
        "/api/v1/clinic",
        "/api/v1/me",
        "/api/v1/patients",
        "/api/v1/patients/{id}",
        "/api/v1/patients/{id}/encounters",
        "/api/v1/practitioners",
        "/api/v1/documents",
        "/api/v1/documents/batch",
        "/api/v1/documents/{id}",
        "/api/v1/documents/{id}/url",
        "/api/v1/documents/{id}/annotations",
        "/api/v1/annotations/{id}",
        "/api/v1/storage",
        "/api/v1/audit",
        "/files/{key}",
        "/healthz",
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/sharing/settings",
        "/api/v1/shares",
        "/api/v1/shares/{id}",
        "/api/v1/shares/{id}/resend",
        "/share/{token}",
        "/share/{token}/code",
        "/share/{token}/verify",
    ] {
        assert!(paths.contains_key(p), "openapi lacks {p}");
    }
    assert!(paths["/api/v1/documents/{id}"].get("patch").is_some());
    assert!(paths["/api/v1/documents/{id}"].get("delete").is_some());
}

/// The served OpenAPI document is one clients can generate from: every `$ref` names a schema it
/// holds (`SortKey`, `SortOrder` and `UrlVariant` once did not), and every route that needs a
/// session documents `401` as the error body. `scripts/test.sh` then validates the same
/// document with openapi-spec-validator and checks it against every status the suite saw
/// (written to `CLINICDOCS_OPENAPI_OUT` when set).
#[tokio::test]
async fn openapi_document_resolves_every_ref_and_documents_refusals() {
    let s = harness::TestServer::start(harness::Backend::SqliteLocal).await;
    let text = reqwest::get(format!("{}/api/v1/openapi.json", s.url)).await.expect("get").text().await.expect("text");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&v, &mut all);
    assert!(all.len() > 20, "the document refers to its schemas: {}", all.len());
    let schemas = v["components"]["schemas"].as_object().expect("schemas");
    let missing: BTreeSet<&str> = all
        .iter()
        .filter(|r| r.strip_prefix("#/components/schemas/").is_none_or(|name| !schemas.contains_key(name)))
        .copied()
        .collect();
    assert!(missing.is_empty(), "unresolved $refs: {missing:?}");
    for (path, item) in v["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            if op.get("security").and_then(|s| s.as_array()).is_some_and(|s| !s.is_empty()) {
                let unauthorized = responses.get("401").unwrap_or_else(|| panic!("{method} {path} lacks 401"));
                assert_eq!(
                    unauthorized["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path}"
                );
            }
            if op.get("requestBody").is_some() {
                for code in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(code), "{method} {path} lacks {code}");
                }
            }
        }
    }
    if let Some(out) = std::env::var_os("CLINICDOCS_OPENAPI_OUT") {
        std::fs::write(out, &text).expect("write the document");
    }
}

/// Regression: the session reader keeps its own database connections; when PostgreSQL closes
/// them (a restart, a failover, an administrator ending sessions) no request may fail for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_survive_the_database_closing_its_connections() {
    let Some(b) = harness::Backend::postgres_s3() else { return };
    let s = harness::TestServer::start(b).await;
    let doctor = s.login("doctor@demo.clinic").await;
    let patient = doctor.a_patient().await;
    let list = format!("/api/v1/documents?patient_id={patient}");
    for round in 0..3 {
        // Warm: requests, some concurrent, so the reader holds its connections.
        let warm: Vec<_> = (0..20).map(|_| doctor.get("/api/v1/me")).collect();
        for r in futures::future::join_all(warm).await {
            assert_eq!(r.status(), reqwest::StatusCode::OK);
        }
        let admin = sqlx::PgPool::connect(&s.database_url).await.expect("connect db");
        let ended: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&admin)
        .await
        .expect("terminate");
        admin.close().await;
        assert!(!ended.is_empty(), "round {round}: the server had no connection to end");
        let after: Vec<_> = (0..20).map(|i| doctor.get(if i % 2 == 0 { "/api/v1/me" } else { &list[..] })).collect();
        for r in futures::future::join_all(after).await {
            let status = r.status();
            assert_eq!(status, reqwest::StatusCode::OK, "round {round}: {}", r.text().await.unwrap_or_default());
        }
    }
}
