//! What every answer carries: a request id (`X-Request-Id`, also on the request's log line and
//! on any error logged while it was handled), and on JSON — which carries patient data — the
//! headers that keep it out of caches and stop a browser from guessing another type. Debug
//! builds (the API suite's) can also record every answer's route and status, for the check
//! that the OpenAPI document lists every status a route answers.

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// Stamps the answer and logs one line for the request, with its id.
pub async fn stamp(req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %logged_path(req.uri().path()));
    let started = std::time::Instant::now();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let method = req.method().clone();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(REQUEST_ID, v);
    }
    let json =
        h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("application/json"));
    if json {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    }
    let status = resp.status().as_u16();
    span.in_scope(|| tracing::info!(status, ms = started.elapsed().as_millis() as u64, "answered"));
    if let Some(route) = route {
        record(method.as_str(), &route, status);
    }
    resp
}

/// The path as logged: a share link's token (a secret) is left out.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/share/") {
        Some(rest) => {
            let after = rest.find('/').map_or("", |i| &rest[i..]);
            format!("/share/…{after}").into()
        }
        None => path.into(),
    }
}

/// Appends `METHOD ROUTE STATUS` to the file `CLINICDOCS_RECORD_ANSWERS` names (debug builds
/// only; a release build records nothing).
fn record(method: &str, route: &str, status: u16) {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os("CLINICDOCS_RECORD_ANSWERS") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(format!("{method} {route} {status}\n").as_bytes());
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = (method, route, status);
}
