//! The `clinicdocs://` URI scheme: how rendered images reach the web view (the app's edge,
//! beside the commands). Paths:
//! `thumb/{document id}`, `original/{document id}`, `page/{document id}/{page}?w={pixels}` and
//! `preview/{preview id}` (a file chosen for upload, dropped or scanned, registered by id) and
//! `queued/{queue item id}` (the queue's own copy of a file not yet sent) and
//! `avatar/{patient id}` (the patient's photo, small) and `dicom/{document id}/{frame}?c=&w=`
//! (a DICOM frame at a window, or the file's own). Nothing else on disk can be named
//! through it.

use crate::error::{CommandError, CommandErrorCode, LocalCode};
use crate::media::thumbnail;
use crate::media::{self, source};
use crate::state::AppState;
use clinicdocs_core::api::ErrorCode;
use clinicdocs_core::limits::THUMBNAIL_EDGE;
use clinicdocs_core::media::dicom::Window;
use clinicdocs_core::media::FileKind;
use tauri::http::{header, Request, Response, StatusCode};
use uuid::Uuid;

pub const SCHEME: &str = "clinicdocs";

/// Longest side of images converted for the viewer.
const VIEWER_EDGE: u32 = 3000;

#[derive(Debug, PartialEq)]
enum Route {
    Thumb(Uuid),
    Original(Uuid),
    Page(Uuid, u16, u32),
    Preview(Uuid),
    Queued(Uuid),
    Avatar(Uuid),
    /// Frame (0-based) at a window (centre, width), or the file's own display.
    Dicom(Uuid, u32, Option<Window>),
}

fn parse(path: &str, query: Option<&str>) -> Option<Route> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    let parts: Vec<&str> = decoded.trim_matches('/').split('/').collect();
    let param = |name: &str| {
        query.into_iter().flat_map(|q| q.split('&')).find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    };
    let width = param("w").and_then(|w| w.parse().ok()).unwrap_or(1200);
    let number = |name: &str| param(name).and_then(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite());
    let window = match (number("c"), number("w")) {
        (Some(center), Some(width)) if width > 0.0 => Some(Window { center, width }),
        _ => None,
    };
    match parts.as_slice() {
        ["thumb", id] => Some(Route::Thumb(id.parse().ok()?)),
        ["original", id] => Some(Route::Original(id.parse().ok()?)),
        ["page", id, n] => Some(Route::Page(id.parse().ok()?, n.parse().ok().filter(|n| *n >= 1)?, width)),
        ["preview", id] => Some(Route::Preview(id.parse().ok()?)),
        ["queued", id] => Some(Route::Queued(id.parse().ok()?)),
        ["avatar", id] => Some(Route::Avatar(id.parse().ok()?)),
        ["dicom", id, frame] => Some(Route::Dicom(id.parse().ok()?, frame.parse().ok()?, window)),
        _ => None,
    }
}

pub async fn handle(state: &AppState, req: Request<Vec<u8>>) -> Response<Vec<u8>> {
    let Some(route) = parse(req.uri().path(), req.uri().query()) else {
        return text(StatusCode::NOT_FOUND, "no such picture");
    };
    match serve(state, route).await {
        Ok((mime, bytes)) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, mime)
            .header(header::CACHE_CONTROL, "no-store")
            .body(bytes)
            .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "response")),
        Err(e) => {
            let status = match e.code {
                CommandErrorCode::Api(ErrorCode::NotFound) => StatusCode::NOT_FOUND,
                CommandErrorCode::Api(ErrorCode::Unauthorized) | CommandErrorCode::Local(LocalCode::NotSignedIn) => {
                    StatusCode::UNAUTHORIZED
                }
                CommandErrorCode::Local(LocalCode::ServerUnreachable) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            text(status, &e.message)
        }
    }
}

