//! Keys: the `JWT_SECRET` (refresh tokens, and access tokens with `HS256`)
//! and the asymmetric signing keys of access tokens, how they are found or
//! made at start, and the JWK set a gateway verifies tokens with.

pub(crate) mod jwks;
pub mod jwt_key;
pub(crate) mod jwt_secret;
pub(crate) mod owner_only_file;
pub mod signing_key;
