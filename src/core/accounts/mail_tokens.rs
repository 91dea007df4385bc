//! The one-use tokens that mails carry: 256 random bits, sent only inside
//! the link's `#` part, stored only as their SHA-256 (a reader of the
//! database cannot turn a stored hash back into a working link; the token's
//! entropy makes a salt or a slow hash pointless).

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::core::ids;
use crate::core::mail::seal::hex;
use crate::secret::Secret;

/// What a token lets its holder do, as the `kind` column keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub(crate) enum TokenKind {
    /// Proves an address (sign-up, `requestEmailVerification`, `changeEmail`).
    Verification,
    /// Sets a new password.
    PasswordReset,
    /// Creates an account.
    Invitation,
    /// Reports a sign-in as not the user's (a new-device alert's link).
    SignInReport,
}

impl TokenKind {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    /// How long a token of this kind stays usable (the contract's lifetimes).
    pub(crate) fn lifetime(self) -> TimeDelta {
        match self {
            TokenKind::Verification => TimeDelta::hours(24),
            TokenKind::PasswordReset => TimeDelta::minutes(30),
            TokenKind::Invitation => TimeDelta::days(7),
            // As long as an invitation: an alert may be read days later.
            TokenKind::SignInReport => TimeDelta::days(7),
        }
    }

    /// The web app's page that takes it.
    pub(crate) fn page(self) -> &'static str {
        match self {
            TokenKind::Verification => "verify-email",
            TokenKind::PasswordReset => "reset-password",
            TokenKind::Invitation => "accept-invite",
            TokenKind::SignInReport => "report-sign-in",
        }
    }
}

/// A token just made: its value (for the link only) and the hash stored.
pub(crate) struct NewMailToken {
    pub value: Secret,
    pub hash: String,
}

/// A fresh token.
pub(crate) fn new_token() -> NewMailToken {
    let value = ids::new_secret();
    NewMailToken {
        hash: token_hash(&value),
        value: Secret::from(value),
    }
}

/// What the database keeps of a token.
pub(crate) fn token_hash(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// Whether `value` has the shape of a token (so that junk is refused
/// without a lookup).
pub(crate) fn looks_like_token(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ExposeSecret;

    #[test]
    fn tokens_are_stored_as_their_hash() {
        let token = new_token();
        assert!(looks_like_token(token.value.expose_secret()));
        assert_eq!(token.hash, token_hash(token.value.expose_secret()));
        assert_eq!(token.hash.len(), 64);
        assert!(!token.hash.contains(token.value.expose_secret()));
        assert!(!looks_like_token("short"));
    }
}
