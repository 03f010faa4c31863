//! `clinicdocs-server audit verify`: whether the audit log can be trusted. On SQLite it walks
//! the seal chain (see [`crate::db::audit_seals`]) and names the first event changed, removed
//! or slipped in; on PostgreSQL it checks that the server's role may only add and read audit
//! rows (see [`crate::db::roles`]). Either way it exits non-zero when the log is not safe. It
//! changes nothing: no migration runs, nothing is sealed.

use crate::config::VerifyArgs;
use crate::db::{audit_seals, roles, Db, Dialect};
use anyhow::Context;

pub async fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let db = Db::connect_unchanged(&args.common.database_url()).await.context("cannot open the database")?;
    match db.dialect {
        Dialect::Sqlite => sqlite(&db, args.expect.as_deref()).await,
        Dialect::Postgres => postgres(&db).await,
    }
}

/// `EVENT:HASH` as `audit verify` prints the head.
fn noted_seal(s: &str) -> anyhow::Result<(i64, &str)> {
    let (id, hash) = s.split_once(':').context("--expect takes EVENT:HASH, as a run printed the head")?;
    Ok((id.trim().parse().context("--expect: the event before ':' is a number")?, hash.trim()))
}

async fn sqlite(db: &Db, expect: Option<&str>) -> anyhow::Result<()> {
    let expect = expect.map(noted_seal).transpose()?;
    if !audit_seals::table_exists(&db.pool).await? {
        anyhow::bail!(
            "the audit log has no seals (table audit_seals is missing): it was removed, or this database \
             was never opened by a server that seals its events"
        );
    }
    let v = audit_seals::verify(&db.pool).await?;
    for t in &v.missing_triggers {
        println!("the append-only trigger {t} is missing: someone with the database file removed it");
    }
    if let Some((id, what)) = v.first_break {
        anyhow::bail!("audit log broken at event {id}: {} ({} events before it are intact)", what.describe(), v.sealed);
    }
    if let Some((id, hash)) = expect {
        if audit_seals::seal_of(&db.pool, id).await?.as_deref() != Some(hash) || id > v.head_event {
            anyhow::bail!(
                "audit log broken at event {id}: the chain no longer passes through the seal noted for it, \
                 so the log up to it was rewritten"
            );
        }
        println!("the chain still passes through the seal noted for event {id}");
    }
    if !v.missing_triggers.is_empty() {
        anyhow::bail!("the audit log's rows are intact, but its append-only triggers are gone");
    }
    println!("audit log intact: {} events, each sealed and chained to the one before", v.sealed);
    println!("head {}:{}", v.head_event, v.head);
    println!("(note the head elsewhere, and pass it to a later run as --expect: a log rewritten before it fails)");
    Ok(())
}

async fn postgres(db: &Db) -> anyhow::Result<()> {
    let p = roles::audit_protection(&db.pool).await?;
    if p.holes.is_empty() {
        println!("the server's role {} may only add and read audit rows", p.role);
        return Ok(());
    }
    for h in &p.holes {
        println!("the server's role {} can change the audit log: {h}", p.role);
    }
    anyhow::bail!(
        "the audit log is not protected from the server's role {}: run the server as a role of its own and \
         set DATABASE_OWNER_URL to the owner's (see the README, \"PostgreSQL roles\")",
        p.role
    )
}
