//! `clinicdocs-server orphans [--delete] [--grace-secs N]`: compares the object store with
//! the database and reports objects no row refers to (removing them with `--delete`) and rows
//! whose object is missing. Objects younger than the grace period are never counted: uploads
//! write their objects before their rows, so the scan must not race them.

use crate::config::OrphansArgs;
use crate::server::open;
use crate::state::AppState;
use chrono::Utc;
use clinicdocs_core::storage_key::trash_key;
use std::collections::HashSet;
use std::time::Duration;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct OrphanReport {
    /// Stored objects older than the grace period with no document or profile referring to them.
    pub objects_without_row: Vec<String>,
    /// Objects without a row that are younger than the grace period (possibly being stored).
    pub too_young: usize,
    /// Keys a live document refers to that are not in the store.
    pub rows_without_object: Vec<String>,
}

/// Compares store and database. The store is listed before the rows are read, so an object
/// whose row is committed between the two reads is seen with its row.
pub async fn scan(state: &AppState, grace: Duration) -> anyhow::Result<OrphanReport> {
    let stored = state.storage.list(None).await?;
    let keys = state.db.documents().all_object_keys().await?;
    let mut expected = HashSet::new();
    let mut live = Vec::new();
    for (k, is_live) in keys {
        if is_live {
            live.push(k.clone());
            expected.insert(k);
        } else if let Some(t) = trash_key(&k) {
            // A deleted document's object moves to the trash after its row is marked; until
            // then (or if the move failed) the object under its live key is still its own.
            expected.insert(t);
            expected.insert(k);
        }
    }
    let cutoff = Utc::now() - chrono::Duration::from_std(grace)?;
    let mut report = OrphanReport::default();
    for o in stored.iter().filter(|o| !expected.contains(&o.key)) {
        if o.written_at > cutoff {
            report.too_young += 1;
        } else {
            report.objects_without_row.push(o.key.clone());
        }
    }
    let stored: HashSet<&str> = stored.iter().map(|o| o.key.as_str()).collect();
    report.rows_without_object = live.into_iter().filter(|k| !stored.contains(k.as_str())).collect();
    report.objects_without_row.sort();
    report.rows_without_object.sort();
    Ok(report)
}

pub async fn run(args: OrphansArgs) -> anyhow::Result<()> {
    let state = open(&args.common, String::new()).await?;
    let grace = Duration::from_secs(args.grace_secs);
    let report = scan(&state, grace).await?;
    for k in &report.objects_without_row {
        println!("object without document: {k}");
    }
    for k in &report.rows_without_object {
        println!("document without object: {k}");
    }
    if args.delete {
        state.storage.delete_all(&report.objects_without_row).await;
        println!("removed {} orphaned objects", report.objects_without_row.len());
    }
    if report.too_young > 0 {
        println!(
            "{} objects without a document are younger than {} s and were left alone (they may still be being stored)",
            report.too_young, args.grace_secs
        );
    }
    println!(
        "{} orphaned objects, {} documents with missing objects",
        report.objects_without_row.len(),
        report.rows_without_object.len()
    );
    Ok(())
}
