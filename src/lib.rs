//! authql: a GraphQL authentication service with per-device sessions and
//! rotating refresh tokens, on embedded SQLite or MySQL/MariaDB.
//!
//! Data flows one way: `http` → `graphql` → `auth` → `db`.
//!
//! Public are the parts the binary, the tests and the benchmarks use; the
//! rest is `pub(crate)`, so that the compiler reports what nothing uses.
#![warn(unreachable_pub)]

pub mod app;
pub mod auth;
pub mod browser;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod jwt_key;
pub(crate) mod jwt_secret;
pub mod live;
pub(crate) mod metrics;
pub(crate) mod owner_only_file;
pub mod prune;
pub mod secret;
pub(crate) mod user_name;
pub mod vocabulary;
