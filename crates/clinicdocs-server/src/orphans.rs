//! `clinicdocs-server orphans [--delete]`: compares the object store with the database and
//! reports objects no row refers to (removing them with `--delete`) and rows whose object is
//! missing.

use crate::config::OrphansArgs;
use crate::server::open;
use crate::state::AppState;
use clinicdocs_core::storage_key::trash_key;
use std::collections::HashSet;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct OrphanReport {
    /// Stored objects with no document or profile referring to them.
    pub objects_without_row: Vec<String>,
    /// Keys a live document refers to that are not in the store.
    pub rows_without_object: Vec<String>,
}

pub async fn scan(state: &AppState) -> anyhow::Result<OrphanReport> {
    let keys = state.db.documents().all_object_keys().await?;
    let mut expected = HashSet::new();
    let mut live = Vec::new();
    for (k, is_live) in keys {
        if is_live {
            live.push(k.clone());
            expected.insert(k);
        } else if let Some(t) = trash_key(&k) {
            expected.insert(t);
        }
    }
    let stored: HashSet<String> = state.storage.list_keys(None).await?.into_iter().collect();
    let mut report = OrphanReport {
        objects_without_row: stored.iter().filter(|k| !expected.contains(*k)).cloned().collect(),
        rows_without_object: live.into_iter().filter(|k| !stored.contains(k)).collect(),
    };
    report.objects_without_row.sort();
    report.rows_without_object.sort();
    Ok(report)
}

pub async fn run(args: OrphansArgs) -> anyhow::Result<()> {
    let state = open(&args.common, String::new()).await?;
    let report = scan(&state).await?;
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
    println!(
        "{} orphaned objects, {} documents with missing objects",
        report.objects_without_row.len(),
        report.rows_without_object.len()
    );
    Ok(())
}
