//! Signed download links to a document's bytes (the original or its thumbnail), valid for the
//! configured lifetime (five minutes by default). Each link handed out is audited.

use super::access::visible_document;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use clinicdocs_core::api::{SignedUrl, UrlVariant};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use uuid::Uuid;

pub async fn link(state: &AppState, caller: &Caller, id: Uuid, variant: UrlVariant) -> ApiResult<SignedUrl> {
    let row = visible_document(state, caller, id).await?;
    let key = match variant {
        UrlVariant::Original => row.storage_key.clone(),
        UrlVariant::Thumbnail => row.thumb_key.clone().ok_or(ApiError::NotFound("Thumbnail"))?,
    };
    let url = state.storage.signed_url(&key, state.now(), state.signed_url_ttl).await?;
    let mut event = caller.event(AuditAction::DocumentLinkIssued, AuditTarget::Document, Some(id.to_string()));
    event.detail = Some(format!("{variant:?} until {}", url.expires_at.to_rfc3339()).to_lowercase());
    state.audit(event).await?;
    Ok(url)
}
