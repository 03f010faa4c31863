//! Profile pictures of patients and practitioners: an uploaded picture is checked by its bytes,
//! resized to the profile size and an avatar, both stored, and the previous pair removed. Only
//! signed links to them leave the server.

use crate::auth::Caller;
use crate::drawing;
use crate::error::{ApiError, ApiResult};
use crate::patients::patient;
use crate::state::AppState;
use crate::upload::check::decode_in_budget;
use bytes::Bytes;
use clinicdocs_core::api::ProfileImage;
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::limits::{AVATAR_EDGE, PROFILE_EDGE};
use clinicdocs_core::media::image_file::THUMBNAIL_JPEG_QUALITY;
use clinicdocs_core::media::sniff::SNIFF_LEN;
use clinicdocs_core::media::{image_file, sniff, FileKind, MediaError};
use clinicdocs_core::policy::Action;
use clinicdocs_core::storage_key::{profile_key, thumbnail_key, ProfileKind};
use clinicdocs_core::Role;
use uuid::Uuid;

/// Whose picture it is, and the keys of the one it replaces.
struct Owner {
    kind: ProfileKind,
    id: Uuid,
    old: Vec<String>,
}

/// Resizes an uploaded profile picture and its avatar, stores both, removes the previous pair.
async fn replace(state: &AppState, caller: &Caller, owner: Owner, body: Bytes) -> ApiResult<ProfileImage> {
    let file_kind = sniff(&body[..body.len().min(SNIFF_LEN)])?;
    if !file_kind.is_decodable_image() {
        return Err(MediaError::Unsupported("not a JPEG, PNG, TIFF, WebP, BMP or HEIC picture").into());
    }
    // A HEIC photo is decoded by a drawing child (libheif is C++); its large picture is then a
    // JPEG the server reads itself.
    let (body, file_kind) = if file_kind == FileKind::Heic {
        let large = drawing::photo(body, PROFILE_EDGE, THUMBNAIL_JPEG_QUALITY).await;
        (Bytes::from(large.map_err(|e| e.into_upload_error("the HEIC photo"))?), FileKind::Jpeg)
    } else {
        (body, file_kind)
    };
    let (large, small) = decode_in_budget(move || {
        let img = image_file::decode(&body, file_kind)?;
        Ok((image_file::thumbnail_jpeg(&img, PROFILE_EDGE)?, image_file::thumbnail_jpeg(&img, AVATAR_EDGE)?))
    })
    .await?;
    let key = profile_key(caller.org_id(), owner.kind, owner.id, Uuid::new_v4(), "jpg");
    let thumb = thumbnail_key(&key);
    state.storage.put_bytes(&key, large, "image/jpeg", None).await?;
    if let Err(e) = state.storage.put_bytes(&thumb, small, "image/jpeg", None).await {
        state.storage.delete_all(std::slice::from_ref(&key)).await;
        return Err(e.into());
    }
    let saved = match owner.kind {
        ProfileKind::Patient => state.db.patients().set_photo(caller.org_id(), owner.id, &key, &thumb).await,
        ProfileKind::Practitioner => state.db.users().set_photo(caller.org_id(), owner.id, &key, &thumb).await,
    };
    if let Err(e) = saved {
        state.storage.delete_all(&[key, thumb]).await;
        return Err(e.into());
    }
    state.storage.delete_all(&owner.old).await;
    let target = match owner.kind {
        ProfileKind::Patient => AuditTarget::Patient,
        ProfileKind::Practitioner => AuditTarget::Practitioner,
    };
    state.audit(caller.event(AuditAction::ProfileImageSet, target, Some(owner.id.to_string()))).await?;
    urls(state, Some(key), Some(thumb)).await
}

async fn urls(state: &AppState, key: Option<String>, thumb: Option<String>) -> ApiResult<ProfileImage> {
    let (Some(k), Some(t)) = (key, thumb) else {
        return Err(ApiError::NotFound("Profile image"));
    };
    let now = state.now();
    Ok(ProfileImage {
        url: state.storage.signed_url(&k, now, state.signed_url_ttl).await?,
        avatar_url: state.storage.signed_url(&t, now, state.signed_url_ttl).await?,
    })
}

pub async fn set_patient_photo(state: &AppState, caller: &Caller, id: Uuid, body: Bytes) -> ApiResult<ProfileImage> {
    caller.check(state, Action::ManagePatients, None, false, (AuditTarget::Patient, Some(id.to_string()))).await?;
    let p = patient(state, caller, id).await?;
    let old = p.photo_key.into_iter().chain(p.photo_thumb_key).collect();
    replace(state, caller, Owner { kind: ProfileKind::Patient, id, old }, body).await
}

pub async fn patient_photo(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<ProfileImage> {
    let p = patient(state, caller, id).await?;
    urls(state, p.photo_key, p.photo_thumb_key).await
}

async fn practitioner(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<crate::db::users::UserRow> {
    match state.db.users().in_org(caller.org_id(), id).await? {
        Some(u) => Ok(u),
        None => Err(caller
            .refuse(state, AuditTarget::Practitioner, Some(id.to_string()), ApiError::NotFound("Practitioner"))
            .await),
    }
}

/// A practitioner's photo is set by the practitioner themself or an admin.
pub async fn set_practitioner_photo(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    body: Bytes,
) -> ApiResult<ProfileImage> {
    let u = practitioner(state, caller, id).await?;
    if u.user.id != caller.user_id() && caller.role() != Role::Admin {
        return Err(caller.refuse(state, AuditTarget::Practitioner, Some(id.to_string()), ApiError::forbidden()).await);
    }
    let old = u.photo_key.into_iter().chain(u.photo_thumb_key).collect();
    replace(state, caller, Owner { kind: ProfileKind::Practitioner, id, old }, body).await
}

pub async fn practitioner_photo(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<ProfileImage> {
    let u = practitioner(state, caller, id).await?;
    urls(state, u.photo_key, u.photo_thumb_key).await
}
