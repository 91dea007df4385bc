//! The rules of the contract: passwords, tokens, sessions, input bounds and
//! the client's address. Resolvers and the CLI call into here; only `db`
//! is below it.

pub mod access_token;
pub(crate) mod address_gates;
pub(crate) mod change_password;
pub mod client;
pub(crate) mod credentials;
pub(crate) mod hash_memory;
pub(crate) mod hash_workers;
pub mod ids;
pub(crate) mod input;
pub(crate) mod jwks;
pub(crate) mod login;
pub mod password;
pub(crate) mod refresh;
pub mod refresh_token;
pub(crate) mod session_checks;
pub mod sessions;
pub mod signing_key;
pub(crate) mod throttle;
pub mod users;
pub(crate) mod verified_tokens;
