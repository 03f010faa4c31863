//! The rules of a stored document, beside the upload that makes one: who may see it
//! ([`access`]), a clinic's listing ([`listing`]), editing ([`edit`]) and soft-deleting it
//! ([`removal`]) — each in one transaction with its audit event and visit count — and handing
//! out signed links to its bytes ([`links`]).

pub mod access;
pub mod edit;
pub mod links;
pub mod listing;
pub mod removal;

pub use access::visible_document;
