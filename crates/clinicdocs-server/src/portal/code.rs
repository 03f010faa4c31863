//! The SMS step, for a clinic whose share security is `sms`: before anything is shown, the
//! recipient has a 6-digit code texted to the mobile number the clinic holds for them
//! (valid 10 minutes, single use, stored hashed, at most 3 an hour) and enters it; 5 wrong
//! tries void it, 15 over all of a link's codes lock the link until the clinic sends it again.
//! Codes are kept as an HMAC under the server's secret key, so the database alone gives none
//! away. A browser that entered it gets a pass (an HTTP-only cookie for that link only, kept
//! hashed on the server); another browser must pass the code again. Every code sent, failed to
//! send, or entered wrong is audited in the share's clinic.

use super::error::PortalError;
use super::link::{self, plausible, Checked};
use super::page::{CodeAsk, CodeStep};
use crate::auth::{new_token, token_hash};
use crate::db::audit::NewAuditEvent;
use crate::db::share_codes::CodeTry;
use crate::sms::{number_hint, sms_number};
use crate::state::AppState;
use clinicdocs_core::api::ShareSecurity;
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::limits::{SHARE_CODE_LINK_TRIES, SHARE_CODE_TTL, SHARE_PASS_TTL};
use rand::Rng;
use uuid::Uuid;

/// A pass the browser is to keep, and for how long.
pub struct Pass {
    pub value: String,
    pub max_age_secs: u64,
}

/// Whether the clinic `org` asks recipients for a code.
pub async fn required(state: &AppState, org: Uuid) -> Result<bool, PortalError> {
    Ok(state.db.shares().security(org).await? == ShareSecurity::Sms)
}

/// Whether the browser's `pass` lets it see the link `c`.
pub async fn passed(state: &AppState, c: &Checked, pass: Option<&str>) -> Result<bool, PortalError> {
    let Some(pass) = pass.filter(|p| plausible(p)) else { return Ok(false) };
    Ok(state.db.share_codes().has_pass(c.share.id, &c.hash, &token_hash(pass), state.now()).await?)
}

