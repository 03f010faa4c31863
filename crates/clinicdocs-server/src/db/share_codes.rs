//! A share's one-time SMS code and the passes of browsers that entered it. The live code is
//! kept as a hash on the share's row with its expiry, its tries, the link's wrong tries in all
//! and the times of the last three sends. A try is charged before the code is compared, and
//! each step (a new code, a charge) is one conditional UPDATE, so concurrent requests cannot
//! send a fourth code in an hour, compare a sixth guess against a code, or go past the link's
//! lock. Passes are kept as hashes, each bound to the link it was given for.

use super::columns::Reader;
use super::{from_ms, ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::limits::{SHARE_CODE_LINK_TRIES, SHARE_CODE_TRIES};
use uuid::Uuid;

/// What a share's code stands at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeStatus {
    /// A code was sent and can still be entered.
    pub live: bool,
    /// The last code was voided by wrong tries.
    pub voided: bool,
    /// So many wrong codes were entered for this link that it takes no more until the clinic
    /// sends it again.
    pub locked: bool,
    /// When another code can be sent, if not now.
    pub next_send_at: Option<DateTime<Utc>>,
}

/// The result of entering a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeTry {
    Right,
    /// Wrong; this many tries remain.
    Wrong(i64),
    /// Wrong, and that was the last try: the code is void.
    Voided,
    /// No code can be entered: none was sent, it expired, was used or voided.
    NoCode,
    /// Wrong, and that try locked the link (see [`CodeStatus::locked`]).
    LockedNow,
    /// The link takes no more codes.
    Locked,
}

const HOUR_MS: i64 = 3_600_000;

/// The share codes and passes.
pub struct ShareCodes<'a>(&'a Db);

impl Db {
    pub fn share_codes(&self) -> ShareCodes<'_> {
        ShareCodes(self)
    }
}

impl ShareCodes<'_> {
    pub async fn status(&self, share: Uuid, now: DateTime<Utc>) -> sqlx::Result<CodeStatus> {
        let row = sqlx::query(
            "SELECT CASE WHEN code_hash IS NOT NULL AND code_expires_at > $1 THEN 1 ELSE 0 END, code_failures, \
             code_wrong_total, code_sent_3 FROM shares WHERE id = $2",
        )
        .bind(ms(now))
        .bind(share.to_string())
        .fetch_one(&self.0.pool)
        .await?;
        let mut r = Reader::new(&row);
        let live = r.int()? != 0;
        let failures = r.int()?;
        let locked = r.int()? >= SHARE_CODE_LINK_TRIES;
        let third = r.opt_int()?;
        let next_send_at = third.map(|t| t + HOUR_MS).filter(|&t| t > ms(now)).map(from_ms);
        Ok(CodeStatus { live: live && !locked, voided: !live && failures >= SHARE_CODE_TRIES, locked, next_send_at })
    }

    /// Makes `code_hash` the share's live code until `expires_at`, unless three codes went out
    /// in the last hour or the link is locked (`false`). Any earlier code stops working.
    pub async fn renew(
        &self,
        share: Uuid,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let r = sqlx::query(
            "UPDATE shares SET code_hash = $1, code_expires_at = $2, code_failures = 0, code_sent_3 = code_sent_2, \
             code_sent_2 = code_sent_1, code_sent_1 = $3 WHERE id = $4 AND (code_sent_3 IS NULL OR code_sent_3 <= $5) \
             AND code_wrong_total < $6",
        )
        .bind(code_hash)
        .bind(ms(expires_at))
        .bind(ms(now))
        .bind(share.to_string())
        .bind(ms(now) - HOUR_MS)
        .bind(SHARE_CODE_LINK_TRIES)
        .execute(&self.0.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Forgets the code `code_hash` (its text message could not be sent), giving back its place
    /// among the hour's sends.
    pub async fn forget(&self, share: Uuid, code_hash: &str) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE shares SET code_hash = NULL, code_sent_1 = code_sent_2, code_sent_2 = code_sent_3, \
             code_sent_3 = NULL WHERE id = $1 AND code_hash = $2",
        )
        .bind(share.to_string())
        .bind(code_hash)
        .execute(&self.0.pool)
        .await?;
        Ok(())
    }

    /// Tries a code. The try is charged first (none past the code's 5th, none once the link
    /// is locked); then, right, it uses the code up; wrong, the 5th voids it.
    pub async fn try_code(&self, share: Uuid, code_hash: &str, now: DateTime<Utc>) -> sqlx::Result<CodeTry> {
        let id = share.to_string();
        let charged = sqlx::query(
            "UPDATE shares SET code_failures = code_failures + 1, code_wrong_total = code_wrong_total + 1 \
             WHERE id = $1 AND code_hash IS NOT NULL AND code_expires_at > $2 AND code_failures < $3 \
             AND code_wrong_total < $4",
        )
        .bind(&id)
        .bind(ms(now))
        .bind(SHARE_CODE_TRIES)
        .bind(SHARE_CODE_LINK_TRIES)
        .execute(&self.0.pool)
        .await?;
        if charged.rows_affected() == 0 {
            let status = self.status(share, now).await?;
            return Ok(if status.locked { CodeTry::Locked } else { CodeTry::NoCode });
        }
        // Right: used up, and the charge taken back from the link's wrong tries.
        let right = sqlx::query(
            "UPDATE shares SET code_hash = NULL, code_failures = 0, code_wrong_total = code_wrong_total - 1 \
             WHERE id = $1 AND code_hash = $2",
        )
        .bind(&id)
        .bind(code_hash)
        .execute(&self.0.pool)
        .await?;
        if right.rows_affected() == 1 {
            return Ok(CodeTry::Right);
        }
        let (failures, total): (i64, i64) =
            sqlx::query_as("SELECT code_failures, code_wrong_total FROM shares WHERE id = $1")
                .bind(&id)
                .fetch_one(&self.0.pool)
                .await?;
        if failures < SHARE_CODE_TRIES && total < SHARE_CODE_LINK_TRIES {
            return Ok(CodeTry::Wrong(SHARE_CODE_TRIES - failures));
        }
        sqlx::query(
            "UPDATE shares SET code_hash = NULL WHERE id = $1 AND (code_failures >= $2 OR code_wrong_total >= $3)",
        )
        .bind(&id)
        .bind(SHARE_CODE_TRIES)
        .bind(SHARE_CODE_LINK_TRIES)
        .execute(&self.0.pool)
        .await?;
        Ok(if total >= SHARE_CODE_LINK_TRIES { CodeTry::LockedNow } else { CodeTry::Voided })
    }

    /// Gives a browser a pass for the share's link `token_hash` until `expires_at`.
    pub async fn add_pass(
        &self,
        share: Uuid,
        token_hash: &str,
        pass_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.0.pool.begin().await?;
        sqlx::query("DELETE FROM share_passes WHERE share_id = $1 AND expires_at <= $2")
            .bind(share.to_string())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO share_passes (pass_hash, share_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(pass_hash)
        .bind(share.to_string())
        .bind(token_hash)
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Whether `pass_hash` is a live pass for the share's link `token_hash`.
    pub async fn has_pass(
        &self,
        share: Uuid,
        token_hash: &str,
        pass_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let found = sqlx::query(
            "SELECT 1 FROM share_passes WHERE pass_hash = $1 AND share_id = $2 AND token_hash = $3 AND expires_at > $4",
        )
        .bind(pass_hash)
        .bind(share.to_string())
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.0.pool)
        .await?;
        Ok(found.is_some())
    }
}
