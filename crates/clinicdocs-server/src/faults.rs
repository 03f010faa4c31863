//! Faults the API suite injects to prove what happens when things break at the worst moment.
//! They exist in debug builds only (the suite's); a release build has none.

/// A lost connection right after an upload's commit, once, when `CLINICDOCS_FAULT=after_commit`.
pub fn after_commit() -> Option<sqlx::Error> {
    #[cfg(debug_assertions)]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        static FIRED: AtomicBool = AtomicBool::new(false);
        if std::env::var("CLINICDOCS_FAULT").as_deref() == Ok("after_commit") && !FIRED.swap(true, Ordering::SeqCst) {
            let lost =
                std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected: the answer to the commit was lost");
            return Some(sqlx::Error::Io(lost));
        }
    }
    None
}
