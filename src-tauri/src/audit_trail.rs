//! The clinic's audit trail for its administrators: pages of events as the server words them,
//! and the filtered events saved as a CSV file where the admin chooses.

use crate::dialogs;
use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use clinicdocs_core::api::{AuditPage, AuditQuery};
use std::path::PathBuf;

/// Events shown per page.
const PAGE: i64 = 100;

pub async fn page(state: &AppState, filter: AuditQuery) -> CommandResult<AuditPage> {
    state.active().await?.client.audit(&AuditQuery { limit: Some(PAGE), ..filter }).await
}

/// Asks where to save, then writes the server's CSV there (through a `.part` file, so a
/// half-written export never has the chosen name). `None` when the dialog was cancelled.
pub async fn export_csv(state: &AppState, filter: AuditQuery, today: &str) -> CommandResult<Option<PathBuf>> {
    let client = state.active().await?.client;
    let suggested = format!("Audit trail {today}.csv");
    let Some(dest) = dialogs::save_file("Save the audit trail", &suggested).await else { return Ok(None) };
    let bytes = client.audit_csv(&filter).await?;
    let tmp = dest.with_extension("part");
    std::fs::write(&tmp, &bytes)
        .and_then(|_| std::fs::rename(&tmp, &dest))
        .map_err(|e| CommandError::file(&dest, &e))?;
    Ok(Some(dest))
}
