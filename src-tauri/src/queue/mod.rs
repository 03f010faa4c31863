//! The durable upload queue (docs/DESIGN.md §4): every file handed to the app is copied into the
//! app's data folder and recorded in SQLite before the call returns, then sent exactly once
//! by the worker, across network cuts, crashes and restarts. Annotation changes the server
//! could not take wait in the same file (`marks`, `mark_sync`).

pub mod add;
pub mod mark_sync;
pub mod marks;
pub mod runner;
pub mod spool;
pub mod store;
pub mod worker;

pub use store::{HandOff, ItemState, NewItem, Queue, QueueError, QueueItem, Requeue};
