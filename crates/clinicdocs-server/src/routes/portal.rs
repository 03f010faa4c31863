//! The sharing portal over HTTP (`/share/{token}`, no bearer token): HTML pages and the shared
//! documents' bytes, with the portal's security headers on every answer. Refusals are pages
//! too; a link that does not work answers the same page whatever the reason. Where the
//! clinic asks for a texted code, two plain form posts send it and check it, and the browser
//! that entered it keeps a pass cookie for that link alone.

use crate::client_addr::ClientAddr;
use crate::portal::{
    self, code_page, refusal_page, Body as Delivered, CodeAsk, CodeStep, PortalError, Refusal, Variant, CSP,
};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use uuid::Uuid;

/// The cookie a browser that entered the texted code keeps (scoped to its link's path).
const PASS_COOKIE: &str = "clinicdocs_pass";
/// The largest code form taken.
const MAX_FORM_BYTES: usize = 4096;

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

/// The code page for `ask`, with its status (and when to retry, after too many sends).
fn asked(ask: &CodeAsk, token: &str) -> Response {
    let status = StatusCode::from_u16(ask.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = html(status, code_page(ask, token));
    if let (CodeStep::TooMany, Some(m)) = (&ask.step, ask.wait_minutes) {
        if let Ok(v) = HeaderValue::from_str(&(m.max(1) * 60).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

fn refused(e: PortalError) -> Response {
    match e {
        // A document asked for without the code: the code is asked on the share's page.
        PortalError::Code(_) => html(StatusCode::FORBIDDEN, refusal_page(Refusal::CodeFirst, None)),
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
    responses((status = 200, description = "the share's page, or the page asking for the texted code", content_type = "text/html"),
        (status = 403, description = "the clinic asks for a texted code but has no mobile number for the recipient", content_type = "text/html"),
        (status = 503, description = "the clinic asks for a texted code but this server has no gateway to send it", content_type = "text/html"),
        (status = 404, description = "no such link, or it no longer works", content_type = "text/html"),
        (status = 410, description = "the link expired unopened", content_type = "text/html")))]
pub async fn share_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let pass = pass_cookie(&headers);
    let reloaded = query.is_some_and(|q| q.split('&').any(|p| p == "again"));
    match portal::open(&state, &token, pass.as_deref(), addr.0).await {
        Ok(opened) => html(StatusCode::OK, portal::page(&opened, &token)),
        // Arriving from the email (another site), the browser withholds its SameSite=Strict
        // pass: reload once from this site, where it is sent.
        Err(PortalError::Code(ask))
            if pass.is_none() && !reloaded && from_elsewhere(&headers) && ask.step == CodeStep::Ask =>
        {
            html(StatusCode::OK, portal::reload_page(&ask.clinic, &token))
        }
        Err(PortalError::Code(ask)) => asked(&ask, &token),
        Err(e) => refused(e),
    }
}

/// Whether the browser says the request was started by another site (a link in an email).
fn from_elsewhere(headers: &HeaderMap) -> bool {
    headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site")
}

/// The pass cookie the browser sent, if any.
fn pass_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == PASS_COOKIE)
        .map(|(_, value)| value.trim().to_string())
}

/// Sends the recipient a code by text message, then shows the page to enter it.
#[utoipa::path(post, path = "/share/{token}/code", tag = "portal", params(("token" = String, Path)),
    responses((status = 303, description = "sent; back to the share's page, which asks for it"),
        (status = 403, description = "posted from another site, or the clinic has no mobile number for the recipient", content_type = "text/html"),
        (status = 404, description = "no such link, or it no longer works", content_type = "text/html"),
        (status = 410, description = "the link expired unopened", content_type = "text/html"),
        (status = 429, description = "three codes were sent in the last hour; retry after `Retry-After`", content_type = "text/html"),
        (status = 502, description = "the text-message gateway failed", content_type = "text/html"),
        (status = 503, description = "this server has no text-message gateway", content_type = "text/html")))]
