//! A link's checks, before anything is shown: its token names a share (found by the token's
//! hash) whose email went out, that is not revoked and — unless opened — has not expired
//! unused, of a clinic still on a plan with documents. Every failure but expiry is the same
//! "not found".

use super::error::PortalError;
use crate::auth::token_hash;
use crate::db::orgs::OrgRow;
use crate::db::shares::ShareRow;
use crate::state::AppState;

/// A share's link tokens are 43 URL-safe base64 characters (32 random bytes); so are passes.
pub fn plausible(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A link that passed its checks: the share, its clinic, and the token's hash.
pub struct Checked {
    pub share: ShareRow,
    pub org: OrgRow,
    pub hash: String,
}

/// Checks the link `token` (noting nothing).
pub async fn check(state: &AppState, token: &str) -> Result<Checked, PortalError> {
    if !plausible(token) {
        return Err(PortalError::NotFound);
    }
    let hash = token_hash(token);
    let share = state.db.shares().by_token_hash(&hash).await?.ok_or(PortalError::NotFound)?;
    if share.revoked_at.is_some() || share.sent_at.is_none() {
        return Err(PortalError::NotFound);
    }
    if share.opened_at.is_none() && state.now() >= share.expires_unused_at {
        return Err(PortalError::Expired);
    }
    // A clinic gone, or no longer on a plan with documents, shares nothing.
    let org = state.db.orgs().get(share.org_id).await?.ok_or(PortalError::NotFound)?;
    if !state.limits(&org).documents_enabled {
        return Err(PortalError::NotFound);
    }
    Ok(Checked { share, org, hash })
}
