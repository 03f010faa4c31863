//! The sharing portal over HTTP (`/share/{token}`, no bearer token): HTML pages and the shared
//! documents' bytes, with the portal's security headers on every answer. Refusals are pages
//! too; a link that does not work answers the same page whatever the reason.

use crate::client_addr::ClientAddr;
use crate::portal::{self, refusal_page, Body as Delivered, PortalError, Refusal, Variant, CSP};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use uuid::Uuid;

/// Headers every portal answer carries: no caching, no framing, no referrer, no type guessing.
fn secure(mut resp: Response, page: bool) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    if page {
        if let Ok(v) = HeaderValue::from_str(&CSP) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    resp
}

fn html(status: StatusCode, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    secure(resp, true)
}

fn refused(e: PortalError) -> Response {
    match e {
        PortalError::NotFound => html(StatusCode::NOT_FOUND, refusal_page(Refusal::NotFound, None)),
        PortalError::Expired => html(StatusCode::GONE, refusal_page(Refusal::Expired, None)),
        PortalError::NotShown(why) => {
            html(StatusCode::UNPROCESSABLE_ENTITY, refusal_page(Refusal::NotShown, Some(&why)))
        }
        PortalError::Busy => {
            let mut r = html(StatusCode::SERVICE_UNAVAILABLE, refusal_page(Refusal::Busy, None));
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
            r
        }
        PortalError::Api(e) => {
            tracing::error!(error = ?e, "the portal could not answer");
            html(StatusCode::INTERNAL_SERVER_ERROR, refusal_page(Refusal::Failed, None))
        }
    }
}

/// The documents a share holds: its page.
#[utoipa::path(get, path = "/share/{token}", tag = "portal", params(("token" = String, Path, description = "the link's token")),
    responses((status = 200, description = "the share's page", content_type = "text/html"),
        (status = 404, description = "no such link, or it no longer works", content_type = "text/html"),
        (status = 410, description = "the link expired unopened", content_type = "text/html")))]
pub async fn share_page(State(state): State<AppState>, Path(token): Path<String>, addr: ClientAddr) -> Response {
    match portal::open(&state, &token, addr.0).await {
        Ok(opened) => html(StatusCode::OK, portal::page(&opened, &token)),
        Err(e) => refused(e),
    }
}

/// One document of a share: `original` (to save), `view` (shown in the browser) or `pdf` (a
/// picture as a PDF).
#[utoipa::path(get, path = "/share/{token}/documents/{id}/{variant}", tag = "portal",
    params(("token" = String, Path), ("id" = Uuid, Path), ("variant" = String, Path, description = "original, view or pdf")),
    responses((status = 200, description = "the document's bytes"),
        (status = 404, description = "no such link or document", content_type = "text/html"),
        (status = 410, description = "the link expired unopened", content_type = "text/html"),
        (status = 422, description = "this document cannot be shown so; the original can be downloaded", content_type = "text/html"),
        (status = 503, description = "too many pictures being drawn; retry after `Retry-After`", content_type = "text/html")))]
pub async fn shared_document(
    State(state): State<AppState>,
    Path((token, id, variant)): Path<(String, String, String)>,
    addr: ClientAddr,
) -> Response {
    let (Ok(id), Some(variant)) = (Uuid::parse_str(&id), Variant::parse(&variant)) else {
        return refused(PortalError::NotFound);
    };
    let d = match portal::deliver(&state, &token, id, variant, addr.0).await {
        Ok(d) => d,
        Err(e) => return refused(e),
    };
    let (body, len) = match d.body {
        Delivered::Bytes(b) => {
            let n = b.len() as u64;
            (Body::from(b), n)
        }
        Delivered::Stored { got, size } => (Body::from_stream(got.into_stream()), size),
        // `deliver` opens every stored object it answers with.
        Delivered::Object { .. } => return refused(PortalError::NotFound),
    };
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    for (name, value) in [(header::CONTENT_TYPE, d.content_type), (header::CONTENT_DISPOSITION, d.disposition)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    h.insert(header::CONTENT_LENGTH, len.into());
    secure(resp, false)
}
