//! The IPC contract, generated from Rust into `ui/src/lib/bindings.ts`: the TypeScript of every
//! type crossing IPC (ts-rs), every command with its argument names and types and what it
//! answers (read from the `#[tauri::command]` functions themselves, and checked against the
//! handler list in `lib.rs`), every event with its payload (`events.rs`), and the table of
//! sizes the window's byte formatter is tested against. The test `bindings_file_is_current`
//! fails when the checked-in file is stale;
//! `CLINICDOCS_WRITE_BINDINGS=1 cargo test -p clinicdocs-desktop bindings` rewrites it.

#[cfg(test)]
mod tests {
    use crate::commands::{bulk_import, export};
    use crate::settings::RecentPatient;
    use crate::{error, events, file_check, queue, scanner};
    use clinicdocs_core::{annotation, api, audit, limits, Category, Role};
    use std::collections::BTreeSet;
    use std::path::Path;
    use ts_rs::{Config, TS};

    macro_rules! decls {
        ($cfg:expr; $($t:ty),* $(,)?) => {{
            let mut out = String::new();
            let mut names = BTreeSet::new();
            $(
                out.push_str("export ");
                out.push_str(&<$t as TS>::decl($cfg));
                out.push_str("\n\n");
                names.insert(<$t as TS>::ident($cfg));
            )*
            (out, names)
        }};
    }

    /// Why a Rust type that crosses IPC has no TypeScript.
    #[derive(Debug, thiserror::Error)]
    enum Untranslatable {
        #[error("{0} without its type argument")]
        MissingArgument(&'static str),
        #[error("{0} crosses IPC but has no generated TypeScript (add it to bindings.rs)")]
        Undeclared(String),
        #[error("unsupported type {0}")]
        Unsupported(String),
    }

    /// A Rust type as TypeScript, for a command's arguments and answer: the declared types by
    /// name, the rest by their JSON shape.
    fn ts_type(ty: &syn::Type, declared: &BTreeSet<String>) -> Result<String, Untranslatable> {
        use Untranslatable::*;
        match ty {
            syn::Type::Reference(r) => ts_type(&r.elem, declared),
            syn::Type::Tuple(t) if t.elems.is_empty() => Ok("null".into()),
            syn::Type::Path(p) => {
                let seg = p.path.segments.last().ok_or(MissingArgument("a path"))?;
                let name = seg.ident.to_string();
                let args: Vec<&syn::Type> = match &seg.arguments {
                    syn::PathArguments::AngleBracketed(a) => a
                        .args
                        .iter()
                        .filter_map(|g| if let syn::GenericArgument::Type(t) = g { Some(t) } else { None })
                        .collect(),
                    _ => Vec::new(),
                };
                Ok(match name.as_str() {
                    "String" | "str" | "Uuid" | "PathBuf" => "string".into(),
                    "bool" => "boolean".into(),
                    "u8" | "u16" | "u32" | "u64" | "i32" | "i64" | "f64" | "usize" => "number".into(),
                    "Vec" => format!("Array<{}>", ts_type(args.first().ok_or(MissingArgument("Vec"))?, declared)?),
                    "Option" => {
                        format!("{} | null", ts_type(args.first().ok_or(MissingArgument("Option"))?, declared)?)
                    }
                    "CommandResult" | "Result" => ts_type(args.first().ok_or(MissingArgument("Result"))?, declared)?,
                    n if declared.contains(n) => n.to_string(),
                    n => return Err(Undeclared(n.to_string())),
                })
            }
            other => Err(Unsupported(quote_of(other))),
        }
    }

    fn quote_of(ty: &syn::Type) -> String {
        use quote::ToTokens;
        ty.to_token_stream().to_string()
    }

    /// What the window never passes: Tauri hands these to the command itself.
    fn injected(ty: &syn::Type) -> bool {
        let t = match ty {
            syn::Type::Reference(r) => &*r.elem,
            t => t,
        };
        matches!(t, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| {
            matches!(s.ident.to_string().as_str(), "State" | "AppHandle" | "Window" | "WebviewWindow")
        }))
    }

