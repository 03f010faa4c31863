//! Document metadata rows: read one, edit one and delete one (each in one transaction with its
//! audit event and its visit's count), usage figures for the storage report, and every key the
//! store should hold. Listing is [`super::listing`]; an upload's commit is
//! [`super::upload_commit`].

use super::audit::{insert_event, NewAuditEvent};
use super::columns::{Columns, Reader};
use super::sql::Bind;
use super::{ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::Document;
use clinicdocs_core::{natural_order, Category};
use sqlx::any::AnyRow;
use uuid::Uuid;

/// A document: what the API shows of it, and what only the server keeps.
#[derive(Debug, Clone)]
pub struct DocumentRow {
    pub doc: Document,
    pub storage_key: String,
    pub thumb_key: Option<String>,
    pub idempotency_key: Option<String>,
    pub deleted_at: Option<i64>,
}

/// A document row's columns (SQL expression, name), in the order [`DocumentRow::read`] reads
/// them; `d.` is the documents table, `u.` its uploader.
pub const DOCUMENT_COLUMNS: [(&str, &str); 19] = [
    ("d.id", "id"),
    ("d.org_id", "org_id"),
    ("d.patient_id", "patient_id"),
    ("d.encounter_id", "encounter_id"),
    ("d.title", "title"),
    ("d.category", "category"),
    ("d.content_type", "content_type"),
    ("d.file_size", "file_size"),
    ("d.sha256", "sha256"),
    ("d.page_count", "page_count"),
    ("d.notes", "notes"),
    ("d.uploaded_by", "uploaded_by"),
    ("u.name", "uploaded_by_name"),
    ("d.created_at", "created_at"),
    ("d.updated_at", "updated_at"),
    ("d.storage_key", "storage_key"),
    ("d.thumb_key", "thumb_key"),
    ("d.idempotency_key", "idempotency_key"),
    ("d.deleted_at", "deleted_at"),
];

/// The `SELECT` list of a document row.
pub fn select_columns() -> String {
    DOCUMENT_COLUMNS.iter().map(|(e, n)| format!("{e} AS {n}")).collect::<Vec<_>>().join(", ")
}

/// The tables a document row is read from.
pub const FROM: &str = "documents d JOIN users u ON u.id = d.uploaded_by";

impl DocumentRow {
    pub fn read<C: Columns + ?Sized>(c: &C) -> sqlx::Result<DocumentRow> {
        let mut r = Reader::new(c);
        let (id, org_id, patient_id, encounter_id, title) = (r.uuid()?, r.uuid()?, r.uuid()?, r.opt_uuid()?, r.text()?);
        // A category this build does not know reads as "other" rather than failing the page.
        let category = Category::parse(&r.text()?).unwrap_or(Category::Other);
        let (content_type, file_size, sha256, page_count, notes) =
            (r.text()?, r.int()?, r.text()?, r.opt_int()?, r.opt_text()?);
        let (uploaded_by, uploaded_by_name, created_at, updated_at) = (r.uuid()?, r.text()?, r.time()?, r.time()?);
        let (storage_key, thumb_key, idempotency_key, deleted_at) =
            (r.text()?, r.opt_text()?, r.opt_text()?, r.opt_int()?);
        let doc = Document {
            id,
            org_id,
            patient_id,
            encounter_id,
            title,
            category,
            content_type,
            file_size,
            sha256,
            has_thumbnail: thumb_key.is_some(),
            page_count,
            notes,
            uploaded_by,
            uploaded_by_name,
            created_at,
            updated_at,
        };
        Ok(DocumentRow { doc, storage_key, thumb_key, idempotency_key, deleted_at })
    }

    pub fn category(&self) -> Category {
        self.doc.category
    }

    /// The table and columns a new row is inserted into, and its values in that order.
    pub const INSERT_COLUMNS: &'static str = "documents (id, org_id, patient_id, encounter_id, title, title_key, \
        category, content_type, storage_key, thumb_key, file_size, sha256, page_count, notes, uploaded_by, \
        idempotency_key, created_at, updated_at)";

    pub fn insert_values(&self) -> [Bind; 18] {
        let d = &self.doc;
        [
            Bind::S(d.id.to_string()),
            Bind::S(d.org_id.to_string()),
            Bind::S(d.patient_id.to_string()),
            Bind::OptS(d.encounter_id.map(|e| e.to_string())),
            Bind::S(d.title.clone()),
            Bind::S(natural_order::sort_key(&d.title)),
            Bind::S(d.category.as_str().to_string()),
            Bind::S(d.content_type.clone()),
            Bind::S(self.storage_key.clone()),
            Bind::OptS(self.thumb_key.clone()),
            Bind::I(d.file_size),
            Bind::S(d.sha256.clone()),
            Bind::OptI(d.page_count),
            Bind::OptS(d.notes.clone()),
            Bind::S(d.uploaded_by.to_string()),
            Bind::OptS(self.idempotency_key.clone()),
            Bind::I(ms(d.created_at)),
            Bind::I(ms(d.updated_at)),
        ]
    }
}

fn document(row: AnyRow) -> sqlx::Result<DocumentRow> {
    DocumentRow::read(&row)
}

/// The editable fields of a document, as they should become.
#[derive(Debug, Clone, Copy)]
pub struct DocumentEdit<'a> {
    pub title: &'a str,
    pub category: Category,
    pub visit: Option<Uuid>,
    pub notes: Option<&'a str>,
}

