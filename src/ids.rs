//! Random identifiers and per-session secrets. Ids are made here, never by
//! auto-increment, so they reveal nothing and cannot be guessed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Length of every id this module makes (16 random bytes, base64url).
pub const ID_LEN: usize = 22;

/// A new 128-bit random id, base64url without padding (22 characters).
pub fn new_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// A new 256-bit random secret, base64url without padding.
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Whether `candidate` has the shape of an id made by [`new_id`].
pub fn looks_like_id(candidate: &str) -> bool {
    candidate.len() == ID_LEN
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_well_formed() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert!(looks_like_id(&a) && looks_like_id(&b));
        assert!(!looks_like_id("1"));
        assert!(!looks_like_id("abcdefghijklmnopqrstu+"));
        assert_eq!(new_secret().len(), 43);
    }
}
