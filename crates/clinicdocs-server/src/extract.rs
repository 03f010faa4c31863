//! Request extractors whose every refusal is the API's error body `{"error": {code, message}}`
//! with a sentence a person can read — never the framework's plain-text rejection naming serde's
//! internals: a JSON body ([`Body`]), query parameters ([`Params`]) and path parameters
//! ([`PathParam`]); and the JSON answers to unknown paths and methods.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;

/// A JSON request body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// A request's query parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Params<T>(pub T);

/// A request's path parameters (ids in the address).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathParam<T>(pub T);

/// A multipart form (uploads).
pub struct Form(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        axum::extract::Multipart::from_request(req, state).await.map(Form).map_err(|_| {
            ApiError::UnsupportedMediaType(
                "Send the upload as multipart/form-data, its file in a part named 'file'.".into(),
            )
        })
    }
}

/// The innermost error's text, without serde_json's position suffix.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text = cur.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Names in backticks after `word` in a serde message: `expected one of `a`, `b`` → [a, b].
fn quoted_after<'m>(msg: &'m str, word: &str) -> Vec<&'m str> {
    let Some(i) = msg.find(word) else { return Vec::new() };
    msg[i + word.len()..].split('`').skip(1).step_by(2).collect()
}

fn first_quoted(msg: &str) -> &str {
    msg.split('`').nth(1).unwrap_or("")
}

/// serde's message as a sentence for the person at the screen. A leading `path: ` (where in
/// the body the value was) is said in words.
pub fn readable(msg: &str) -> String {
    if let Some((path, rest)) = msg.split_once(": ") {
        if !path.is_empty() && !path.contains(char::is_whitespace) && !rest.starts_with("unknown field") {
            return format!("{} (at '{path}')", readable(rest).trim_end_matches('.')) + ".";
        }
        if !path.contains(char::is_whitespace) && rest.starts_with("unknown field") {
            return readable(rest);
        }
    }
    let cut = |s: &str| s.chars().take(60).collect::<String>();
    if msg.starts_with("unknown variant") {
        let choices = quoted_after(msg, "expected");
        return format!("'{}' is not accepted here; use one of: {}.", cut(first_quoted(msg)), choices.join(", "));
    }
    if msg.starts_with("missing field") {
        return format!("The field '{}' is missing.", first_quoted(msg));
    }
    if msg.starts_with("unknown field") {
        return format!("The field '{}' is not part of this request.", cut(first_quoted(msg)));
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        return match rest.split_once(", expected ") {
            Some((got, want)) => format!("A value has the wrong type: {got} where {want} was expected."),
            None => format!("A value has the wrong type: {rest}."),
        };
    }
    if msg.contains("UUID") {
        return "An id is not valid (ids look like 6f2c5a57-5a4e-4e36-9d1b-3f4f1c2e9a10).".to_string();
    }
    let mut s = msg.to_string();
    if let Some(c) = s.get(..1) {
        s = c.to_uppercase() + &s[1..];
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match &r {
            JsonRejection::JsonDataError(e) => {
                ApiError::BadRequest(format!("The request does not fit: {}", readable(&innermost(e))))
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::BadRequest(format!("The request body is not valid JSON ({}).", innermost(e)))
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
                "Send the request body as JSON, with the header Content-Type: application/json.".into(),
            ),
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::TooLarge("The request body is larger than this address accepts.".into())
            }
            _ => ApiError::BadRequest("The request body could not be read. Try again.".into()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        match &r {
            QueryRejection::FailedToDeserializeQueryString(e) => {
                ApiError::BadRequest(format!("The address's query is not valid: {}", readable(&innermost(e))))
            }
            _ => ApiError::BadRequest("The address's query is not valid.".into()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        match &r {
            PathRejection::FailedToDeserializePathParams(e) => {
                ApiError::BadRequest(format!("The address is not valid: {}", readable(&innermost(e))))
            }
            _ => ApiError::BadRequest("The address is not valid.".into()),
        }
    }
}

/// The answer to a path the API does not have.
pub async fn no_such_path() -> ApiError {
    ApiError::NotFound("Page")
}

/// The answer to a method a path does not take.
pub async fn no_such_method() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn serde_messages_become_sentences() {
        assert_eq!(
            readable("unknown variant `circle`, expected one of `marker`, `drawing`, `text`"),
            "'circle' is not accepted here; use one of: marker, drawing, text."
        );
        assert_eq!(
            readable("unknown variant `sideways`, expected `date` or `name` or `uploader`"),
            "'sideways' is not accepted here; use one of: date, name, uploader."
        );
        assert_eq!(readable("missing field `password`"), "The field 'password' is missing.");
        assert_eq!(
            readable("unknown field `admin`, expected `email` or `password`"),
            "The field 'admin' is not part of this request."
        );
        assert_eq!(
            readable("invalid type: integer `5`, expected a string"),
            "A value has the wrong type: integer `5` where a string was expected."
        );
        assert!(readable("UUID parsing failed: invalid character").starts_with("An id is not valid"));
        assert_eq!(
            readable("date: unknown field `date`, expected `title`"),
            "The field 'date' is not part of this request."
        );
        assert_eq!(
            readable("kind: unknown variant `circle`, expected `marker` or `text`"),
            "'circle' is not accepted here; use one of: marker, text (at 'kind')."
        );
    }
}
