//! Clinic Documents API server: an axum app over a database (SQLite or PostgreSQL) and an
//! object store (local folder, S3-compatible, GCS). `server::run` starts it; `routes::app`
//! builds the router for tests.
//!
//! Layers, each depending only on those below it: `routes` (HTTP: parse, call, answer) →
//! the rules (`upload`, `documents`, `annotations`, `patients`, `profiles`, `sessions`,
//! `staff`, `clinics`, `reports`, `audit_trail`, `downloads`; `auth` for who is calling) → `db` and `storage`.

pub mod annotations;
pub mod answers;
pub mod audit_trail;
pub mod audit_verify;
pub mod auth;
pub mod client_addr;
pub mod clinic_cli;
pub mod clinics;
pub mod config;
pub mod connections;
pub mod contacts;
pub mod db;
pub mod demo;
pub mod documents;
pub mod downloads;
pub mod drawing;
pub mod error;
pub mod extract;
pub mod faults;
pub mod html;
pub mod list_cache;
pub mod mail;
pub mod orphans;
pub mod passwords;
pub mod patients;

pub mod pdf_thumbnails;
pub mod portal;
pub mod profiles;
pub mod reports;
pub mod routes;
pub mod server;
pub mod session_reads;
pub mod sessions;
pub mod shares;
pub mod sign_ins;
pub mod sms;
pub mod staff;
pub mod state;
pub mod storage;
pub mod throttle;
pub mod upload;
