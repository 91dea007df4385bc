//! The rules of the contract: sessions (open, authenticate, rotate, end,
//! list, liveness), credentials (passwords, throttling), tokens, keys,
//! users and the live feed of session changes. Nothing here knows of
//! HTTP, WebSocket or GraphQL: `api` calls into here, and only `store` is
//! below it.

pub(crate) mod accounts;
pub(crate) mod admin;
pub mod app;
pub(crate) mod bounded_map;
pub mod client;
pub mod clock;
pub mod credentials;
pub(crate) mod devices;
pub(crate) mod factors;
// Ids are made below every layer (the store makes its rows' own), so they
// live in the floor; `core::ids` stays their name for the rules.
pub use crate::ids;
pub(crate) mod input;
pub mod keys;
pub mod live;
pub mod mail;
pub(crate) mod metrics;
pub(crate) mod passkeys;
pub mod prune;
pub(crate) mod security_events;
pub mod sessions;
pub mod tokens;
pub mod users;
