//! The HTTP surface (docs/DESIGN.md §7): `app(state)` builds the whole router. Routes are registered
//! through `utoipa-axum`, so the OpenAPI document is generated from the same handlers and
//! cannot drift from them.

pub mod admin;
pub mod annotations;
pub mod auth;
pub mod contacts;
pub mod documents;
pub mod files;
pub mod health;
pub mod openapi;
pub mod patients;
pub mod portal;
pub mod staff;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use clinicdocs_core::limits::{MAX_BATCH_FILES, MAX_FILE_BYTES_CEILING, MAX_SIGN_IN_BODY_BYTES};
use openapi::ApiDoc;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Multipart overhead allowed beyond the files themselves.
const FORM_SLACK: usize = 1024 * 1024;

pub fn app(state: AppState) -> Router {
    // Each clinic's own per-file limit is checked as the file arrives; this is the backstop.
    let max_file = state.professional.max_file_bytes.max(MAX_FILE_BYTES_CEILING) as usize;
    let single_upload = OpenApiRouter::new()
        .routes(routes!(documents::list_documents, documents::upload_document))
        .layer(DefaultBodyLimit::max(max_file + FORM_SLACK));
    let batch_upload = OpenApiRouter::new()
        .routes(routes!(documents::upload_batch))
        .layer(DefaultBodyLimit::max(max_file * MAX_BATCH_FILES + FORM_SLACK));
    let photos = OpenApiRouter::new()
        .routes(routes!(patients::put_patient_photo, patients::get_patient_photo))
        .routes(routes!(patients::put_practitioner_photo, patients::get_practitioner_photo))
        .layer(DefaultBodyLimit::max(state.professional.max_file_bytes as usize));
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(auth::login))
                .routes(routes!(auth::setup))
                .routes(routes!(auth::change_password))
                .layer(DefaultBodyLimit::max(MAX_SIGN_IN_BODY_BYTES)),
        )
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(patients::list_patients, patients::create_patient))
        .routes(routes!(patients::get_patient, patients::patch_patient))
        .routes(routes!(patients::list_practitioners))
        .routes(routes!(patients::list_visits, patients::create_visit))
        .merge(single_upload)
        .merge(batch_upload)
        .merge(photos)
        .routes(routes!(documents::get_document, documents::patch_document, documents::delete_document))
        .routes(routes!(documents::document_url))
        .routes(routes!(annotations::list_annotations, annotations::create_annotation))
        .routes(routes!(annotations::update_annotation, annotations::delete_annotation))
        .routes(routes!(admin::storage))
        .routes(routes!(admin::storage_report))
        .routes(routes!(admin::audit))
        .routes(routes!(staff::list_staff, staff::add_staff))
        .routes(routes!(staff::change_staff))
        .routes(routes!(staff::new_setup_code))
        .routes(routes!(staff::change_clinic))
        .routes(routes!(contacts::list_contacts, contacts::add_contact))
        .routes(routes!(contacts::change_contact, contacts::remove_contact))
        .routes(routes!(contacts::sharing_settings, contacts::change_sharing_settings))
        .routes(routes!(contacts::create_share, contacts::list_shares))
        .routes(routes!(contacts::revoke_share))
        .routes(routes!(contacts::resend_share))
        .routes(routes!(portal::share_page))
        .routes(routes!(portal::shared_document))
        .routes(routes!(portal::send_code))
        .routes(routes!(portal::verify_code))
        .split_for_parts();
    let api = Arc::new(openapi::complete(api));
    router
        .route("/files/{*key}", get(files::signed_file))
        .route("/api/v1/openapi.json", get(move || async move { Json(api.as_ref().clone()) }))
        .fallback(crate::extract::no_such_path)
        .method_not_allowed_fallback(crate::extract::no_such_method)
        .layer(axum::middleware::from_fn(crate::answers::stamp))
        .with_state(state)
}
