//! Annotation rows. Shape and style are stored as JSON text; `version` detects conflicting edits.

use super::columns::{select_list, Reader};
use super::{ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::annotation::{Shape, Style};
use clinicdocs_core::api::Annotation;
use sqlx::any::AnyRow;
use uuid::Uuid;

/// An annotation row's columns, in the order [`read_annotation`] reads them (`a.` is the
/// annotations table, `u.` its author).
const ANNOTATION_COLUMNS: [&str; 11] = [
    "a.id",
    "a.document_id",
    "a.page_number",
    "a.shape",
    "a.style",
    "a.body",
    "a.created_by",
    "u.name",
    "a.created_at",
    "a.updated_at",
    "a.version",
];

fn read_annotation(row: AnyRow) -> sqlx::Result<Annotation> {
    let mut r = Reader::new(&row);
    Ok(Annotation {
        id: r.uuid()?,
        document_id: r.uuid()?,
        page_number: r.int()?,
        shape: r.json()?,
        style: r.json()?,
        text: r.opt_text()?,
        created_by: r.uuid()?,
        created_by_name: r.text()?,
        created_at: r.time()?,
        updated_at: r.time()?,
        version: r.int()?,
    })
}

/// A mark to insert.
pub struct NewMark<'a> {
    pub id: Uuid,
    pub org: Uuid,
    pub document: Uuid,
    pub page: i64,
    pub shape: &'a Shape,
    pub style: &'a Style,
    pub text: Option<&'a str>,
    pub by: Uuid,
    pub now: DateTime<Utc>,
}

/// The marks changed by one edit.
pub struct MarkEdit<'a> {
    pub shape: &'a Shape,
    pub style: &'a Style,
    pub text: Option<&'a str>,
}

fn json(v: &impl serde::Serialize) -> sqlx::Result<String> {
    serde_json::to_string(v).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// The annotations table.
pub struct Annotations<'a>(pub(super) &'a Db);

impl Db {
    /// Marks on documents.
    pub fn annotations(&self) -> Annotations<'_> {
        Annotations(self)
    }
}

impl Annotations<'_> {
    /// A document's marks, by page.
    pub async fn of_document(&self, org: Uuid, document: Uuid) -> sqlx::Result<Vec<Annotation>> {
        let sql = format!(
            "SELECT {} FROM annotations a JOIN users u ON u.id = a.created_by WHERE a.org_id = $1 AND a.document_id = $2 \
             ORDER BY a.page_number, a.created_at, a.id",
            select_list(&ANNOTATION_COLUMNS)
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(document.to_string())
            .fetch_all(&self.0.pool)
            .await?
            .into_iter()
            .map(read_annotation)
            .collect()
    }

    pub async fn get(&self, org: Uuid, id: Uuid) -> sqlx::Result<Option<Annotation>> {
        let sql = format!(
            "SELECT {} FROM annotations a JOIN users u ON u.id = a.created_by WHERE a.org_id = $1 AND a.id = $2",
            select_list(&ANNOTATION_COLUMNS)
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.0.pool)
            .await?
            .map(read_annotation)
            .transpose()
    }

    /// Whether any clinic has an annotation with this id (a client-chosen id must be new).
    pub async fn id_taken(&self, id: Uuid) -> sqlx::Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM annotations WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&self.0.pool)
            .await?;
        Ok(n > 0)
    }

    pub async fn insert(&self, a: &NewMark<'_>) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO annotations (id, org_id, document_id, page_number, shape, style, body, created_by, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1)",
        )
        .bind(a.id.to_string())
        .bind(a.org.to_string())
        .bind(a.document.to_string())
        .bind(a.page)
        .bind(json(a.shape)?)
        .bind(json(a.style)?)
        .bind(a.text.map(str::to_string))
        .bind(a.by.to_string())
        .bind(ms(a.now))
        .execute(&self.0.pool)
        .await
        .map(|_| ())
    }

    /// Updates when the stored version is still `version`; returns whether it did.
    pub async fn update(
        &self,
        org: Uuid,
        id: Uuid,
        version: i64,
        e: &MarkEdit<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let r = sqlx::query(
            "UPDATE annotations SET shape = $1, style = $2, body = $3, updated_at = $4, version = version + 1 \
             WHERE org_id = $5 AND id = $6 AND version = $7",
        )
        .bind(json(e.shape)?)
        .bind(json(e.style)?)
        .bind(e.text.map(str::to_string))
        .bind(ms(now))
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(version)
        .execute(&self.0.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes the annotation; with `version`, only if it is still at that version.
    pub async fn delete(&self, org: Uuid, id: Uuid, version: Option<i64>) -> sqlx::Result<bool> {
        let r = sqlx::query("DELETE FROM annotations WHERE org_id = $1 AND id = $2 AND ($3 < 0 OR version = $3)")
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(version.unwrap_or(-1))
            .execute(&self.0.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}
