//! Shares and their documents, and the clinic's share security. A share's link token is kept
//! only as its SHA-256 hash; a share is found by that hash for the portal, and by id within
//! its clinic for the staff who made it.

use super::audit::{insert_event, NewAuditEvent};
use super::columns::{select_list, Reader};
use super::{from_ms, ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::api::{RecipientKind, ShareSecurity, SharedDocument};
use sqlx::any::AnyRow;
use uuid::Uuid;

/// A share as stored.
#[derive(Debug, Clone)]
pub struct ShareRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub patient_id: Uuid,
    pub recipient_kind: RecipientKind,
    pub recipient_id: Uuid,
    pub recipient_name: String,
    pub recipient_email: String,
    pub recipient_phone: Option<String>,
    pub created_by: Uuid,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub expires_unused_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A share row's columns (`s.` the share, `u.` who made it), in the order [`share`] reads them.
const SHARE_COLUMNS: [&str; 15] = [
    "s.id",
    "s.org_id",
    "s.patient_id",
    "s.recipient_kind",
    "s.recipient_id",
    "s.recipient_name",
    "s.recipient_email",
    "s.recipient_phone",
    "s.created_by",
    "u.name",
    "s.created_at",
    "s.sent_at",
    "s.expires_unused_at",
    "s.opened_at",
    "s.revoked_at",
];

const FROM: &str = "shares s JOIN users u ON u.id = s.created_by";

fn share(row: AnyRow) -> sqlx::Result<ShareRow> {
    let mut r = Reader::new(&row);
    Ok(ShareRow {
        id: r.uuid()?,
        org_id: r.uuid()?,
        patient_id: r.uuid()?,
        recipient_kind: r.parsed(RecipientKind::parse)?,
        recipient_id: r.uuid()?,
        recipient_name: r.text()?,
        recipient_email: r.text()?,
        recipient_phone: r.opt_text()?,
        created_by: r.uuid()?,
        created_by_name: r.text()?,
        created_at: r.time()?,
        sent_at: r.opt_int()?.map(from_ms),
        expires_unused_at: r.time()?,
        opened_at: r.opt_int()?.map(from_ms),
        revoked_at: r.opt_int()?.map(from_ms),
    })
}

/// Which shares to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShareFilter {
    pub document: Option<Uuid>,
    pub patient: Option<Uuid>,
}

/// The shares tables.
pub struct Shares<'a>(pub(super) &'a Db);

impl Db {
    pub fn shares(&self) -> Shares<'_> {
        Shares(self)
    }
}

/// The most shares one listing answers.
const MAX_LISTED: i64 = 500;

