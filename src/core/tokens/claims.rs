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
    /// The session's assurance level when the token was issued (a token
    /// issued before this claim existed was a password's: 1).
    #[serde(default = "level_one")]
    pub aal: i32,
    /// How the session was authenticated (RFC 8176 names), then.
    #[serde(default)]
    pub amr: Vec<String>,
    /// When a credential was last proved in the session (unix seconds), then.
    #[serde(default)]
    pub auth_time: i64,
}

fn level_one() -> i32 {
    1
}

/// What a token says of how its session was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAssurance {
    pub aal: i32,
    pub amr: Vec<String>,
    /// Unix seconds.
    pub auth_time: i64,
}

impl TokenAssurance {
    /// A session opened by a password at `auth_time`.
    pub fn password(auth_time: i64) -> TokenAssurance {
        TokenAssurance {
            aal: 1,
            amr: vec!["pwd".to_owned()],
            auth_time,
        }
    }
}
