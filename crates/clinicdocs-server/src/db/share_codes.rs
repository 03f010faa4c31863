//! A share's one-time SMS code and the passes of browsers that entered it. The live code is
//! kept as a hash on the share's row with its expiry, its wrong tries and the times of the
//! last three sends; each step (a new code, a try) is one conditional UPDATE, so concurrent
//! requests cannot send a fourth code in an hour or try a voided one. Passes are kept as
//! hashes, each bound to the link it was given for.

use super::columns::Reader;
use super::{from_ms, ms, Db};
use chrono::{DateTime, Utc};
use clinicdocs_core::limits::SHARE_CODE_TRIES;
use uuid::Uuid;

/// What a share's code stands at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeStatus {
    /// A code was sent and can still be entered.
    pub live: bool,
    /// The last code was voided by wrong tries.
    pub voided: bool,
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
    NoCode {
        voided: bool,
    },
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
            "SELECT CASE WHEN code_hash IS NOT NULL AND code_expires_at > $1 THEN 1 ELSE 0 END, code_failures, code_sent_3 \
             FROM shares WHERE id = $2",
        )
        .bind(ms(now))
        .bind(share.to_string())
        .fetch_one(&self.0.pool)
        .await?;
        let mut r = Reader::new(&row);
        let live = r.int()? != 0;
        let failures = r.int()?;
        let third = r.opt_int()?;
        let next_send_at = third.map(|t| t + HOUR_MS).filter(|&t| t > ms(now)).map(from_ms);
        Ok(CodeStatus { live, voided: !live && failures >= SHARE_CODE_TRIES, next_send_at })
    }

    /// Makes `code_hash` the share's live code until `expires_at`, unless three codes went out
    /// in the last hour (`false`). Any earlier code stops working.
    pub async fn renew(
        &self,
        share: Uuid,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let r = sqlx::query(
            "UPDATE shares SET code_hash = $1, code_expires_at = $2, code_failures = 0, code_sent_3 = code_sent_2, \
             code_sent_2 = code_sent_1, code_sent_1 = $3 WHERE id = $4 AND (code_sent_3 IS NULL OR code_sent_3 <= $5)",
        )
        .bind(code_hash)
        .bind(ms(expires_at))
        .bind(ms(now))
        .bind(share.to_string())
        .bind(ms(now) - HOUR_MS)
        .execute(&self.0.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Forgets the code `code_hash` (its text message could not be sent).
    pub async fn forget(&self, share: Uuid, code_hash: &str) -> sqlx::Result<()> {
        sqlx::query("UPDATE shares SET code_hash = NULL WHERE id = $1 AND code_hash = $2")
            .bind(share.to_string())
            .bind(code_hash)
            .execute(&self.0.pool)
            .await?;
        Ok(())
    }

    /// Tries a code: right uses it up; wrong counts against it, and the last wrong try voids it.
    pub async fn try_code(&self, share: Uuid, code_hash: &str, now: DateTime<Utc>) -> sqlx::Result<CodeTry> {
        let right = sqlx::query(
            "UPDATE shares SET code_hash = NULL, code_failures = 0 WHERE id = $1 AND code_hash = $2 \
             AND code_expires_at > $3",
        )
        .bind(share.to_string())
        .bind(code_hash)
        .bind(ms(now))
        .execute(&self.0.pool)
        .await?;
        if right.rows_affected() == 1 {
            return Ok(CodeTry::Right);
        }
        let wrong = sqlx::query(
            "UPDATE shares SET code_failures = code_failures + 1, \
             code_hash = CASE WHEN code_failures + 1 >= $1 THEN NULL ELSE code_hash END \
             WHERE id = $2 AND code_hash IS NOT NULL AND code_expires_at > $3",
        )
        .bind(SHARE_CODE_TRIES)
        .bind(share.to_string())
        .bind(ms(now))
        .execute(&self.0.pool)
        .await?;
        let (failures,): (i64,) = sqlx::query_as("SELECT code_failures FROM shares WHERE id = $1")
            .bind(share.to_string())
            .fetch_one(&self.0.pool)
            .await?;
        Ok(match (wrong.rows_affected(), failures >= SHARE_CODE_TRIES) {
            (0, voided) => CodeTry::NoCode { voided },
            (_, true) => CodeTry::Voided,
            (_, false) => CodeTry::Wrong(SHARE_CODE_TRIES - failures),
        })
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
