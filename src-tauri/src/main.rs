//! Clinic Documents desktop app. For now a shell: one window, one command telling the UI which
//! server it talks to and which document types exist. The Documents tab, API client, offline
//! queue and media rendering arrive with the desktop issues.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clinicdocs_core::Category;
use serde::Serialize;

/// What the UI needs to draw its first screen.
#[derive(Debug, Serialize)]
struct AppInfo {
    version: &'static str,
    /// From `CLINICDOCS_SERVER_URL`, prefilled in the sign-in form.
    server_url: Option<String>,
    /// Every document type with its label, from the shared category list.
    categories: Vec<(&'static str, &'static str)>,
}

#[tauri::command]
fn app_info() -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        server_url: std::env::var("CLINICDOCS_SERVER_URL").ok().filter(|s| !s.trim().is_empty()),
        categories: Category::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
    }
}

fn main() {
    let result =
        tauri::Builder::default().invoke_handler(tauri::generate_handler![app_info]).run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Clinic Documents could not start: {e}");
        std::process::exit(1);
    }
}
