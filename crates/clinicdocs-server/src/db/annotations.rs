//! Annotation rows. Shape and style are stored as JSON text; `version` detects conflicting edits.

use super::{from_ms, ms, parse_uuid, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::annotation::{Shape, Style};
use clinicdocs_core::api::Annotation;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct AnnotationRow {
    pub id: String,
    pub document_id: String,
    pub page_number: i64,
    pub shape: String,
    pub style: String,
    pub body: Option<String>,
    pub created_by: String,
    pub created_by_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl AnnotationRow {
    pub fn to_api(&self) -> anyhow::Result<Annotation> {
        Ok(Annotation {
            id: parse_uuid(&self.id)?,
            document_id: parse_uuid(&self.document_id)?,
            page_number: self.page_number,
            shape: serde_json::from_str::<Shape>(&self.shape)?,
            style: serde_json::from_str::<Style>(&self.style)?,
            text: self.body.clone(),
            created_by: parse_uuid(&self.created_by)?,
            created_by_name: self.created_by_name.clone(),
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
            version: self.version,
        })
    }
}

const COLS: &str =
    "a.id, a.document_id, a.page_number, a.shape, a.style, a.body, a.created_by, u.name AS created_by_name, \
    a.created_at, a.updated_at, a.version";

pub struct NewAnnotationRow<'a> {
    pub id: String,
    pub org: &'a str,
    pub document: &'a str,
    pub page: i64,
    pub shape: &'a Shape,
    pub style: &'a Style,
    pub text: Option<&'a str>,
    pub by: &'a str,
    pub now: DateTime<Utc>,
}

impl Db {
    pub async fn annotations(&self, org: &str, document: &str) -> sqlx::Result<Vec<AnnotationRow>> {
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM annotations a JOIN users u ON u.id = a.created_by WHERE a.org_id = $1 AND a.document_id = $2 \
             ORDER BY a.page_number, a.created_at, a.id"
        ))
        .bind(org)
        .bind(document)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn annotation(&self, org: &str, id: &str) -> sqlx::Result<Option<AnnotationRow>> {
        sqlx::query_as(&format!(
            "SELECT {COLS} FROM annotations a JOIN users u ON u.id = a.created_by WHERE a.org_id = $1 AND a.id = $2"
        ))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Whether any clinic has an annotation with this id (a client-chosen id must be new).
    pub async fn annotation_id_taken(&self, id: &str) -> sqlx::Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM annotations WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
        Ok(n > 0)
    }

    pub async fn insert_annotation(&self, a: NewAnnotationRow<'_>) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO annotations (id, org_id, document_id, page_number, shape, style, body, created_by, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1)",
        )
        .bind(a.id)
        .bind(a.org)
        .bind(a.document)
        .bind(a.page)
        .bind(serde_json::to_string(a.shape)?)
        .bind(serde_json::to_string(a.style)?)
        .bind(a.text.map(str::to_string))
        .bind(a.by)
        .bind(ms(a.now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Updates when the stored version is still `version`; returns whether it did.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_annotation(
        &self,
        org: &str,
        id: &str,
        version: i64,
        shape: &Shape,
        style: &Style,
        text: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let r = sqlx::query(
            "UPDATE annotations SET shape = $1, style = $2, body = $3, updated_at = $4, version = version + 1 \
             WHERE org_id = $5 AND id = $6 AND version = $7",
        )
        .bind(serde_json::to_string(shape)?)
        .bind(serde_json::to_string(style)?)
        .bind(text.map(str::to_string))
        .bind(ms(now))
        .bind(org)
        .bind(id)
        .bind(version)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes the annotation; with `version`, only if it is still at that version.
    pub async fn delete_annotation(&self, org: &str, id: &str, version: Option<i64>) -> sqlx::Result<bool> {
        let r = match version {
            Some(v) => {
                sqlx::query("DELETE FROM annotations WHERE org_id = $1 AND id = $2 AND version = $3")
                    .bind(org)
                    .bind(id)
                    .bind(v)
                    .execute(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM annotations WHERE org_id = $1 AND id = $2")
                    .bind(org)
                    .bind(id)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(r.rows_affected() == 1)
    }
}
