//! Refresh tokens: opaque, HMAC-signed, one chain per session.
//!
//! A refresh token is `SESSION_ID.GENERATION.MAC`, where MAC is
//! HMAC-SHA256 under a key derived from the server secret, over the session
//! id, the generation and the session's own random secret. The database keeps
//! the generation and the per-session secret but never the server key, so a
//! reader of it can neither mint nor use a token; and the token for any
//! generation can be recomputed, which is how a racing second use gets the
//! very same answer as the first.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::core::ids;
use crate::secret::{ExposeSecret, Secret};

/// A refresh token as presented, parsed but not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedRefreshToken {
    pub session_id: String,
    pub generation: i64,
    mac: Vec<u8>,
}

/// Mints and checks refresh tokens.
pub struct RefreshTokens {
    key: Vec<u8>,
}

/// Longest refresh token we will even parse.
const REFRESH_TOKEN_MAX_LEN: usize = 128;

impl RefreshTokens {
    /// Derives the refresh-token key from the server secret, so that it is a
    /// different key from the JWT one and one secret is all an operator keeps.
    pub fn new(server_secret: &Secret) -> Self {
        let key = hmac_sha256(
            server_secret.expose_secret().as_bytes(),
            &[b"authql refresh-token key v1"],
        );
        RefreshTokens { key }
    }

    /// The token for `generation` of a session.
    pub fn mint(&self, session_id: &str, generation: i64, session_secret: &str) -> Secret {
        let mac = self.mac(session_id, generation, session_secret);
        Secret::from(format!(
            "{session_id}.{generation}.{}",
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    /// Splits a token into its parts; None when it cannot be one of ours.
    pub fn parse(&self, token: &str) -> Option<PresentedRefreshToken> {
        if token.len() > REFRESH_TOKEN_MAX_LEN {
            return None;
        }
        let mut parts = token.split('.');
        let (session_id, generation_text, mac) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !ids::looks_like_id(session_id) {
            return None;
        }
        let generation: i64 = generation_text.parse().ok()?;
        // Only the canonical form, so that one token has exactly one spelling.
        if generation < 0 || generation.to_string() != generation_text {
            return None;
        }
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        Some(PresentedRefreshToken {
            session_id: session_id.to_owned(),
            generation,
            mac,
        })
    }

    /// Whether the presented token was minted by us for this session.
    pub fn is_authentic(&self, presented: &PresentedRefreshToken, session_secret: &str) -> bool {
        let mut mac = self.keyed();
        feed(
            &mut mac,
            &presented.session_id,
            presented.generation,
            session_secret,
        );
        mac.verify_slice(&presented.mac).is_ok()
    }

    fn mac(&self, session_id: &str, generation: i64, session_secret: &str) -> Vec<u8> {
        let mut mac = self.keyed();
        feed(&mut mac, session_id, generation, session_secret);
        mac.finalize().into_bytes().to_vec()
    }

    fn keyed(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!())
    }
}

fn feed(mac: &mut Hmac<Sha256>, session_id: &str, generation: i64, session_secret: &str) {
    // Length-prefixed fields, so that no two inputs share an encoding.
    for field in [
        session_id.as_bytes(),
        &generation.to_be_bytes(),
        session_secret.as_bytes(),
    ] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field);
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::from("0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn refresh_tokens_are_deterministic_and_tamper_evident() {
        let tokens = RefreshTokens::new(&secret());
        let id = ids::new_id();
        let minted = tokens.mint(&id, 3, "session-secret");
        assert_eq!(
            minted.expose_secret(),
            tokens.mint(&id, 3, "session-secret").expose_secret()
        );
        let presented = tokens.parse(minted.expose_secret()).expect("parses");
        assert_eq!(presented.generation, 3);
        assert!(tokens.is_authentic(&presented, "session-secret"));
        assert!(!tokens.is_authentic(&presented, "another-secret"));
        let bumped = minted.expose_secret().replacen(".3.", ".4.", 1);
        let bumped = tokens.parse(&bumped).expect("parses");
        assert!(!tokens.is_authentic(&bumped, "session-secret"));
        for garbage in [
            "",
            "a.b.c",
            "x.1",
            &format!("{id}.01.AAAA"),
            &format!("{id}.-1.AAAA"),
        ] {
            assert!(tokens.parse(garbage).is_none(), "{garbage}");
        }
    }
}
