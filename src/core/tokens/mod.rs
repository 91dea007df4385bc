//! The tokens a client holds: access JWTs (signed, checked against the
//! session on every use) and refresh tokens (opaque, rotated on each use).

pub mod access_token;
pub mod claims;
pub mod refresh_token;
pub(crate) mod verified_tokens;
