//! Getting documents out: one document through the native save dialog, one with its
//! annotations drawn on (PNG or PDF, made here), or every document of the filtered list as one
//! zip built here, with progress events.

use crate::dialogs;
use crate::error::{CommandError, CommandResult, LocalCode};
use crate::events::{self, ZipProgress, ZipProgressed};
use crate::media::dicom::{drawn_for_export, DicomAt};
use crate::media::source;
use crate::state::AppState;
use crate::zip_export::{UniqueNames, ZipBuilder};
use clinicdocs_core::media::FileKind;
use clinicdocs_core::names::download_file_name;
use serde::Serialize;
use tauri::{AppHandle, State};
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, TS)]
pub struct SavedFile {
    pub path: String,
    pub files: u32,
}

fn file_name_of(doc: &clinicdocs_core::api::Document) -> String {
    let ext = FileKind::from_mime(&doc.content_type).map(FileKind::ext).unwrap_or("bin");
    download_file_name(&doc.title, ext)
}

/// Saves one document where the user chooses. `None` when the dialog was cancelled.
#[tauri::command]
pub async fn save_document(state: State<'_, AppState>, id: Uuid) -> CommandResult<Option<SavedFile>> {
    let src = state.media().await;
    let doc = source::document(&src, id).await?;
    let Some(dest) = dialogs::save_file("Save document", &file_name_of(&doc)).await else { return Ok(None) };
    let bytes = source::original(&src, &doc).await?;
    let tmp = dest.with_extension("part");
    std::fs::write(&tmp, &bytes)
        .and_then(|_| std::fs::rename(&tmp, &dest))
        .map_err(|e| CommandError::file(&dest, &e))?;
    Ok(Some(SavedFile { path: dest.to_string_lossy().into_owned(), files: 1 }))
}

/// Saves the document with its annotations drawn on: an image as PNG (a multi-page TIFF's
/// `page`, from 1, with that page's marks), a PDF with the marks on its pages, a DICOM frame as
/// PNG at the window the viewer shows (`dicom`). `None` when the dialog was cancelled.
#[tauri::command]
pub async fn export_annotated(
    state: State<'_, AppState>,
    id: Uuid,
    dicom: Option<DicomAt>,
    page: Option<u16>,
) -> CommandResult<Option<SavedFile>> {
    let src = state.media().await;
    let doc = source::document(&src, id).await?;
    let kind = FileKind::from_mime(&doc.content_type);
    let ext = match kind {
        Some(FileKind::Pdf) => "pdf",
        Some(k) if k.is_decodable_image() || k == FileKind::Dicom => "png",
        _ => {
            return Err(CommandError::api(
                clinicdocs_core::api::ErrorCode::UnsupportedType,
                "Marks can be exported on pictures and PDFs only; use Download for this document.",
            ))
        }
    };
    // The marks as the viewer shows them, changes still waiting to be sent included.
    let session = state.active().await?;
    let marks = state.marks(&session).list(id, chrono::Utc::now()).await?;
    let suggested = download_file_name(&format!("{} - annotated", doc.title), ext);
    let Some(dest) = dialogs::save_file("Export with annotations", &suggested).await else { return Ok(None) };
    let bytes = source::original(&src, &doc).await?;
    let is_dicom = kind == Some(FileKind::Dicom);
    let out = tokio::task::spawn_blocking(move || match ext {
        "pdf" => crate::annotated::pdf::annotated_pdf(&bytes, &marks).map_err(CommandError::from),
        // At the frame and window the viewer shows (the file's own when it says nothing).
        _ if is_dicom => {
            let (image, scale) = drawn_for_export(&bytes, dicom.unwrap_or(DicomAt { frame: 0, window: None }))?;
            crate::annotated::png::paint_marks(image, &scale, &marks, 1)
                .map_err(|e| CommandError::local(LocalCode::FileAccess, e.to_string()))
        }
        _ => crate::annotated::png::annotated_png(&bytes, &marks, page.unwrap_or(1))
            .map_err(|e| CommandError::local(LocalCode::FileAccess, e.to_string())),
    })
    .await
    .map_err(|e| CommandError::local(LocalCode::FileAccess, e.to_string()))??;
    let tmp = dest.with_extension("part");
    std::fs::write(&tmp, &out).and_then(|_| std::fs::rename(&tmp, &dest)).map_err(|e| CommandError::file(&dest, &e))?;
    Ok(Some(SavedFile { path: dest.to_string_lossy().into_owned(), files: 1 }))
}

/// Downloads `ids` (in the list's order) into one zip. `None` when the dialog was cancelled.
#[tauri::command]
pub async fn download_all(
    app: AppHandle,
    state: State<'_, AppState>,
    ids: Vec<Uuid>,
    zip_name: String,
) -> CommandResult<Option<SavedFile>> {
    let suggested = download_file_name(&zip_name, "zip");
    let Some(dest) = dialogs::save_file("Save all documents as a zip", &suggested).await else { return Ok(None) };
    let mut zip = ZipBuilder::create(&dest).map_err(|e| CommandError::file(&dest, &e))?;
    let mut names = UniqueNames::default();
    let total = ids.len() as u32;
    let src = state.media().await;
    for (i, id) in ids.into_iter().enumerate() {
        let step = async {
            let doc = source::document(&src, id).await?;
            let bytes = source::original(&src, &doc).await?;
            let name = names.unique(&file_name_of(&doc));
            zip.add(&name, &bytes).map_err(|e| CommandError::file(&dest, &e))?;
            Ok::<_, CommandError>(doc.title)
        };
        match step.await {
            Ok(title) => {
                events::emit::<ZipProgressed, _>(&app, ZipProgress { done: i as u32 + 1, total, title });
            }
            Err(e) => {
                zip.abandon();
                return Err(e);
            }
        }
    }
    let path = zip.finish().map_err(|e| CommandError::file(&dest, &e))?;
    Ok(Some(SavedFile { path: path.to_string_lossy().into_owned(), files: total }))
}
