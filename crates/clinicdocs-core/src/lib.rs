//! Clinic Documents shared crate: the one home of the domain vocabulary (categories, roles,
//! the access policy, plan limits), the HTTP API contract types, input validation and media
//! handling (content sniffing, PDF checks, thumbnails). Used by the server and the desktop app.

pub mod annotation;
pub mod api;
pub mod audit;
pub mod category;
pub mod credentials;
pub mod error_code;
pub mod limits;
pub mod media;
pub mod names;
pub mod natural_order;
pub mod policy;
pub mod role;
pub mod storage_key;

pub use category::Category;
pub use role::Role;
