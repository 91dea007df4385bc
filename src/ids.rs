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

/// Length of every secret this module makes (32 random bytes, base64url).
pub const SECRET_LEN: usize = 43;

/// A new 256-bit random secret, base64url without padding.
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Whether `candidate` has the shape of an id made by [`new_id`].
pub fn looks_like_id(candidate: &str) -> bool {
    is_base64url_of_len(candidate, ID_LEN)
}

/// Whether `candidate` has the shape of a secret made by [`new_secret`].
pub fn looks_like_secret(candidate: &str) -> bool {
    is_base64url_of_len(candidate, SECRET_LEN)
}

fn is_base64url_of_len(candidate: &str, len: usize) -> bool {
    candidate.len() == len
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
        assert_eq!(new_secret().len(), SECRET_LEN);
        assert!(looks_like_secret(&new_secret()) && !looks_like_secret(&a));
    }
}