/// How an edit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    Edited,
    /// The new visit already holds the most documents a visit may.
    VisitFull,
    /// The document was deleted or relinked by someone else meanwhile.
    Changed,
}

/// The documents table.
pub struct Documents<'a>(pub(super) &'a Db);

impl Db {
    /// Documents: rows, edits, removal, listing.
    pub fn documents(&self) -> Documents<'_> {
        Documents(self)
    }
}

impl Documents<'_> {
    /// A live (not deleted) document of the clinic.
    pub async fn get(&self, org: Uuid, id: Uuid) -> sqlx::Result<Option<DocumentRow>> {
        let sql = format!(
            "SELECT {} FROM {FROM} WHERE d.org_id = $1 AND d.id = $2 AND d.deleted_at IS NULL",
            select_columns()
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.0.pool)
            .await?
            .map(document)
            .transpose()
    }

    /// The document stored under an idempotency key, deleted or not.
    pub async fn by_idempotency_key(&self, org: Uuid, key: &str) -> sqlx::Result<Option<DocumentRow>> {
        let sql = format!("SELECT {} FROM {FROM} WHERE d.org_id = $1 AND d.idempotency_key = $2", select_columns());
        sqlx::query(&sql).bind(org.to_string()).bind(key).fetch_optional(&self.0.pool).await?.map(document).transpose()
    }

    /// The live document whose original or thumbnail is stored under `key`.
    pub async fn by_object_key(&self, key: &str) -> sqlx::Result<Option<DocumentRow>> {
        let sql = format!(
            "SELECT {} FROM {FROM} WHERE (d.storage_key = $1 OR d.thumb_key = $1) AND d.deleted_at IS NULL",
            select_columns()
        );
        sqlx::query(&sql).bind(key).fetch_optional(&self.0.pool).await?.map(document).transpose()
    }

    /// Live PDFs without a thumbnail, oldest first, in every clinic: the server draws their
    /// tiles after the upload was answered (`pdf_thumbnails`).
    pub async fn pdfs_without_thumbnail(&self, limit: i64) -> sqlx::Result<Vec<DocumentRow>> {
        let sql = format!(
            "SELECT {} FROM {FROM} WHERE d.content_type = 'application/pdf' AND d.thumb_key IS NULL \
             AND d.deleted_at IS NULL ORDER BY d.created_at, d.id LIMIT $1",
            select_columns()
        );
        sqlx::query(&sql).bind(limit).fetch_all(&self.0.pool).await?.into_iter().map(document).collect()
    }

    /// Records the thumbnail drawn for a live document that had none. False when the document
    /// was deleted (or given one) meanwhile: the caller removes the object it stored.
    pub async fn set_thumbnail(&self, org: Uuid, id: Uuid, key: &str) -> sqlx::Result<bool> {
        let done = sqlx::query(
            "UPDATE documents SET thumb_key = $1 \
             WHERE org_id = $2 AND id = $3 AND deleted_at IS NULL AND thumb_key IS NULL",
        )
        .bind(key)
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&self.0.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Applies an edit to a live document in one transaction with its audit event: a new
    /// visit's slot is taken (unless that passes `max_per_visit`), the old visit's given back.
    pub async fn edit(
        &self,
        doc: &DocumentRow,
        e: &DocumentEdit<'_>,
        max_per_visit: i64,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<EditOutcome> {
        let (org, id) = (doc.doc.org_id.to_string(), doc.doc.id.to_string());
        let old = doc.doc.encounter_id;
        let mut tx = self.0.pool.begin().await?;
        if e.visit != old {
            if let Some(new) = e.visit {
                let taken = sqlx::query(
                    "UPDATE visits SET document_count = document_count + 1 \
                     WHERE org_id = $1 AND id = $2 AND document_count + 1 <= $3",
                )
                .bind(&org)
                .bind(new.to_string())
                .bind(max_per_visit)
                .execute(&mut *tx)
                .await?;
                if taken.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(EditOutcome::VisitFull);
                }
            }
        }
        // Only the document as it was read: a concurrent relink or delete is not overwritten.
        let updated = sqlx::query(
            "UPDATE documents SET title = $1, title_key = $2, category = $3, encounter_id = $4, notes = $5, updated_at = $6 \
             WHERE org_id = $7 AND id = $8 AND deleted_at IS NULL AND COALESCE(encounter_id, '') = $9",
        )
        .bind(e.title)
        .bind(natural_order::sort_key(e.title))
        .bind(e.category.as_str())
        .bind(e.visit.map(|v| v.to_string()))
        .bind(e.notes.map(str::to_string))
        .bind(ms(now))
        .bind(&org)
        .bind(&id)
        .bind(old.map(|v| v.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(EditOutcome::Changed);
        }
        if e.visit != old {
            if let Some(old) = old {
                release_visit_slot(&mut tx, &org, old).await?;
            }
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(EditOutcome::Edited)
    }

    /// Marks a document deleted and gives its bytes back to the clinic's pool and its visit's
    /// slot, in one transaction with its audit event. False when it was already deleted.
    pub async fn soft_delete(
        &self,
        doc: &DocumentRow,
        by: Uuid,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let org = doc.doc.org_id.to_string();
        let mut tx = self.0.pool.begin().await?;
        let r = sqlx::query(
            "UPDATE documents SET deleted_at = $1, deleted_by = $2, updated_at = $1 WHERE org_id = $3 AND id = $4 AND deleted_at IS NULL",
        )
        .bind(ms(now))
        .bind(by.to_string())
        .bind(&org)
        .bind(doc.doc.id.to_string())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE orgs SET used_bytes = used_bytes - $1 WHERE id = $2")
            .bind(doc.doc.file_size)
            .bind(&org)
            .execute(&mut *tx)
            .await?;
        if let Some(v) = doc.doc.encounter_id {
            release_visit_slot(&mut tx, &org, v).await?;
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Live documents and their bytes per category, largest first.
    pub async fn usage_by_category(&self, org: Uuid) -> sqlx::Result<Vec<(String, i64, i64)>> {
        sqlx::query_as(
            "SELECT category, COUNT(*), CAST(COALESCE(SUM(file_size), 0) AS BIGINT) FROM documents WHERE org_id = $1 AND deleted_at IS NULL \
             GROUP BY category ORDER BY 3 DESC, 1",
        )
        .bind(org.to_string())
        .fetch_all(&self.0.pool)
        .await
    }

    /// The `limit` patients whose live documents take the most: id, name, documents, bytes.
    pub async fn usage_top_patients(&self, org: Uuid, limit: i64) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
        sqlx::query_as(
            "SELECT d.patient_id, p.name, COUNT(*), CAST(COALESCE(SUM(d.file_size), 0) AS BIGINT) FROM documents d \
             JOIN patients p ON p.id = d.patient_id AND p.org_id = d.org_id \
             WHERE d.org_id = $1 AND d.deleted_at IS NULL GROUP BY d.patient_id, p.name ORDER BY 4 DESC, 1 LIMIT $2",
        )
        .bind(org.to_string())
        .bind(limit)
        .fetch_all(&self.0.pool)
        .await
    }

    /// Gives every document without a natural-order sort key its key (rows from before keys
    /// existed; see migration 0007), a batch at a time. Returns how many it filled.
    pub async fn fill_title_keys(&self) -> sqlx::Result<u64> {
        const BATCH: i64 = 500;
        let mut filled = 0;
        loop {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT id, title FROM documents WHERE title_key IS NULL LIMIT $1")
                    .bind(BATCH)
                    .fetch_all(&self.0.pool)
                    .await?;
            if rows.is_empty() {
                return Ok(filled);
            }
            let mut tx = self.0.pool.begin().await?;
            for (id, title) in &rows {
                sqlx::query("UPDATE documents SET title_key = $1 WHERE id = $2")
                    .bind(natural_order::sort_key(title))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            filled += rows.len() as u64;
        }
    }

    /// Live document count of a clinic.
    pub async fn count(&self, org: Uuid) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE org_id = $1 AND deleted_at IS NULL")
            .bind(org.to_string())
            .fetch_one(&self.0.pool)
            .await
    }

    /// Every object key the database knows: live originals and thumbnails, deleted ones (which
    /// live under the trash prefix), and profile images.
    pub async fn all_object_keys(&self) -> sqlx::Result<Vec<(String, bool)>> {
        let rows: Vec<(String, Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT storage_key, thumb_key, deleted_at FROM documents").fetch_all(&self.0.pool).await?;
        let mut keys = Vec::new();
        for (k, t, deleted) in rows {
            let live = deleted.is_none();
            keys.push((k, live));
            if let Some(t) = t {
                keys.push((t, live));
            }
        }
        for table in ["patients", "users"] {
            let rows: Vec<(Option<String>, Option<String>)> =
                sqlx::query_as(&format!("SELECT photo_key, photo_thumb_key FROM {table}"))
                    .fetch_all(&self.0.pool)
                    .await?;
            for (a, b) in rows {
                keys.extend(a.into_iter().chain(b).map(|k| (k, true)));
            }
        }
        Ok(keys)
    }
}

async fn release_visit_slot(tx: &mut sqlx::Transaction<'_, sqlx::Any>, org: &str, visit: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE visits SET document_count = document_count - 1 WHERE org_id = $1 AND id = $2 AND document_count > 0",
    )
    .bind(org)
    .bind(visit.to_string())
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_reads_every_listed_column() {
        let values: Vec<serde_json::Value> = DOCUMENT_COLUMNS
            .iter()
            .map(|(_, name)| match *name {
                "id" | "org_id" | "patient_id" | "uploaded_by" => serde_json::json!(Uuid::from_u128(7).to_string()),
                "encounter_id" | "page_count" | "notes" | "thumb_key" | "idempotency_key" | "deleted_at" => {
                    serde_json::Value::Null
                }
                "file_size" | "created_at" | "updated_at" => serde_json::json!(5),
                "category" => serde_json::json!("lab"),
                _ => serde_json::json!("text"),
            })
            .collect();
        let row = DocumentRow::read(&values[..]).expect("read");
        assert_eq!(row.doc.category, Category::Lab);
        assert!(!row.doc.has_thumbnail);
        assert!(DocumentRow::read(&values[..values.len() - 1]).is_err(), "a missing column fails");
        assert_eq!(row.insert_values().len(), DocumentRow::INSERT_COLUMNS.matches(',').count() + 1);
    }
}
