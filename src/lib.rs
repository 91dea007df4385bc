//! authql: a GraphQL authentication service with per-device sessions and
//! rotating refresh tokens, on embedded SQLite or MySQL/MariaDB.
//!
//! Data flows one way: `http` → `graphql` → `auth` → `db`.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod jwt_secret;
pub mod metrics;
pub mod prune;
pub mod secret;
pub mod vocabulary;