async fn serve(state: &AppState, route: Route) -> Result<(String, Vec<u8>), CommandError> {
    let jpeg = |b: Vec<u8>| ("image/jpeg".to_string(), b);
    let src = state.media().await;
    let src = &src;
    match route {
        Route::Thumb(id) => {
            let doc = source::document(src, id).await?;
            source::thumb(src, &doc).await.map(jpeg)
        }
        Route::Original(id) => {
            let doc = source::document(src, id).await?;
            let bytes = source::original(src, &doc).await?;
            match FileKind::from_mime(&doc.content_type) {
                // TIFF and friends: the web view cannot draw them, so send a large JPEG.
                Some(k) if k.is_decodable_image() && !web_viewable(k) => {
                    let out = tokio::task::spawn_blocking(move || thumbnail::thumbnail(&bytes, k, VIEWER_EDGE))
                        .await
                        .map_err(|e| CommandError::local(LocalCode::PdfUnavailable, e.to_string()))?
                        .map_err(|e| CommandError::local(LocalCode::PdfUnavailable, e.to_string()))?;
                    Ok(jpeg(out))
                }
                _ => Ok((doc.content_type.clone(), bytes)),
            }
        }
        Route::Page(id, n, w) => {
            let doc = source::document(src, id).await?;
            source::page(src, &doc, n, w).await.map(jpeg)
        }
        Route::Preview(id) => {
            let path = state.previews.get(id);
            let path = path.ok_or_else(|| CommandError::api(ErrorCode::NotFound, "This file is no longer chosen."))?;
            local_thumbnail(&path).await
        }
        Route::Queued(id) => {
            // The spool holds only files not yet sent; a sent one answers 404 like any unknown
            // id, and so does another user's (their uploads wait for them, unseen by others).
            let session = state.active().await?;
            let item = state.queue.get(id).await?;
            match item {
                Some(i) if i.user_id == session.user_id() && i.server_url == session.server() => {
                    local_thumbnail(&state.queue.spool.path(id)).await
                }
                _ => Err(CommandError::api(ErrorCode::NotFound, "This file is no longer here.")),
            }
        }
        Route::Avatar(id) => crate::patient_photos::avatar(state, id).await.map(jpeg),
        Route::Dicom(id, frame, window) => {
            let doc = source::document(src, id).await?;
            let bmp = media::dicom::frame(src, &state.dicom_frames, &doc, frame, window).await?;
            Ok(("image/bmp".to_string(), bmp))
        }
    }
}

/// A thumbnail of a file on this computer, made here.
async fn local_thumbnail(path: &std::path::Path) -> Result<(String, Vec<u8>), CommandError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CommandError::api(ErrorCode::NotFound, "This file is no longer here."),
        _ => CommandError::file(path, &e),
    })?;
    let out = tokio::task::spawn_blocking(move || {
        let kind = clinicdocs_core::media::inspect_document(&bytes)?.kind;
        thumbnail::thumbnail(&bytes, kind, THUMBNAIL_EDGE)
            .map_err(|e| CommandError::local(LocalCode::PdfUnavailable, e.to_string()))
    })
    .await
    .map_err(|e| CommandError::local(LocalCode::PdfUnavailable, e.to_string()))??;
    Ok(("image/jpeg".to_string(), out))
}

fn text(status: StatusCode, msg: &str) -> Response<Vec<u8>> {
    let mut r = Response::new(msg.as_bytes().to_vec());
    *r.status_mut() = status;
    r
}

/// Whether `kind` can be shown as a picture by the web view itself.
fn web_viewable(kind: FileKind) -> bool {
    matches!(kind, FileKind::Jpeg | FileKind::Png | FileKind::Webp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_from_plain_and_percent_encoded_paths() {
        let id = Uuid::from_u128(42);
        assert_eq!(parse(&format!("/thumb/{id}"), None), Some(Route::Thumb(id)));
        assert_eq!(parse(&format!("/thumb%2F{id}"), None), Some(Route::Thumb(id)));
        assert_eq!(parse(&format!("/page/{id}/2"), Some("w=800")), Some(Route::Page(id, 2, 800)));
        assert_eq!(parse(&format!("/page%2F{id}%2F3"), None), Some(Route::Page(id, 3, 1200)));
        assert_eq!(parse(&format!("/queued/{id}"), None), Some(Route::Queued(id)));
        assert_eq!(parse(&format!("/avatar/{id}"), Some("v=2")), Some(Route::Avatar(id)));
        let lung = Window { center: -600.0, width: 1500.0 };
        assert_eq!(parse(&format!("/dicom/{id}/4"), Some("c=-600&w=1500")), Some(Route::Dicom(id, 4, Some(lung))));
        assert_eq!(parse(&format!("/dicom/{id}/0"), None), Some(Route::Dicom(id, 0, None)), "the file's own window");
        assert_eq!(parse(&format!("/dicom/{id}/0"), Some("c=40&w=0")), Some(Route::Dicom(id, 0, None)));
        assert_eq!(parse(&format!("/dicom/{id}/0"), Some("c=NaN&w=inf")), Some(Route::Dicom(id, 0, None)));
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(parse("/../../etc/passwd", None), None);
        assert_eq!(parse("/original/not-a-uuid", None), None);
        assert_eq!(parse(&format!("/page/{}/0", Uuid::nil()), None), None);
        assert_eq!(parse("/file/%2Fetc%2Fpasswd", None), None);
        assert_eq!(parse("/queued/..%2F..%2Fqueue.db", None), None);
        assert_eq!(parse("/avatar/..%2Fsettings.json", None), None);
        assert_eq!(parse(&format!("/dicom/{}/-1", Uuid::nil()), None), None);
    }
}
