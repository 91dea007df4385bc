//! Integration tests: every body that touches storage runs twice, on a fresh
//! SQLite file and on a fresh MySQL database, through the real HTTP router.
//! Servers, documents and answers come from the test kit (`tests/support`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test, bench or example stops at the first thing that is not as it expects"
)]

mod abuse;
mod accounts;
mod address_limits;
mod alerts;
mod browser;
mod cli;
mod clients;
mod coalescing;
mod connection_places;
mod cors;
mod device_cookie;
mod devices;
mod documents;
mod expansion;
mod factors;
mod forward_auth;
mod fuzz;
mod graphiql;
pub(crate) mod graphql_over_http;
mod guard;
mod hangups;
mod http;
mod jwks_consumer;
mod keys;
mod limits;
mod live;
mod loadtest;
mod login;
mod logout;
mod mail;
mod nginx;
mod node;
mod operations;
mod operator;
mod outage;
mod passkey_kit;
mod passkeys;
mod password_fields;
mod passwords;
mod pool;
mod proxy;
mod refresh;
mod refresh_cookie;
mod schema;
mod security_events;
mod served;
mod session_cap;
mod sessions;
mod shutdown;
pub mod signing;
mod storage_files;
mod throttle;
mod user_names;