pub async fn send_code(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    if from_elsewhere(&headers) {
        return cross_site();
    }
    match portal::send_code(&state, &token, addr.0).await {
        Ok(()) => back_to_page(&token, None),
        Err(PortalError::Code(ask)) => asked(&ask, &token),
        Err(e) => refused(e),
    }
}

/// Checks the code the recipient entered (form field `code`); right, the browser gets its
/// pass and goes back to the documents.
#[utoipa::path(post, path = "/share/{token}/verify", tag = "portal", params(("token" = String, Path)),
    request_body(content_type = "application/x-www-form-urlencoded", description = "`code`: the 6 digits texted"),
    responses((status = 303, description = "right: the pass cookie is set; back to the documents"),
        (status = 400, description = "wrong, expired, used or voided code, or not 6 digits", content_type = "text/html"),
        (status = 403, description = "posted from another site", content_type = "text/html"),
        (status = 404, description = "no such link, or it no longer works", content_type = "text/html"),
        (status = 410, description = "the link expired unopened", content_type = "text/html"),
        (status = 413, description = "the form is too large", content_type = "text/html")))]
pub async fn verify_code(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    addr: ClientAddr,
    body: Body,
) -> Response {
    if from_elsewhere(&headers) {
        return cross_site();
    }
    let Ok(form) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return html(
            StatusCode::PAYLOAD_TOO_LARGE,
            refusal_page(Refusal::NotShown, Some("The form sent is too large.")),
        );
    };
    let code = url::form_urlencoded::parse(&form).find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
    match portal::verify_code(&state, &token, code.as_deref().unwrap_or(""), addr.0).await {
        Ok(pass) => back_to_page(&token, pass.map(|p| pass_header(&state, &token, &p))),
        Err(PortalError::Code(ask)) => asked(&ask, &token),
        Err(e) => refused(e),
    }
}

/// The `Set-Cookie` of a pass: this link's paths only, out of scripts' reach, never sent along
/// from another site, and over https only (but to this machine).
fn pass_header(state: &AppState, token: &str, pass: &portal::Pass) -> String {
    format!(
        "{PASS_COOKIE}={}; Path=/share/{token}; Max-Age={}; HttpOnly; SameSite=Strict{}",
        pass.value,
        pass.max_age_secs,
        if state.sharing.secure_cookies() { "; Secure" } else { "" }
    )
}

/// A form posted from another site does nothing.
fn cross_site() -> Response {
    html(StatusCode::FORBIDDEN, refusal_page(Refusal::CrossSite, None))
}

/// `303 See Other` back to the share's page (after a form), setting `cookie` if given.
fn back_to_page(token: &str, cookie: Option<String>) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("/share/{token}")) {
        h.insert(header::LOCATION, v);
    }
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::SET_COOKIE, v);
    }
    secure(resp, false)
}

/// One document of a share: `original` (to save), `view` (shown in the browser), `pdf` (a
/// picture as a PDF) or `page-N` (page N of a PDF, drawn by the server).
#[utoipa::path(get, path = "/share/{token}/documents/{id}/{variant}", tag = "portal",
    params(("token" = String, Path), ("id" = Uuid, Path), ("variant" = String, Path, description = "original, view, pdf, or page-N (page N from 1 of a PDF, drawn as a JPEG)")),
    responses((status = 200, description = "the document's bytes"),
        (status = 403, description = "the clinic asks for the texted code first", content_type = "text/html"),
        (status = 404, description = "no such link or document", content_type = "text/html"),
        (status = 410, description = "the link expired unopened", content_type = "text/html"),
        (status = 422, description = "this document cannot be shown so; the original can be downloaded", content_type = "text/html"),
        (status = 503, description = "too many pictures being drawn; retry after `Retry-After`", content_type = "text/html")))]
pub async fn shared_document(
    State(state): State<AppState>,
    Path((token, id, variant)): Path<(String, String, String)>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Response {
    let (Ok(id), Some(variant)) = (Uuid::parse_str(&id), Variant::parse(&variant)) else {
        return refused(PortalError::NotFound);
    };
    let d = match portal::deliver(&state, &token, id, variant, pass_cookie(&headers).as_deref(), addr.0).await {
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
