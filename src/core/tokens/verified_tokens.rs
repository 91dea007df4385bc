//! Access tokens whose signature, issuer and audience were already checked,
//! kept by their exact text with their claims. A client sends one token
//! with every request until it refreshes, and checking it again costs the
//! same each time: under callgrind about 48,000 instructions per `me` with
//! `HS256` (JSON decoding and HMAC-SHA256), and 60 µs with `EdDSA` and
//! 467 µs with `ES256` per token on this project's machine.
//!
//! Keeping them is sound because nothing in that check changes while the
//! process runs: the keys are fixed at start, and the token text is the
//! whole input. What does change is checked on every use, outside this
//! cache: the expiry (`TOKEN_EXPIRED`) and the session in the database
//! (`SESSION_REVOKED`). Only tokens that passed are kept, so made-up tokens
//! cannot fill it; a lookup is one hash of the token's text.
//!
//! At most [`MAX_TOKENS`] are kept, and when full the cache starts over
//! ([`BoundedMap`], which says why that policy is written by hand).

use crate::core::bounded_map::BoundedMap;
use crate::core::tokens::claims::AccessClaims;

/// Most tokens kept (a few hundred bytes each with their claims).
pub(crate) const MAX_TOKENS: usize = 4096;

/// The checked tokens of one process.
#[derive(Default)]
pub(crate) struct VerifiedTokens {
    by_text: BoundedMap<String, AccessClaims, MAX_TOKENS>,
}

impl VerifiedTokens {
    /// The claims of `token` if it was checked before.
    pub(crate) fn get(&self, token: &str) -> Option<AccessClaims> {
        self.by_text.get(token).as_deref().cloned()
    }

    /// Keeps a token that passed the check, with its claims.
    pub(crate) fn keep(&self, token: &str, claims: &AccessClaims) {
        self.by_text.insert(token.to_owned(), claims.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(n: usize) -> AccessClaims {
        AccessClaims {
            sub: format!("u{n}"),
            sid: format!("s{n}"),
            role: "user".into(),
            iat: 0,
            exp: 900,
            iss: "authql".into(),
            aud: "authql".into(),
            aal: 1,
            amr: vec!["pwd".into()],
            auth_time: 0,
        }
    }

    #[test]
    fn a_full_cache_starts_over() {
        let verified = VerifiedTokens::default();
        for n in 0..MAX_TOKENS {
            verified.keep(&format!("token{n}"), &claims(n));
        }
        assert_eq!(verified.get("token7"), Some(claims(7)));
        verified.keep("one more", &claims(0));
        assert_eq!(verified.get("token7"), None);
        assert_eq!(verified.get("one more"), Some(claims(0)));
        assert_eq!(verified.by_text.len(), 1);
    }
}
