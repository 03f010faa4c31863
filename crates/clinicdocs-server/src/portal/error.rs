//! Why the portal refuses a request: the link does not work (one answer for every reason), it
//! expired unopened, a texted code is needed first, the document cannot be shown in the form asked, or the server failed.

use super::page::CodeAsk;
use crate::error::ApiError;

/// Why the portal refuses a request.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// No such link, or one that no longer works: answered alike.
    #[error("This link does not work.")]
    NotFound,
    #[error("This link has expired.")]
    Expired,
    /// The document cannot be shown in that form (the original can still be downloaded).
    #[error("{0}")]
    NotShown(String),
    /// The clinic asks for a texted code first; the page asks for it (or says why it cannot).
    #[error("A code is needed.")]
    Code(Box<CodeAsk>),
    /// Too many pictures are being drawn for recipients right now.
    #[error("The server is busy.")]
    Busy,
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sqlx::Error> for PortalError {
    fn from(e: sqlx::Error) -> Self {
        PortalError::Api(e.into())
    }
}
