//! The clinic's external contacts. A removed contact keeps its row (marked removed), so shares
//! sent to it still name their recipient; lists and lookups see only current contacts.

use super::audit::{insert_event, NewAuditEvent};
use super::columns::{select_list, Reader};
use super::{ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::Contact;
use sqlx::any::AnyRow;
use uuid::Uuid;

/// A contact row's columns, in the order [`contact`] reads them.
const CONTACT_COLUMNS: [&str; 6] = ["id", "name", "organisation", "email", "phone", "created_at"];

fn contact(row: AnyRow) -> sqlx::Result<Contact> {
    let mut r = Reader::new(&row);
    Ok(Contact {
        id: r.uuid()?,
        name: r.text()?,
        organisation: r.opt_text()?,
        email: r.text()?,
        phone: r.opt_text()?,
        created_at: r.time()?,
    })
}

/// The contacts table.
pub struct Contacts<'a>(pub(super) &'a Db);

impl Db {
    pub fn contacts(&self) -> Contacts<'_> {
        Contacts(self)
    }
}

impl Contacts<'_> {
    /// The clinic's current contacts, by name.
    pub async fn list(&self, org: Uuid) -> sqlx::Result<Vec<Contact>> {
        let sql = format!(
            "SELECT {} FROM contacts WHERE org_id = $1 AND deleted_at IS NULL ORDER BY name_lower, id",
            select_list(&CONTACT_COLUMNS)
        );
        sqlx::query(&sql).bind(org.to_string()).fetch_all(&self.0.pool).await?.into_iter().map(contact).collect()
    }

    /// A current contact of the clinic `org` (another clinic's, or a removed one, finds nothing).
    pub async fn get(&self, org: Uuid, id: Uuid) -> sqlx::Result<Option<Contact>> {
        let sql = format!(
            "SELECT {} FROM contacts WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
            select_list(&CONTACT_COLUMNS)
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.0.pool)
            .await?
            .map(contact)
            .transpose()
    }

    /// Adds a contact with its audit event, in one transaction.
    pub async fn create(&self, org: Uuid, c: &Contact, event: &NewAuditEvent, now: DateTime<Utc>) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        sqlx::query(
            "INSERT INTO contacts (id, org_id, name, name_lower, organisation, email, phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.id.to_string())
        .bind(org.to_string())
        .bind(&c.name)
        .bind(c.name.to_lowercase())
        .bind(c.organisation.clone())
        .bind(&c.email)
        .bind(c.phone.clone())
        .bind(ms(c.created_at))
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await
    }

    /// Writes a contact's details as `c` has them, with its audit event; `false` when there is
    /// no such current contact.
    pub async fn update(
        &self,
        org: Uuid,
        c: &Contact,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let mut tx = self.0.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE contacts SET name = $1, name_lower = $2, organisation = $3, email = $4, phone = $5 \
             WHERE org_id = $6 AND id = $7 AND deleted_at IS NULL",
        )
        .bind(&c.name)
        .bind(c.name.to_lowercase())
        .bind(c.organisation.clone())
        .bind(&c.email)
        .bind(c.phone.clone())
        .bind(org.to_string())
        .bind(c.id.to_string())
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes a contact (its row stays for the shares sent to it), with its audit event.
    pub async fn remove(&self, org: Uuid, id: Uuid, event: &NewAuditEvent, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let mut tx = self.0.pool.begin().await?;
        let changed =
            sqlx::query("UPDATE contacts SET deleted_at = $1 WHERE org_id = $2 AND id = $3 AND deleted_at IS NULL")
                .bind(ms(now))
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        if changed.rows_affected() == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
