//! New documents' ids: time-ordered (UUIDv7), and each greater than the one before it in this
//! process, so documents stored at the same moment (a batch commits at one time) list in the
//! order they were sent — the listing breaks ties of the upload time by id.

use std::sync::Mutex;
use uuid::Uuid;

static LAST: Mutex<u128> = Mutex::new(0);

/// The id for the next document stored.
pub fn next_document_id() -> Uuid {
    let fresh = Uuid::now_v7().as_u128();
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    // The clock can stand still or step back; the ids never do.
    let id = if fresh > *last { fresh } else { *last + 1 };
    *last = id;
    Uuid::from_u128(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_only_ever_grow_and_read_as_v7() {
        let ids: Vec<Uuid> = (0..10_000).map(|_| next_document_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.windows(2).all(|w| w[0].to_string() < w[1].to_string()), "the text order the database sorts by");
        assert_eq!(ids[0].get_version_num(), 7);
    }
}
