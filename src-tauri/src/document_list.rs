//! A patient's documents as the window lists them — each with what the signed-in user may do
//! with it — the storage gauge and report, editing, deleting and PDF page counts; the listed
//! documents are remembered for the picture scheme.

use crate::error::CommandResult;
use crate::media::source;
use crate::state::AppState;
use clinicdocs_core::api::{
    Document, DocumentPatch, DocumentQuery, Me, SortKey, SortOrder, StorageReport, StorageUsage,
};
use clinicdocs_core::names;
use clinicdocs_core::policy::{self, Action};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// One row of the Documents tab: the document and what the signed-in user may do with it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DocumentItem {
    #[serde(flatten)]
    pub document: Document,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_annotate: bool,
}

impl DocumentItem {
    pub fn of(document: Document, me: &Me) -> Self {
        let role = me.user.role;
        let own = document.uploaded_by == me.user.id;
        let c = Some(document.category);
        DocumentItem {
            can_edit: policy::permits(role, Action::Edit, c, own),
            can_delete: policy::permits(role, Action::Delete, c, own),
            can_annotate: policy::permits(role, Action::Annotate, c, own),
            document,
        }
    }
}

/// The list's filters that the server applies; the type filter is applied in the UI so that
/// every type's count stays visible.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DocumentFilter {
    pub patient_id: Uuid,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
}

pub async fn list_documents(state: &AppState, filter: DocumentFilter) -> CommandResult<Vec<DocumentItem>> {
    let session = state.active().await?;
    let blank = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let query = DocumentQuery {
        patient_id: Some(filter.patient_id),
        from: blank(filter.from),
        to: blank(filter.to),
        sort: Some(filter.sort),
        order: Some(filter.order),
        ..Default::default()
    };
    let docs = session.client.all_documents(query).await?;
    state.documents.remember(&docs);
    Ok(docs.into_iter().map(|d| DocumentItem::of(d, &session.me)).collect())
}

pub async fn storage_usage(state: &AppState) -> CommandResult<StorageUsage> {
    state.active().await?.client.storage().await
}

/// What fills the clinic's pool, by type and by patient (admins).
pub async fn storage_report(state: &AppState) -> CommandResult<StorageReport> {
    state.active().await?.client.storage_report().await
}

/// Rename, change type, relink to another visit (or none), change notes.
pub async fn update_document(state: &AppState, id: Uuid, patch: DocumentPatch) -> CommandResult<DocumentItem> {
    let mut patch = patch;
    if let Some(t) = &patch.title {
        patch.title = Some(names::validate_title(t)?);
    }
    let session = state.active().await?;
    let doc = session.client.patch_document(id, &patch).await?;
    state.documents.remember(std::slice::from_ref(&doc));
    Ok(DocumentItem::of(doc, &session.me))
}

/// Soft delete (admins). The server frees the clinic's space and audits it.
pub async fn delete_document(state: &AppState, id: Uuid) -> CommandResult<()> {
    state.active().await?.client.delete_document(id).await?;
    state.documents.forget(id);
    Ok(())
}

/// How many pages a PDF has, for the viewer's page control.
pub async fn pdf_page_count(state: &AppState, id: Uuid) -> CommandResult<u16> {
    let src = state.media().await;
    let doc = source::document(&src, id).await?;
    source::page_count(&src, &doc).await
}