/// The stored form of `code` for `share`: keyed with the server's secret, because a million
/// codes are quickly tried against a plain hash by anyone who reads the database.
fn code_hash(secret: &[u8], share: Uuid, code: &str) -> String {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of any length, so this cannot fail; the key's strength is checked at start.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret) else { return String::new() };
    mac.update(format!("share-code\n{share}\n{code}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The code page's content for the share at `step`.
pub async fn ask(state: &AppState, c: &Checked, step: CodeStep) -> Result<PortalError, PortalError> {
    let number = c.share.recipient_phone.as_deref().and_then(sms_number);
    let now = state.now();
    let status = state.db.share_codes().status(c.share.id, now).await?;
    let step = match (&number, &state.sharing.sms) {
        (None, _) => CodeStep::NoPhone,
        (_, None) => CodeStep::NoGateway,
        _ if status.locked => CodeStep::Locked,
        _ => step,
    };
    Ok(PortalError::Code(Box::new(CodeAsk {
        clinic: c.org.name.clone(),
        hint: number.as_deref().map(number_hint),
        live: status.live,
        voided: status.voided,
        wait_minutes: status.next_send_at.map(|t| ((t - now).num_seconds() + 59) / 60),
        step,
    })))
}

fn event(c: &Checked, action: AuditAction, detail: String, addr: Option<String>) -> NewAuditEvent {
    NewAuditEvent {
        org_id: Some(c.share.org_id),
        target_id: Some(c.share.id.to_string()),
        detail: Some(detail),
        remote_addr: addr,
        ..NewAuditEvent::new(action, AuditTarget::Share)
    }
}

/// Texts a new code to the recipient of the link `token` (any earlier code stops working).
pub async fn send(state: &AppState, token: &str, addr: Option<String>) -> Result<(), PortalError> {
    let c = link::check(state, token).await?;
    if !required(state, c.org.id).await? {
        return Ok(());
    }
    let (Some(number), Some(gateway)) = (c.share.recipient_phone.as_deref().and_then(sms_number), &state.sharing.sms)
    else {
        return Err(ask(state, &c, CodeStep::Ask).await?);
    };
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000));
    let hash = code_hash(&state.secret, c.share.id, &code);
    let now = state.now();
    if !state.db.share_codes().renew(c.share.id, &hash, now, now + SHARE_CODE_TTL).await? {
        // Three sent this hour, or the link is locked (which `ask` says instead).
        return Err(ask(state, &c, CodeStep::TooMany).await?);
    }
    let text = format!(
        "{code} is your code to see the documents {} shared with you. It works for {} minutes. Do not give it to \
         anyone.",
        c.org.name,
        SHARE_CODE_TTL.as_secs() / 60
    );
    let to = format!("to {} ({})", number_hint(&number), c.share.recipient_email);
    match gateway.send(&number, &text).await {
        Ok(()) => {
            state.audit(event(&c, AuditAction::ShareCodeSent, to, addr)).await?;
            Ok(())
        }
        Err(e) => {
            state.db.share_codes().forget(c.share.id, &hash).await?;
            state.audit(event(&c, AuditAction::ShareCodeFailed, format!("could not be sent {to}: {e}"), addr)).await?;
            Err(ask(state, &c, CodeStep::SendFailed).await?)
        }
    }
}

/// Checks the code the recipient entered; right, the browser gets a pass (`None`: this
/// clinic asks for no code).
pub async fn verify(
    state: &AppState,
    token: &str,
    entered: &str,
    addr: Option<String>,
) -> Result<Option<Pass>, PortalError> {
    let c = link::check(state, token).await?;
    if !required(state, c.org.id).await? {
        return Ok(None);
    }
    let code: String = entered.chars().filter(|ch| !ch.is_whitespace() && *ch != '-').collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ask(state, &c, CodeStep::Malformed).await?);
    }
    let now = state.now();
    let wrong = |detail: String| event(&c, AuditAction::ShareCodeFailed, detail, addr.clone());
    match state.db.share_codes().try_code(c.share.id, &code_hash(&state.secret, c.share.id, &code), now).await? {
        CodeTry::Right => {
            // Opened from now (so the link cannot expire unused between the code and the page).
            if !state.db.shares().admit(c.share.id, &c.hash, now).await? {
                return Err(PortalError::NotFound);
            }
            let (value, hash) = new_token();
            state.db.share_codes().add_pass(c.share.id, &c.hash, &hash, now, now + SHARE_PASS_TTL).await?;
            Ok(Some(Pass { value, max_age_secs: SHARE_PASS_TTL.as_secs() }))
        }
        CodeTry::Wrong(left) => {
            state.audit(wrong(format!("a wrong code was entered ({left} tries left)"))).await?;
            Err(ask(state, &c, CodeStep::Wrong(left)).await?)
        }
        CodeTry::Voided => {
            state.audit(wrong("a wrong code was entered; too many wrong tries voided the code".into())).await?;
            Err(ask(state, &c, CodeStep::Voided).await?)
        }
        CodeTry::LockedNow => {
            let detail = format!(
                "a wrong code was entered; after {SHARE_CODE_LINK_TRIES} wrong codes the link is locked until the clinic \
                 sends it again"
            );
            state.audit(wrong(detail)).await?;
            Err(ask(state, &c, CodeStep::Locked).await?)
        }
        CodeTry::NoCode => Err(ask(state, &c, CodeStep::NoCode).await?),
        CodeTry::Locked => Err(ask(state, &c, CodeStep::Locked).await?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_code_cannot_be_found_again_without_the_servers_key() {
        let share = Uuid::new_v4();
        let key = [7u8; 32];
        let stored = code_hash(&key, share, "042917");
        // What the server compares: the same code on the same share under the same key.
        assert_eq!(stored, code_hash(&key, share, "042917"));
        assert_ne!(stored, code_hash(&key, share, "042918"));
        assert_ne!(stored, code_hash(&key, Uuid::new_v4(), "042917"), "a code is bound to its share");
        // Whoever holds only the database cannot try the million codes against it: the value is
        // not the plain hash kept before (SHA-256 of share and code), and another key gives another.
        assert_ne!(stored, token_hash(&format!("{share}:042917")));
        assert_ne!(stored, code_hash(&[8u8; 32], share, "042917"));
        assert_eq!(stored.len(), 64);
    }
}
