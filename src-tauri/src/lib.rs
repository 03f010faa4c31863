//! Clinic Documents desktop app: the Documents tab for the front desk and the consulting room.
//!
//! Layers, each depending only on those below it: the edge — `commands/` (thin Tauri
//! commands), `scheme` (pictures over `clinicdocs://`), `window` (events, title, background
//! work) — over `state` (what the running app holds), over the work itself — `queue` (durable
//! uploads and mark changes, and the loop that sends them), `scanner`, `bulk_import`,
//! `file_check`, `media`, `annotated`, `zip_export` — over `api_client`, `session`, `settings`,
//! `token_store`, `dialogs`, `events` and `error`.

pub mod account;
pub mod annotated;
pub mod api_client;
pub mod audit_trail;
mod bindings;
pub mod bulk_import;
pub mod commands;
pub mod dialogs;
pub mod display;
pub mod document_list;
pub mod error;
pub mod events;
pub mod file_check;
pub mod media;
pub mod patient_files;
pub mod patient_photos;
pub mod previews;
pub mod private_files;
pub mod queue;
pub mod scanner;
pub mod scheme;
pub mod session;
pub mod settings;
pub mod sharing;
pub mod staff;
pub mod state;
pub mod token_store;
pub mod window;
pub mod zip_export;

use commands::{
    annotations, bulk_import as import_cmd, documents, export, patients, queue as queue_cmd, scanner as scanner_cmd,
    session as session_cmd, sharing as sharing_cmd, staff as staff_cmd, upload,
};
use state::AppState;
use tauri::Manager;

/// Starts the app; returns when the last window closes.
pub fn run() {
    display::prepare();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("clinicdocs_desktop=info")),
        )
        .init();
    let result = tauri::Builder::default()
        .setup(|app| {
            let paths = app.path();
            let config_dir = paths.app_config_dir()?;
            let cache_dir = paths.app_cache_dir()?;
            if let Ok(lib) = paths.resolve(media::pdf::LIBRARY_FILE, tauri::path::BaseDirectory::Resource) {
                media::pdf::use_library(lib);
            }
            let queue_dir = paths.app_data_dir()?.join("queue");
            let queue = tauri::async_runtime::block_on(queue::Queue::open(&queue_dir))?;
            app.manage(AppState::new(config_dir, cache_dir, queue));
            window::start_background_work(app.handle());
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol(scheme::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                responder.respond(scheme::handle(&state, request).await);
            });
        })
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::CloseRequested { api, .. } => window::on_close_requested(window, api),
            tauri::WindowEvent::DragDrop(drop) => import_cmd::on_drag_drop(window, drop),
            _ => {}
        })
        .invoke_handler(handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Clinic Documents could not start: {e}");
        std::process::exit(1);
    }
}

/// The window's commands, with `$extra` added (the end-to-end build's seams).
macro_rules! handler_with {
    ($($extra:path),* $(,)?) => {
        tauri::generate_handler![
            session_cmd::app_info,
            session_cmd::restore_session,
            session_cmd::sign_in,
            session_cmd::sign_out,
            session_cmd::first_sign_in,
            session_cmd::change_password,
            staff_cmd::list_staff,
            staff_cmd::add_staff,
            staff_cmd::change_staff,
            staff_cmd::new_setup_code,
            staff_cmd::change_clinic,
            staff_cmd::audit_page,
            staff_cmd::export_audit,
            patients::find_patients,
            patients::open_patient,
            patients::recent_patients,
            patients::register_patient,
            patients::patient_namesakes,
            patients::update_patient,
            patients::practitioners,
            patients::open_visit,
            patients::choose_patient_photo,
            documents::list_documents,
            documents::storage_usage,
            documents::storage_report,
            documents::update_document,
            documents::delete_document,
            documents::pdf_page_count,
            documents::dicom_view,
            upload::pick_files,
            upload::check_file,
            queue_cmd::queue_upload,
            queue_cmd::queue_items,
            queue_cmd::queue_discard,
            queue_cmd::queue_resend,
            queue_cmd::close_anyway,
            import_cmd::check_import,
            import_cmd::queue_import,
            import_cmd::cancel_import,
            scanner_cmd::scanned_files,
            scanner_cmd::pick_scanner_folder,
            scanner_cmd::queue_scanned,
            annotations::list_annotations,
            annotations::create_annotation,
            annotations::update_annotation,
            annotations::delete_annotation,
            annotations::mark_changes,
            annotations::image_scale,
            annotations::discard_mark_change,
            export::save_document,
            export::download_all,
            export::export_annotated,
            sharing_cmd::list_contacts,
            sharing_cmd::add_contact,
            sharing_cmd::change_contact,
            sharing_cmd::remove_contact,
            sharing_cmd::share_documents,
            sharing_cmd::document_shares,
            sharing_cmd::patient_shares,
            sharing_cmd::resend_share,
            sharing_cmd::revoke_share,
            sharing_cmd::sharing_settings,
            sharing_cmd::change_sharing_settings,
            $($extra,)*
        ]
    };
}

/// Every command the window may call.
#[cfg(not(feature = "e2e"))]
fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    handler_with!()
}

/// The same, and the end-to-end tests' drop (builds made for them only).
#[cfg(feature = "e2e")]
fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    handler_with!(import_cmd::test_drop)
}
