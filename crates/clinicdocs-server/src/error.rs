//! The API error type: every failure a route can meet, mapped to one status and the one error
//! body `{ "error": { "code", "message" } }`. Server faults are logged and answered without
//! internal detail.

use crate::storage::{LinkError, StorageError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use clinicdocs_core::annotation::AnnotationError;
use clinicdocs_core::api::{ErrorBody, ErrorCode, ErrorDetail};
use clinicdocs_core::credentials::{EmailError, PasswordError, SETUP_CODE_TTL_HOURS};
use clinicdocs_core::limits::messages;
use clinicdocs_core::media::MediaError;
use clinicdocs_core::names::NameError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Sign in to continue.")]
    Unauthorized,
    #[error("The email or password is not right.")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found.")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{}", messages::plan_required())]
    PlanRequired,
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("{0}")]
    VisitLimit(String),
    #[error("{0}")]
    FileTooLarge(String),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Annotation(#[from] AnnotationError),
    #[error("This upload key was already used for a different file. Start a new upload.")]
    IdempotencyConflict,
    #[error("{0}")]
    BatchFailed(String),
    #[error("This link is not valid. Ask for a new link.")]
    SignatureInvalid,
    #[error("This link has expired. Open the document again to get a new link.")]
    LinkExpired,
    #[error("The requested byte range is outside the file.")]
    RangeNotSatisfiable { size: u64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("This address does not take that method.")]
    MethodNotAllowed,
    #[error("Too many sign-in attempts. Wait {} and try again.", wait_phrase(*retry_after_secs))]
    TooManyAttempts { retry_after_secs: u64 },
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error("This setup code does not work: it may be mistyped, used already, replaced by a newer one or older than {SETUP_CODE_TTL_HOURS} hours. Ask your clinic's administrator for a new one.")]
    SetupCodeInvalid,
    #[error("The clinic needs at least one active administrator. Make someone else an administrator first.")]
    LastAdmin,
    /// This server is not set up to send what is asked (mail server, SMS gateway).
    #[error("{0}")]
    NotConfigured(String),
    /// The mail server or SMS gateway refused or could not be reached.
    #[error("{0}")]
    SendFailed(String),
    /// Too much of this work is running already (the server's drawing processes).
    #[error("The server is busy with other pictures. Try again in a minute; nothing was stored.")]
    Busy,
    #[error("internal: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<LinkError> for ApiError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Invalid => ApiError::SignatureInvalid,
            LinkError::Expired => ApiError::LinkExpired,
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        use ApiError as E;
        match self {
            E::BadRequest(_) => ErrorCode::BadRequest,
            E::Unauthorized => ErrorCode::Unauthorized,
            E::InvalidCredentials => ErrorCode::InvalidCredentials,
            E::Forbidden(_) => ErrorCode::Forbidden,
            E::NotFound(_) => ErrorCode::NotFound,
            E::Conflict(_) => ErrorCode::Conflict,
            E::PlanRequired => ErrorCode::PlanRequired,
            E::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
            E::VisitLimit(_) => ErrorCode::VisitLimitReached,
            E::FileTooLarge(_) => ErrorCode::FileTooLarge,
            E::Media(m) => m.code(),
            E::Name(_) => ErrorCode::InvalidName,
            E::Annotation(_) => ErrorCode::BadRequest,
            E::IdempotencyConflict => ErrorCode::IdempotencyConflict,
            E::BatchFailed(_) => ErrorCode::BatchFailed,
            E::SignatureInvalid => ErrorCode::SignatureInvalid,
            E::LinkExpired => ErrorCode::LinkExpired,
            E::RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            E::UnsupportedMediaType(_) => ErrorCode::UnsupportedType,
            E::TooLarge(_) => ErrorCode::TooLarge,
            E::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            E::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            E::WeakPassword(_) => ErrorCode::WeakPassword,
            E::Email(_) => ErrorCode::BadRequest,
            E::SetupCodeInvalid => ErrorCode::SetupCodeInvalid,
            E::LastAdmin => ErrorCode::LastAdmin,
            E::NotConfigured(_) => ErrorCode::NotConfigured,
            E::Busy => ErrorCode::Busy,
            E::SendFailed(_) => ErrorCode::SendFailed,
            E::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        use ApiError as E;
        match self {
            E::BadRequest(_) | E::Name(_) | E::Annotation(_) | E::Email(_) => StatusCode::BAD_REQUEST,
            E::WeakPassword(_) => StatusCode::UNPROCESSABLE_ENTITY,
            E::SetupCodeInvalid => StatusCode::BAD_REQUEST,
            E::LastAdmin => StatusCode::CONFLICT,
            E::Unauthorized | E::InvalidCredentials => StatusCode::UNAUTHORIZED,
            E::Forbidden(_) | E::PlanRequired | E::SignatureInvalid | E::LinkExpired => StatusCode::FORBIDDEN,
            E::NotFound(_) => StatusCode::NOT_FOUND,
            E::Conflict(_) | E::VisitLimit(_) => StatusCode::CONFLICT,
            E::QuotaExceeded(_) | E::FileTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            E::Media(MediaError::Empty) => StatusCode::BAD_REQUEST,
            E::Media(MediaError::Executable(_) | MediaError::Unsupported(_) | MediaError::UnsupportedEncoding(_)) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            E::Media(_) | E::IdempotencyConflict | E::BatchFailed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            E::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            E::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            E::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            E::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            E::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            E::Busy => StatusCode::SERVICE_UNAVAILABLE,
            E::SendFailed(_) => StatusCode::BAD_GATEWAY,
            E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body staff and clients see; internal errors say nothing internal.
    pub fn detail(&self) -> ErrorDetail {
        let message = match self {
            ApiError::Internal(_) => {
                "Something went wrong on the server. Try again; if it keeps happening, tell your clinic's administrator."
                    .to_string()
            }
            other => other.to_string(),
        };
        ErrorDetail { code: self.code(), message }
    }

    pub fn forbidden() -> Self {
        ApiError::Forbidden("Your role does not allow this. Ask your clinic's administrator.".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let status = self.status();
        let mut resp = (status, Json(ErrorBody { error: self.detail() })).into_response();
        if let ApiError::RangeNotSatisfiable { size } = &self {
            if let Ok(v) = format!("bytes */{size}").parse() {
                resp.headers_mut().insert(axum::http::header::CONTENT_RANGE, v);
            }
        }
        if let ApiError::TooManyAttempts { retry_after_secs } = &self {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, (*retry_after_secs).into());
        }
        if let ApiError::Busy = &self {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, BUSY_RETRY_AFTER_SECS.into());
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// When a client told [`ApiError::Busy`] should try again.
const BUSY_RETRY_AFTER_SECS: u64 = 30;

/// "1 second", "30 seconds", "2 minutes".
fn wait_phrase(secs: u64) -> String {
    match secs {
        0 | 1 => "1 second".to_string(),
        s if s < 120 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}
