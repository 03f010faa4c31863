//! Clinic Documents API server: an axum app over a database (SQLite or PostgreSQL) and an
//! object store (local folder, S3-compatible, GCS). `server::run` starts it; `routes::app`
//! builds the router for tests.

pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod intake;
pub mod list_cache;
pub mod orphans;
pub mod routes;
pub mod server;
pub mod session_reads;
pub mod state;
pub mod storage;
pub mod stream_put;
pub mod upload;
