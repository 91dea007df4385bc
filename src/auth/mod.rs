//! The rules of the contract: passwords, tokens, sessions, input bounds and
//! the client's address. Resolvers and the CLI call into here; only `db`
//! is below it.

pub mod client;
pub mod hash_workers;
pub mod ids;
pub mod input;
pub mod login;
pub mod password;
pub mod refresh;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
