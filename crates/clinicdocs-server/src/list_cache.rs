//! Listing pages kept in memory: the JSON body of a document listing, per caller and query,
//! valid while the clinic's document version (bumped by the database on every change to its
//! documents, and read with the caller's session anyway) is the one it was read at. A hit costs
//! no query beyond the session's; any upload, edit or delete, on any server instance sharing
//! the database, makes the clinic's pages stale at once. A page is never older than its version
//! (it is read after the version), so a hit is never staler than a fresh read at that version.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;

/// Memory the cached pages may take before they are all dropped.
const MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Default)]
pub struct ListCache {
    pages: Mutex<Pages>,
}

#[derive(Default)]
struct Pages {
    by_key: HashMap<String, (i64, Bytes)>,
    bytes: usize,
}

impl ListCache {
    /// The page stored under `key` if it was read at `version`.
    pub fn get(&self, key: &str, version: i64) -> Option<Bytes> {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.by_key.get(key).filter(|(v, _)| *v == version).map(|(_, b)| b.clone())
    }

    /// Keeps a page read at `version`; everything is dropped when the cache is full. A page
    /// counts its key's bytes as well as its body's.
    pub fn put(&self, key: String, version: i64, body: Bytes) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        let size = key.len() + body.len();
        if pages.bytes + size > MAX_BYTES {
            pages.by_key.clear();
            pages.bytes = 0;
        }
        pages.bytes += size;
        if let Some((k, (_, old))) = pages.by_key.remove_entry(&key) {
            pages.bytes -= k.len() + old.len();
        }
        pages.by_key.insert(key, (version, body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_served_only_at_the_version_it_was_read_at() {
        let c = ListCache::default();
        c.put("u1|doctor|patient_id=p".into(), 7, Bytes::from_static(b"[page]"));
        assert_eq!(c.get("u1|doctor|patient_id=p", 7).as_deref(), Some(&b"[page]"[..]));
        assert_eq!(c.get("u1|doctor|patient_id=p", 8), None, "a document changed since");
        assert_eq!(c.get("u2|doctor|patient_id=p", 7), None, "another caller");
        c.put("u1|doctor|patient_id=p".into(), 8, Bytes::from_static(b"[newer]"));
        assert_eq!(c.get("u1|doctor|patient_id=p", 8).as_deref(), Some(&b"[newer]"[..]));
    }

    #[test]
    fn keys_count_against_the_memory_too() {
        let c = ListCache::default();
        // Many empty pages under long keys (an attacker's query strings) stay within bounds.
        for i in 0..2000 {
            c.put(format!("{i}{}", "k".repeat(30_000)), 1, Bytes::new());
            assert!(c.pages.lock().expect("lock").bytes <= MAX_BYTES);
        }
        let total: usize = c.pages.lock().expect("lock").by_key.keys().map(String::len).sum();
        assert!(total <= MAX_BYTES, "{total} bytes of keys");
    }

    #[test]
    fn the_cache_stays_within_its_memory() {
        let c = ListCache::default();
        let big = Bytes::from(vec![b'x'; MAX_BYTES / 3]);
        for i in 0..10 {
            c.put(format!("k{i}"), 1, big.clone());
            assert!(c.pages.lock().expect("lock").bytes <= MAX_BYTES);
        }
        assert!(c.get("k9", 1).is_some(), "the newest page is kept");
    }
}
