//! The claims an access token carries, apart from how tokens are signed and
//! checked, so that what keeps verified tokens can name them too.

use serde::{Deserialize, Serialize};

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user's id.
    pub sub: String,
    /// The session's id.
    pub sid: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}
