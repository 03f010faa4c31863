//! Tamper evidence for the audit log on SQLite, where whoever can write the database file can
//! lift the append-only triggers. Every event the server writes is sealed in the same
//! transaction: its seal is a SHA-256 over the seal before it and the event's columns (a hash
//! chain). [`verify`] walks the chain and names the first event that was changed, removed or
//! slipped in without a seal. It cannot stop someone who recomputes the whole chain; noting
//! the head hash elsewhere (`audit verify` prints it) catches that too.

use super::columns::Reader;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};

/// The seal "before" the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The columns a seal covers, in the order they are hashed.
const SEALED_COLUMNS: &str =
    "e.id, e.org_id, e.at, e.actor_id, e.actor_email, e.action, e.target_type, e.target_id, e.detail, e.remote_addr";

/// The triggers that keep both tables append-only.
const TRIGGERS: [&str; 4] =
    ["audit_events_no_update", "audit_events_no_delete", "audit_seals_no_update", "audit_seals_no_delete"];

/// How many seals are read at a time while verifying.
const VERIFY_PAGE: i64 = 1000;

/// An event's sealed columns as stored, unparsed (a row edited into nonsense still hashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEvent {
    pub id: i64,
    pub org_id: Option<String>,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub detail: Option<String>,
    pub remote_addr: Option<String>,
}

impl SealedEvent {
    fn read(r: &mut Reader<'_, AnyRow>) -> sqlx::Result<SealedEvent> {
        Ok(SealedEvent {
            id: r.int()?,
            org_id: r.opt_text()?,
            at: r.int()?,
            actor_id: r.opt_text()?,
            actor_email: r.opt_text()?,
            action: r.opt_text()?,
            target_type: r.opt_text()?,
            target_id: r.opt_text()?,
            detail: r.opt_text()?,
            remote_addr: r.opt_text()?,
        })
    }
}

