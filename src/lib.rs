//! authql: a GraphQL authentication service with per-device sessions and
//! rotating refresh tokens, on embedded SQLite or MySQL/MariaDB.
//!
//! Data flows one way: `api` → `core` → `store`; `config`, `error`, `secret`,
//! `user_name` and `vocabulary` are the floor every layer may use. docs/ARCHITECTURE.md says why it is shaped so.
//!
//! Public are the parts the binary, the tests and the benchmarks use; the
//! rest is `pub(crate)`, so that the compiler reports what nothing uses.
#![warn(unreachable_pub)]

pub mod api;
pub mod cli;
pub mod config;
pub mod core;
pub mod error;
pub mod ids;
pub mod secret;
pub mod store;
pub(crate) mod user_name;
pub mod vocabulary;
