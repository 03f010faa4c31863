//! Profile-image keys, kept on a patient's or a staff member's row alike.

use super::Db;
use uuid::Uuid;

/// Points the row `id` of `table` (`patients` or `users`) at new keys.
pub(super) async fn set(db: &Db, table: &'static str, org: Uuid, id: Uuid, key: &str, thumb: &str) -> sqlx::Result<()> {
    sqlx::query(&format!("UPDATE {table} SET photo_key = $1, photo_thumb_key = $2 WHERE org_id = $3 AND id = $4"))
        .bind(key)
        .bind(thumb)
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Whether `key` is a current profile image (or its avatar) of a row of `table`.
pub(super) async fn holds(db: &Db, table: &'static str, key: &str) -> sqlx::Result<bool> {
    let n: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE photo_key = $1 OR photo_thumb_key = $1"))
            .bind(key)
            .fetch_one(&db.pool)
            .await?;
    Ok(n > 0)
}