/// The seal of `e` following the seal `prev`. Every text is length-prefixed and absent values
/// are tagged, so no two different events hash alike.
pub fn seal(prev: &str, e: &SealedEvent) -> String {
    fn text(h: &mut Sha256, v: Option<&str>) {
        match v {
            None => h.update([0]),
            Some(s) => {
                h.update([1]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"clinicdocs audit seal v1\0");
    h.update(prev.as_bytes());
    h.update(e.id.to_be_bytes());
    text(&mut h, e.org_id.as_deref());
    h.update(e.at.to_be_bytes());
    for v in [&e.actor_id, &e.actor_email, &e.action, &e.target_type, &e.target_id, &e.detail, &e.remote_addr] {
        text(&mut h, v.as_deref());
    }
    hex::encode(h.finalize())
}

async fn last_seal(conn: &mut AnyConnection) -> sqlx::Result<String> {
    let last: Option<(String,)> =
        sqlx::query_as("SELECT hash FROM audit_seals ORDER BY event_id DESC LIMIT 1").fetch_optional(conn).await?;
    Ok(last.map_or_else(|| GENESIS.to_string(), |(h,)| h))
}

async fn seal_events(conn: &mut AnyConnection, events: &[SealedEvent]) -> sqlx::Result<()> {
    let mut prev = last_seal(conn).await?;
    for e in events {
        prev = seal(&prev, e);
        sqlx::query("INSERT INTO audit_seals (event_id, hash) VALUES ($1, $2)")
            .bind(e.id)
            .bind(&prev)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Seals the `count` events just inserted on `conn`, inside the transaction that inserted them
/// (which holds SQLite's write lock, so they are the newest rows).
pub async fn seal_latest(conn: &mut AnyConnection, count: usize) -> sqlx::Result<()> {
    if count == 0 {
        return Ok(());
    }
    let sql = format!("SELECT {SEALED_COLUMNS} FROM audit_events e ORDER BY e.id DESC LIMIT $1");
    let rows = sqlx::query(&sql).bind(count as i64).fetch_all(&mut *conn).await?;
    let mut events = rows.iter().map(|r| SealedEvent::read(&mut Reader::new(r))).collect::<sqlx::Result<Vec<_>>>()?;
    events.reverse();
    seal_events(conn, &events).await
}

/// The seal of event `id`, if it has one.
pub async fn seal_of(pool: &AnyPool, id: i64) -> sqlx::Result<Option<String>> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT hash FROM audit_seals WHERE event_id = $1").bind(id).fetch_optional(pool).await?;
    Ok(found.map(|(h,)| h))
}

/// Whether the seals' table exists yet (before the migration adding it, it does not).
pub async fn table_exists(pool: &AnyPool) -> sqlx::Result<bool> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_seals'")
            .fetch_one(pool)
            .await?;
    Ok(n > 0)
}

/// Seals the events of a log that has no seals yet (written before seals existed). Returns how
/// many were sealed; a log that has seals is left as it is.
pub async fn seal_backlog(pool: &AnyPool) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    let (sealed,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_seals").fetch_one(&mut *tx).await?;
    if sealed > 0 {
        return Ok(0);
    }
    let sql = format!("SELECT {SEALED_COLUMNS} FROM audit_events e ORDER BY e.id");
    let rows = sqlx::query(&sql).fetch_all(&mut *tx).await?;
    let events = rows.iter().map(|r| SealedEvent::read(&mut Reader::new(r))).collect::<sqlx::Result<Vec<_>>>()?;
    seal_events(&mut tx, &events).await?;
    tx.commit().await?;
    Ok(events.len() as u64)
}

/// What is wrong at the first broken link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// Its seal is there, the event is not.
    Removed,
    /// The event does not match its seal: it was changed, or an event before it was removed
    /// together with its seal.
    Changed,
    /// An event without a seal: not written by the server.
    Unsealed,
}

impl Break {
    pub fn describe(self) -> &'static str {
        match self {
            Break::Removed => "it was removed (its seal is still there)",
            Break::Changed => "it does not match its seal: it was changed, or the event before it was removed",
            Break::Unsealed => "it has no seal: it was not written by the server",
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Events whose seal matched.
    pub sealed: u64,
    /// The last seal of the unbroken chain, and its event (0 when there is none).
    pub head: String,
    pub head_event: i64,
    /// The first broken link: the event's id and what is wrong with it.
    pub first_break: Option<(i64, Break)>,
    /// Append-only triggers that are gone.
    pub missing_triggers: Vec<&'static str>,
}

/// Walks the chain from the first seal and reports the first broken link.
pub async fn verify(pool: &AnyPool) -> sqlx::Result<Verdict> {
    let mut conn = pool.acquire().await?;
    let mut missing_triggers = Vec::new();
    for t in TRIGGERS {
        // Present under its name and still refusing (one recreated to do nothing is missing).
        let found: Option<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = $1 \
             AND tbl_name IN ('audit_events', 'audit_seals') AND sql LIKE '%RAISE(ABORT%'",
        )
        .bind(t)
        .fetch_optional(&mut *conn)
        .await?;
        if found.is_none() {
            missing_triggers.push(t);
        }
    }
    let sql = format!(
        "SELECT s.event_id, s.hash, e.id IS NOT NULL, {SEALED_COLUMNS} FROM audit_seals s \
         LEFT JOIN audit_events e ON e.id = s.event_id WHERE s.event_id > $1 ORDER BY s.event_id LIMIT $2"
    );
    let (mut prev, mut after, mut sealed, mut chain_break) = (GENESIS.to_string(), 0_i64, 0_u64, None);
    let mut head_event = 0;
    'pages: loop {
        let rows = sqlx::query(&sql).bind(after).bind(VERIFY_PAGE).fetch_all(&mut *conn).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let mut r = Reader::new(row);
            let (id, hash, present) = (r.int()?, r.text()?, r.int()? != 0);
            after = id;
            if !present {
                chain_break = Some((id, Break::Removed));
                break 'pages;
            }
            let event = SealedEvent::read(&mut r)?;
            if seal(&prev, &event) != hash {
                chain_break = Some((id, Break::Changed));
                break 'pages;
            }
            prev = hash;
            head_event = id;
            sealed += 1;
        }
    }
    let (unsealed,): (Option<i64>,) = sqlx::query_as(
        "SELECT MIN(e.id) FROM audit_events e LEFT JOIN audit_seals s ON s.event_id = e.id WHERE s.event_id IS NULL",
    )
    .fetch_one(&mut *conn)
    .await?;
    let first_break = match (chain_break, unsealed) {
        (Some(b), Some(u)) if u < b.0 => Some((u, Break::Unsealed)),
        (Some(b), _) => Some(b),
        (None, Some(u)) => Some((u, Break::Unsealed)),
        (None, None) => None,
    };
    Ok(Verdict { sealed, head: prev, head_event, first_break, missing_triggers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64) -> SealedEvent {
        SealedEvent {
            id,
            org_id: Some("org".into()),
            at: 1_700_000_000_000,
            actor_id: None,
            actor_email: Some("a@b.example".into()),
            action: Some("document_downloaded".into()),
            target_type: Some("document".into()),
            target_id: Some("x".into()),
            detail: None,
            remote_addr: Some("127.0.0.1".into()),
        }
    }

    #[test]
    fn a_seal_covers_every_column_and_the_seal_before() {
        let base = seal(GENESIS, &event(1));
        assert_eq!(base.len(), 64);
        assert_ne!(seal(&base, &event(1)), base, "the previous seal is part of it");
        let mut other = event(1);
        other.remote_addr = None;
        assert_ne!(seal(GENESIS, &other), base);
        // Moving text from one column to the next changes the seal (lengths are hashed).
        let (mut a, mut b) = (event(1), event(1));
        a.target_id = Some("xy".into());
        a.detail = Some(String::new());
        b.target_id = Some("x".into());
        b.detail = Some("y".into());
        assert_ne!(seal(GENESIS, &a), seal(GENESIS, &b));
        // An absent value is not an empty one.
        let mut c = event(1);
        c.detail = Some(String::new());
        assert_ne!(seal(GENESIS, &c), base);
    }
}
