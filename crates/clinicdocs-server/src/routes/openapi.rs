//! The OpenAPI document: generated from the handlers (through `utoipa-axum`), completed with
//! the refusals every route shares, so clients can be generated from it. Every operation
//! documents, as the API's error body: `401` when it needs a session, `400` when it takes path
//! or query parameters, `400`/`413`/`415`/`422` when it takes a body, and `503` (too many
//! connections from one address, answered before any route). The suite checks, route by
//! route, that every status it sees is documented (`scripts/lib/openapi_contract.py`).

use super::files;
use clinicdocs_core::api::{AuditFormat, ErrorBody, SortKey, SortOrder, UrlVariant};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Clinic Documents API", version = "1", description = "Patient documents for clinics: upload, find, view, annotate."),
    modifiers(&BearerAuth),
    // Types the parameters refer to by name.
    components(schemas(AuditFormat, ErrorBody, SortKey, SortOrder, UrlVariant)),
    // `/files/{key}` takes a key with slashes, so it is routed as `/files/{*key}` and
    // documented here.
    paths(files::signed_file)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The router's document with the refusals every route shares (see the module) added where a
/// handler did not say more.
pub fn complete(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let shared_params = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
        for op in
            [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
        {
            let params = shared_params || path.contains('{') || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            add_refusals(op, params);
        }
    }
    openapi
}

fn add_refusals(op: &mut Operation, params: bool) {
    let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let body = op.request_body.is_some();
    let mut refusals = vec![("503", "too many connections from the caller's address; retry after `Retry-After`")];
    if signed_in {
        refusals.push(("401", "no session, or it ended: sign in again"));
    }
    if params || body {
        refusals.push(("400", "a malformed path or query parameter, or a malformed body"));
    }
    if body {
        refusals.extend([
            ("413", "the body is larger than allowed"),
            ("415", "the body is not of the type this route takes"),
            ("422", "the body is well-formed but its fields are not acceptable"),
        ]);
    }
    for (status, why) in refusals {
        op.responses.responses.entry(status.to_string()).or_insert_with(|| {
            ResponseBuilder::new()
                .description(why)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build()
                .into()
        });
    }
}
