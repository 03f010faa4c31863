//! The one error type every command returns. It reaches the UI as `{code, message}`: `code` is
//! either an API error code passed through from the server or a code for something that went
//! wrong on this workstation; the UI branches on it and shows `message` as it is.

use clinicdocs_core::api::{ErrorBody, ErrorCode};
use serde::Serialize;
use ts_rs::TS;

/// Problems that happen on the workstation rather than on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LocalCode {
    /// No one is signed in (or the session was ended).
    NotSignedIn,
    /// The server could not be reached: network down, wrong address, server stopped.
    ServerUnreachable,
    /// The server address is not a valid http(s) URL.
    InvalidServerUrl,
    /// The OS keyring refused to store or read the token.
    Keyring,
    /// A local file could not be read or written.
    FileAccess,
    /// PDF pages cannot be rendered (the PDF engine is missing or the page is unreadable).
    PdfUnavailable,
    /// The server answered something this app does not understand.
    BadResponse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(untagged)]
pub enum CommandErrorCode {
    Api(ErrorCode),
    Local(LocalCode),
}

/// `{code, message}`: what every failed command answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: CommandErrorCode,
    pub message: String,
}

pub type CommandResult<T> = Result<T, CommandError>;

impl CommandError {
    pub fn local(code: LocalCode, message: impl Into<String>) -> Self {
        CommandError { code: CommandErrorCode::Local(code), message: message.into() }
    }

    pub fn api(code: ErrorCode, message: impl Into<String>) -> Self {
        CommandError { code: CommandErrorCode::Api(code), message: message.into() }
    }

    /// The server's error code, when this came from the server (or says what it would say).
    pub fn api_code(&self) -> Option<ErrorCode> {
        match self.code {
            CommandErrorCode::Api(c) => Some(c),
            CommandErrorCode::Local(_) => None,
        }
    }

    pub fn not_signed_in() -> Self {
        Self::local(LocalCode::NotSignedIn, "You are signed out. Sign in to continue.")
    }

    pub fn file(path: &std::path::Path, e: &std::io::Error) -> Self {
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "it is no longer there".to_string(),
            std::io::ErrorKind::PermissionDenied => "this computer does not allow reading it".to_string(),
            _ => e.to_string(),
        };
        Self::local(LocalCode::FileAccess, format!("Could not use the file “{name}”: {why}."))
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == CommandErrorCode::Api(code)
    }

    pub fn is_local(&self, code: LocalCode) -> bool {
        self.code == CommandErrorCode::Local(code)
    }
}

impl From<ErrorBody> for CommandError {
    fn from(b: ErrorBody) -> Self {
        CommandError::api(b.error.code, b.error.message)
    }
}

impl From<clinicdocs_core::media::MediaError> for CommandError {
    fn from(e: clinicdocs_core::media::MediaError) -> Self {
        CommandError::api(e.code(), e.to_string())
    }
}

impl From<clinicdocs_core::names::NameError> for CommandError {
    fn from(e: clinicdocs_core::names::NameError) -> Self {
        CommandError::api(ErrorCode::InvalidName, e.to_string())
    }
}

impl From<clinicdocs_core::credentials::EmailError> for CommandError {
    fn from(e: clinicdocs_core::credentials::EmailError) -> Self {
        CommandError::api(ErrorCode::BadRequest, e.to_string())
    }
}

impl From<crate::media::pdf::PdfError> for CommandError {
    fn from(e: crate::media::pdf::PdfError) -> Self {
        CommandError::local(LocalCode::PdfUnavailable, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_and_local_codes_serialise_to_the_same_flat_shape() {
        let api = serde_json::to_value(CommandError::api(ErrorCode::QuotaExceeded, "full")).expect("json");
        assert_eq!(api, serde_json::json!({"code": "quota_exceeded", "message": "full"}));
        let local = serde_json::to_value(CommandError::not_signed_in()).expect("json");
        assert_eq!(local["code"], "not_signed_in");
    }
}