impl Shares<'_> {
    /// Stores a new share (not yet sent) with its documents and audit event, in one transaction.
    pub async fn create(
        &self,
        s: &ShareRow,
        token_hash: &str,
        documents: &[Uuid],
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        sqlx::query(
            "INSERT INTO shares (id, org_id, patient_id, recipient_kind, recipient_id, recipient_name, recipient_email, \
             recipient_phone, token_hash, created_by, created_at, expires_unused_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(s.id.to_string())
        .bind(s.org_id.to_string())
        .bind(s.patient_id.to_string())
        .bind(s.recipient_kind.as_str())
        .bind(s.recipient_id.to_string())
        .bind(&s.recipient_name)
        .bind(&s.recipient_email)
        .bind(s.recipient_phone.clone())
        .bind(token_hash)
        .bind(s.created_by.to_string())
        .bind(ms(s.created_at))
        .bind(ms(s.expires_unused_at))
        .execute(&mut *tx)
        .await?;
        for (i, d) in documents.iter().enumerate() {
            sqlx::query("INSERT INTO share_documents (share_id, document_id, position) VALUES ($1, $2, $3)")
                .bind(s.id.to_string())
                .bind(d.to_string())
                .bind(i as i64)
                .execute(&mut *tx)
                .await?;
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await
    }

    /// Notes that the link's email went out: from now it works, until `expires_unused_at`
    /// unless opened.
    pub async fn mark_sent(
        &self,
        org: Uuid,
        id: Uuid,
        sent_at: DateTime<Utc>,
        expires_unused_at: DateTime<Utc>,
        event: &NewAuditEvent,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        sqlx::query("UPDATE shares SET sent_at = $1, expires_unused_at = $2 WHERE org_id = $3 AND id = $4")
            .bind(ms(sent_at))
            .bind(ms(expires_unused_at))
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        insert_event(&mut tx, self.0.dialect, event, sent_at).await?;
        tx.commit().await
    }

    /// Forgets a share whose first email could not be sent (nobody has its link), noting why.
    pub async fn forget_unsent(
        &self,
        org: Uuid,
        id: Uuid,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        let unsent = "SELECT id FROM shares WHERE org_id = $1 AND id = $2 AND sent_at IS NULL";
        if sqlx::query(unsent).bind(org.to_string()).bind(id.to_string()).fetch_optional(&mut *tx).await?.is_some() {
            sqlx::query("DELETE FROM share_documents WHERE share_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM shares WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await
    }

    /// Gives a share a new link (the old one stops working at once), not yet sent, to the
    /// recipient's name and address as they are now. Its SMS code, tries, sends and passes
    /// start afresh (a code texted to an old number must not open the new link).
    pub async fn renew_link(
        &self,
        org: Uuid,
        id: Uuid,
        token_hash: &str,
        to: (&str, &str, Option<&str>),
    ) -> sqlx::Result<bool> {
        let mut tx = self.0.pool.begin().await?;
        let r = sqlx::query(
            "UPDATE shares SET token_hash = $1, sent_at = NULL, opened_at = NULL, last_opened_at = NULL, \
             recipient_name = $2, recipient_email = $3, recipient_phone = $4, code_hash = NULL, code_expires_at = NULL, \
             code_failures = 0, code_wrong_total = 0, code_sent_1 = NULL, code_sent_2 = NULL, code_sent_3 = NULL \
             WHERE org_id = $5 AND id = $6 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .bind(to.0)
        .bind(to.1)
        .bind(to.2.map(String::from))
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM share_passes WHERE share_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Revokes a share: the portal refuses its link from now on. `false` when there is no
    /// such share, or it was revoked already.
    pub async fn revoke(&self, org: Uuid, id: Uuid, event: &NewAuditEvent, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let mut tx = self.0.pool.begin().await?;
        let r = sqlx::query("UPDATE shares SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A share of the clinic `org`.
    pub async fn get(&self, org: Uuid, id: Uuid) -> sqlx::Result<Option<ShareRow>> {
        let sql = format!("SELECT {} FROM {FROM} WHERE s.org_id = $1 AND s.id = $2", select_list(&SHARE_COLUMNS));
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.0.pool)
            .await?
            .map(share)
            .transpose()
    }

    /// The share whose link token hashes to `token_hash`, of any clinic.
    pub async fn by_token_hash(&self, token_hash: &str) -> sqlx::Result<Option<ShareRow>> {
        let sql = format!("SELECT {} FROM {FROM} WHERE s.token_hash = $1", select_list(&SHARE_COLUMNS));
        sqlx::query(&sql).bind(token_hash).fetch_optional(&self.0.pool).await?.map(share).transpose()
    }

    /// Lets the link `token_hash` of share `id` in, in one step with every check: still this
    /// share's link (not replaced by a resend), sent, not revoked, and opened before or within
    /// its time; the first open is noted. `false`: it does not work (any more).
    pub async fn admit(&self, id: Uuid, token_hash: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let r = sqlx::query(
            "UPDATE shares SET opened_at = COALESCE(opened_at, $1) WHERE id = $2 AND token_hash = $3 \
             AND revoked_at IS NULL AND sent_at IS NOT NULL AND (opened_at IS NOT NULL OR expires_unused_at > $1)",
        )
        .bind(ms(now))
        .bind(id.to_string())
        .bind(token_hash)
        .execute(&self.0.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Notes that the recipient came by; `true` when this visit should be audited (the first,
    /// then at most one an hour).
    pub async fn note_visit(&self, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let r = sqlx::query(
            "UPDATE shares SET last_opened_at = $1 WHERE id = $2 AND (last_opened_at IS NULL OR last_opened_at <= $3)",
        )
        .bind(ms(now))
        .bind(id.to_string())
        .bind(ms(now) - 3_600_000)
        .execute(&self.0.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The clinic's shares matching `filter`, newest first.
    pub async fn list(&self, org: Uuid, filter: ShareFilter) -> sqlx::Result<Vec<ShareRow>> {
        let sql = format!(
            "SELECT {} FROM {FROM} WHERE s.org_id = $1 AND ($2 = '' OR s.patient_id = $2) AND ($3 = '' OR EXISTS \
             (SELECT 1 FROM share_documents sd WHERE sd.share_id = s.id AND sd.document_id = $3)) \
             ORDER BY s.created_at DESC, s.id DESC LIMIT $4",
            select_list(&SHARE_COLUMNS)
        );
        let id = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id(filter.patient))
            .bind(id(filter.document))
            .bind(MAX_LISTED)
            .fetch_all(&self.0.pool)
            .await?
            .into_iter()
            .map(share)
            .collect()
    }

    /// A share's documents in the order they were shared, with their titles as they are now
    /// (`live`: only those not deleted since).
    pub async fn documents(&self, share: Uuid, live: bool) -> sqlx::Result<Vec<SharedDocument>> {
        let sql = format!(
            "SELECT d.id, d.title FROM share_documents sd JOIN documents d ON d.id = sd.document_id \
             WHERE sd.share_id = $1{} ORDER BY sd.position",
            if live { " AND d.deleted_at IS NULL" } else { "" }
        );
        sqlx::query(&sql)
            .bind(share.to_string())
            .fetch_all(&self.0.pool)
            .await?
            .into_iter()
            .map(|row| {
                let mut r = Reader::new(&row);
                Ok(SharedDocument { id: r.uuid()?, title: r.text()? })
            })
            .collect()
    }

    /// The clinic's share security.
    pub async fn security(&self, org: Uuid) -> sqlx::Result<ShareSecurity> {
        let (s,): (String,) = sqlx::query_as("SELECT share_security FROM orgs WHERE id = $1")
            .bind(org.to_string())
            .fetch_one(&self.0.pool)
            .await?;
        Ok(ShareSecurity::parse(&s).unwrap_or(ShareSecurity::Sms))
    }

    /// Sets the clinic's share security, with its audit event.
    pub async fn set_security(
        &self,
        org: Uuid,
        security: ShareSecurity,
        event: &NewAuditEvent,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        sqlx::query("UPDATE orgs SET share_security = $1 WHERE id = $2")
            .bind(security.as_str())
            .bind(org.to_string())
            .execute(&mut *tx)
            .await?;
        insert_event(&mut tx, self.0.dialect, event, now).await?;
        tx.commit().await
    }
}
