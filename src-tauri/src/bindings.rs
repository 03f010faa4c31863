//! The TypeScript declarations of every type crossing IPC, generated from the Rust types into
//! `ui/src/lib/bindings.ts`. The test `bindings_file_is_current` fails when the checked-in file
//! is stale; `CLINICDOCS_WRITE_BINDINGS=1 cargo test -p clinicdocs-desktop bindings` rewrites it.

#[cfg(test)]
mod tests {
    use crate::commands::{annotations, bulk_import, documents, export, patients, queue, scanner, session, upload};
    use crate::error;
    use crate::settings::RecentPatient;
    use clinicdocs_core::{annotation, api, limits, Category, Role};
    use ts_rs::{Config, TS};

    macro_rules! decls {
        ($cfg:expr; $($t:ty),* $(,)?) => {{
            let mut out = String::new();
            $(
                out.push_str("export ");
                out.push_str(&<$t as TS>::decl($cfg));
                out.push_str("\n\n");
            )*
            out
        }};
    }

    fn render() -> String {
        let cfg = Config::default().with_large_int("number");
        let body = decls!(&cfg;
            Category, Role, limits::Plan,
            api::ErrorCode, api::User, api::Org, api::Me, api::Patient, api::Encounter, api::Document,
            api::SortKey, api::SortOrder, api::DocumentPatch, api::StorageUsage, api::StorageReport, api::CategoryUsage, api::PatientUsage, api::SignedUrl,
            annotation::Point, annotation::Shape, annotation::Style, api::Annotation, api::NewAnnotation,
            api::AnnotationUpdate,
            error::LocalCode, error::CommandErrorCode, error::CommandError,
            session::CategoryInfo, session::AppInfo, session::Permissions, session::SessionInfo,
            patients::PatientFile, RecentPatient,
            documents::DocumentItem, documents::DocumentFilter,
            upload::FileCheck, upload::UploadRequest,
            crate::queue::ItemState, crate::queue::QueueItem, crate::queue::Requeue, queue::QueueProgress, queue::Unsent,
            export::ZipProgress, export::SavedFile,
            crate::bulk_import::Skipped, bulk_import::ImportReview, bulk_import::ImportLimits, bulk_import::ImportFile,
            bulk_import::ImportRequest, scanner::ScannedInbox, scanner::ScanPage, scanner::ScanRequest,
            crate::queue::marks::MarkOp, crate::queue::marks::MarkChangeState, crate::queue::marks::MarkBody,
            crate::queue::marks::MarkChange, crate::queue::mark_sync::SavedMark, annotations::MarksSynced,
            clinicdocs_core::media::spacing::PixelSpacing, crate::media::scale::ImageScale,
        );
        format!(
            "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit by hand:\n\
             // CLINICDOCS_WRITE_BINDINGS=1 cargo test -p clinicdocs-desktop bindings\n\n{}",
            body.trim_end().to_string() + "\n"
        )
    }

    #[test]
    fn bindings_file_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
        let fresh = render();
        if std::env::var("CLINICDOCS_WRITE_BINDINGS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &fresh).expect("write bindings");
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == fresh,
            "ui/src/lib/bindings.ts is stale: run CLINICDOCS_WRITE_BINDINGS=1 cargo test -p clinicdocs-desktop bindings"
        );
    }
}