    fn camel(snake: &str) -> String {
        let mut out = String::new();
        let mut up = false;
        for c in snake.chars() {
            if c == '_' {
                up = true;
            } else if up {
                out.extend(c.to_uppercase());
                up = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Every `#[tauri::command]` in `src/commands/`: `name: [args, answer]`.
    fn commands(declared: &BTreeSet<String>) -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
        let mut files: Vec<_> = std::fs::read_dir(&dir).expect("commands folder").flatten().map(|e| e.path()).collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let file = syn::parse_file(&std::fs::read_to_string(&f).expect("read")).expect("parse");
            for item in file.items {
                let syn::Item::Fn(func) = item else { continue };
                let is_command = func.attrs.iter().any(|a| {
                    let p = a.path();
                    p.segments.len() == 2 && p.segments[0].ident == "tauri" && p.segments[1].ident == "command"
                });
                // The end-to-end tests' seams are called by name from their scripts only.
                let e2e_only = func.attrs.iter().any(|a| {
                    use quote::ToTokens;
                    a.path().is_ident("cfg") && a.to_token_stream().to_string().contains("e2e")
                });
                if !is_command || e2e_only {
                    continue;
                }
                let name = func.sig.ident.to_string();
                let mut args = Vec::new();
                for input in &func.sig.inputs {
                    let syn::FnArg::Typed(pt) = input else { continue };
                    if injected(&pt.ty) {
                        continue;
                    }
                    let syn::Pat::Ident(id) = &*pt.pat else { panic!("{name}: an argument without a plain name") };
                    let ty = ts_type(&pt.ty, declared).unwrap_or_else(|e| panic!("{name}({}): {e}", id.ident));
                    args.push(format!("{}: {ty}", camel(&id.ident.to_string())));
                }
                let answer = match &func.sig.output {
                    syn::ReturnType::Default => "null".to_string(),
                    syn::ReturnType::Type(_, t) => ts_type(t, declared).unwrap_or_else(|e| panic!("{name}: {e}")),
                };
                let args = if args.is_empty() {
                    "Record<string, never>".to_string()
                } else {
                    format!("{{ {} }}", args.join("; "))
                };
                out.push((name, format!("[{args}, {answer}]")));
            }
        }
        out.sort();
        out
    }

    /// The commands `lib.rs` registers with `generate_handler!`.
    fn registered() -> BTreeSet<String> {
        let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).expect("lib.rs");
        // The staff build's list: the macro's, before the e2e build's extra seams (`$extra`).
        let list = lib.find("macro_rules! handler_with").expect("the handler_with! macro");
        let lib = &lib[list..];
        let start = lib.find("generate_handler![").expect("generate_handler!") + "generate_handler![".len();
        let end = start + lib[start..].find("$(").expect("end of the list");
        lib[start..end]
            .split(',')
            .map(|s| s.trim().rsplit("::").next().unwrap_or_default().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    fn render() -> String {
        let cfg = Config::default().with_large_int("number");
        let (body, declared) = decls!(&cfg;
            Category, Role, limits::Plan, limits::PlanLimits,
            api::ErrorCode, api::User, api::Org, api::Me, api::Patient, api::Sex, api::NewPatient, api::PatientPatch,
            api::Practitioner, api::NewVisit, api::Visit, api::Document,
            api::SortKey, api::SortOrder, api::DocumentPatch, api::StorageUsage, api::StorageReport, api::CategoryUsage, api::PatientUsage, api::SignedUrl,
            annotation::Point, annotation::Shape, annotation::Style, api::Annotation, api::NewAnnotation,
            api::AnnotationUpdate, api::StaffMember, api::NewStaff, api::StaffPatch, api::SetupCode, api::StaffAdded,
            api::ClinicPatch, audit::AuditAction, audit::AuditTarget, api::AuditEvent, api::AuditPage, api::AuditFormat,
            api::AuditQuery, api::Contact, api::ContactPatch, api::NewContact, api::NewShare, api::Share, api::ShareState, api::RecipientKind,
            api::SharedDocument, api::ShareSecurity, api::SharingSettings, api::SharingSettingsUpdate,
            error::LocalCode, error::CommandErrorCode, error::CommandError,
            crate::account::CategoryInfo, crate::account::RoleInfo, crate::account::AuditActionInfo, crate::account::AppInfo, crate::account::Permissions, crate::account::SessionInfo,
            crate::patient_files::PatientFile, RecentPatient,
            crate::document_list::DocumentItem, crate::document_list::DocumentFilter,
            file_check::FileCheck, queue::add::UploadRequest,
            queue::ItemState, queue::QueueItem, queue::Requeue,
            export::SavedFile,
            crate::bulk_import::Skipped, crate::bulk_import::ImportReview, bulk_import::ImportLimits, bulk_import::ImportFile,
            bulk_import::ImportRequest, scanner::watch::ScannedInbox, scanner::send::ScanPage, scanner::send::ScanRequest,
            queue::marks::MarkOp, queue::marks::MarkChangeState, queue::marks::MarkBody,
            queue::marks::MarkChange, queue::mark_sync::SavedMark,
            events::QueueProgress, events::MarksSyncedPayload, events::Unsent, events::ZipProgress,
            clinicdocs_core::media::spacing::PixelSpacing, crate::media::scale::ImageScale,
            clinicdocs_core::media::dicom::Window, clinicdocs_core::media::dicom::DicomDetails,
            clinicdocs_core::media::dicom::SpacingSource, crate::media::dicom::DicomView, crate::media::dicom::DicomAt,
        );
        let commands = commands(&declared);
        let typed: BTreeSet<String> = commands.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(typed, registered(), "every registered command is a #[tauri::command] in src/commands/, and back");
        let mut out = format!(
            "// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit by hand:\n\
             // CLINICDOCS_WRITE_BINDINGS=1 cargo test -p clinicdocs-desktop bindings\n\n{}\n\n",
            body.trim_end()
        );
        out.push_str("/** Every command: the arguments the window passes (by name) and what it answers. */\nexport type Commands = {\n");
        for (name, sig) in &commands {
            out.push_str(&format!("  {name}: {sig};\n"));
        }
        out.push_str("};\n\n/** Every event the app sends the window, and its payload. */\nexport type Events = {\n");
        for (name, payload) in events::all(&cfg) {
            out.push_str(&format!("  \"{name}\": {payload};\n"));
        }
        out.push_str(
            "};\n\n/** Sizes and how the shared crate writes them: `formatBytes` must write them alike. */\n\
             export const BYTE_SAMPLES: Array<[number, string]> = [\n",
        );
        for (n, s) in limits::byte_samples() {
            out.push_str(&format!("  [{n}, \"{s}\"],\n"));
        }
        out.push_str("];\n");
        out
    }

    #[test]
    fn bindings_file_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
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

    #[test]
    fn rust_argument_names_become_the_names_the_window_passes() {
        assert_eq!(camel("patient_id"), "patientId");
        assert_eq!(camel("zip_name"), "zipName");
        assert_eq!(camel("id"), "id");
    }
}
