//! A patient's photo: chosen from a file, checked here as the server would (the clinic's size
//! limit, a picture it can decode) so a wrong choice is named before anything is sent, then
//! sent; shown in the patient header as the server's small avatar, fetched through a fresh
//! signed link each time and never written to disk.

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::limits::messages;
use clinicdocs_core::media::{inspect_document, FileKind};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Asks for a picture and makes it the patient's photo. `false` when the user cancelled.
pub async fn choose(state: &AppState, patient_id: Uuid) -> CommandResult<bool> {
    let session = state.active().await?;
    let Some(path) = crate::dialogs::pick_photo().await else {
        return Ok(false);
    };
    let max = session.limits().max_file_bytes;
    let (bytes, kind) = tokio::task::spawn_blocking(move || read_photo(&path, max))
        .await
        .map_err(|e| CommandError::api(ErrorCode::Internal, e.to_string()))??;
    session.client.set_patient_photo(patient_id, bytes, kind.mime()).await?;
    Ok(true)
}

/// The patient's avatar as a JPEG; `not_found` when no photo was set.
pub async fn avatar(state: &AppState, patient_id: Uuid) -> CommandResult<Vec<u8>> {
    let client = state.active().await?.client;
    let links = client.patient_photo(patient_id).await?;
    client.fetch_signed(&links.avatar_url.url).await
}

/// The file's bytes and type when it is a photo the server will take, else why not.
fn read_photo(path: &PathBuf, max_bytes: u64) -> CommandResult<(Vec<u8>, FileKind)> {
    let size = std::fs::metadata(path).map_err(|e| CommandError::file(path, &e))?.len();
    if size > max_bytes {
        return Err(CommandError::api(ErrorCode::FileTooLarge, messages::file_too_large(Some(size), max_bytes)));
    }
    let bytes = std::fs::read(path).map_err(|e| CommandError::file(path, &e))?;
    let kind = inspect_document(&bytes)?.kind;
    if !kind.is_decodable_image() {
        return Err(not_a_photo(path));
    }
    Ok((bytes, kind))
}

fn not_a_photo(path: &Path) -> CommandError {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    CommandError::api(
        ErrorCode::UnsupportedType,
        format!("“{name}” is not a photo this app can use: choose a JPEG, PNG, TIFF or WebP picture."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write a test file");
        p
    }

    fn png() -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(8, 8, image::Rgb([200, 120, 80]))
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("encode a PNG");
        out.into_inner()
    }

    #[test]
    fn a_picture_within_the_limit_is_sent_with_its_type() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (bytes, kind) = read_photo(&write(dir.path(), "maria.png", &png()), 1 << 20).expect("a PNG is a photo");
        assert_eq!(kind, FileKind::Png);
        assert_eq!(bytes, png());
    }

    #[test]
    fn a_pdf_a_disguised_program_a_cut_picture_or_a_huge_file_is_named_before_sending() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pdf = write(dir.path(), "referral.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
        let e = read_photo(&pdf, 1 << 20).expect_err("refused");
        assert!(e.message.contains("“referral.pdf” is not a photo"), "{}", e.message);
        let exe = write(dir.path(), "photo.jpg", b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0");
        assert!(read_photo(&exe, 1 << 20).is_err(), "an executable named .jpg");
        let cut = write(dir.path(), "cut.png", &png()[..30]);
        assert!(read_photo(&cut, 1 << 20).is_err(), "a cut-short PNG");
        let big = write(dir.path(), "big.png", &png());
        let e = read_photo(&big, 10).expect_err("refused");
        assert_eq!(e.code, crate::error::CommandErrorCode::Api(ErrorCode::FileTooLarge));
    }
}
