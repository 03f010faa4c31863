//! The clinic's staff and settings, for its administrators: the list, adding someone (the
//! answer holds their one-time setup code, shown once and never kept here), renaming, changing
//! roles, ending or restoring access, new setup codes, the session idle timeout. Names and
//! emails are checked by the shared rules before anything is sent.

use crate::error::CommandResult;
use crate::state::AppState;
use clinicdocs_core::api::{ClinicPatch, NewStaff, Org, SetupCode, StaffAdded, StaffMember, StaffPatch};
use clinicdocs_core::credentials::normalise_email;
use clinicdocs_core::names::validate_person_name;
use uuid::Uuid;

pub async fn list(state: &AppState) -> CommandResult<Vec<StaffMember>> {
    state.active().await?.client.staff().await
}

pub async fn add(state: &AppState, new: NewStaff) -> CommandResult<StaffAdded> {
    let new = NewStaff { email: normalise_email(&new.email)?, name: validate_person_name(&new.name)?, role: new.role };
    state.active().await?.client.add_staff(&new).await
}

pub async fn change(state: &AppState, id: Uuid, patch: StaffPatch) -> CommandResult<StaffMember> {
    let patch = StaffPatch { name: patch.name.as_deref().map(validate_person_name).transpose()?, ..patch };
    state.active().await?.client.change_staff(id, &patch).await
}

pub async fn new_setup_code(state: &AppState, id: Uuid) -> CommandResult<SetupCode> {
    state.active().await?.client.new_setup_code(id).await
}

pub async fn change_clinic(state: &AppState, patch: ClinicPatch) -> CommandResult<Org> {
    state.active().await?.client.change_clinic(&patch).await
}
