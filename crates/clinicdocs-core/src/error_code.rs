//! The machine-readable codes of every refusal and failure the API answers with. Clients
//! (the desktop app, tests) branch on them; the message beside each is for people.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error code the API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    InvalidCredentials,
    Forbidden,
    NotFound,
    Conflict,
    PlanRequired,
    QuotaExceeded,
    VisitLimitReached,
    FileTooLarge,
    EmptyFile,
    UnsupportedType,
    ExecutableRefused,
    PasswordProtectedPdf,
    CorruptFile,
    ImageTooLarge,
    InvalidName,
    IdempotencyConflict,
    BatchFailed,
    SignatureInvalid,
    LinkExpired,
    RangeNotSatisfiable,
    /// Too many failed attempts from this address or for this account: wait (Retry-After).
    TooManyAttempts,
    /// The path does not take this method.
    MethodNotAllowed,
    /// A request body over the size this path accepts.
    TooLarge,
    /// A new password too short or too common; the message says which.
    WeakPassword,
    /// A setup code that is wrong, used already, voided or expired.
    SetupCodeInvalid,
    /// The change would leave the clinic without an active administrator.
    LastAdmin,
    /// This server cannot send what is asked (no mail server or SMS gateway configured).
    NotConfigured,
    /// The mail server (or SMS gateway) refused or could not be reached; nothing was shared.
    SendFailed,
    /// The server is busy with other work of this kind (drawing pictures); try again shortly
    /// (`Retry-After` says when).
    Busy,
    Internal,
}
