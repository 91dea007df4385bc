//! Sealing secrets at rest: whatever the database keeps that a reader of it
//! must not be able to use (a waiting mail and its link, a TOTP secret) is
//! encrypted with XChaCha20-Poly1305 (the `chacha20poly1305` crate of
//! RustCrypto: pure Rust, audited, no C library to install, and a 192-bit
//! nonce that may be drawn at random for every value without counting)
//! under a key derived from `JWT_SECRET` by HKDF-SHA256 with a label of its
//! own per use, so that no sealing key signs anything and no use can open
//! another's values.
//!
//! Each value may be bound to what it belongs to (associated data, such as
//! the user a TOTP secret is for): a sealed value copied onto another row
//! does not open there. A value sealed under another `JWT_SECRET` does not
//! open either ([`UnsealError::WrongKey`]); the caller decides what that
//! means (a mail given up, a TOTP to enrol again).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::secret::{ExposeSecret, Secret};

const NONCE_LEN: usize = 24;

/// Why a sealed value did not open.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UnsealError {
    #[error("the sealed value is not valid base64 or too short")]
    Malformed,
    #[error("the sealed value does not open with this JWT_SECRET (or belongs elsewhere)")]
    WrongKey,
    #[error("the opened value does not decode")]
    Undecodable,
}

/// Bytes of key derived from `jwt_secret` for `label`.
pub(crate) fn derive_key(jwt_secret: &Secret, label: &[u8]) -> [u8; 32] {
    let hkdf = Hkdf::<Sha256>::new(None, jwt_secret.expose_secret().as_bytes());
    let mut key = [0_u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit of 8,160: expand cannot fail.
    let _ = hkdf.expand(label, &mut key);
    key
}

/// Seals and opens the values of one use.
pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// The sealer of the use named `label`, keyed from `jwt_secret`.
    pub(crate) fn new(jwt_secret: &Secret, label: &[u8]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(&derive_key(jwt_secret, label).into()),
        }
    }

    /// `plain` encrypted and bound to `bound_to`, as text: base64url of the
    /// nonce and the ciphertext.
    pub(crate) fn seal(&self, plain: &[u8], bound_to: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plain,
            aad: bound_to,
        };
        // Encryption into a Vec fails only past the cipher's length limit
        // (256 GiB), which nothing sealed here reaches.
        let cipher = self.cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&cipher);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// What [`Sealer::seal`] sealed with the same key and `bound_to`.
    pub(crate) fn open(&self, sealed: &str, bound_to: &[u8]) -> Result<Vec<u8>, UnsealError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| UnsealError::Malformed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(UnsealError::Malformed);
        }
        let (nonce, cipher) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| UnsealError::Malformed)?;
        let payload = Payload {
            msg: cipher,
            aad: bound_to,
        };
        self.cipher
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| UnsealError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_with_its_key_label_and_binding_only() {
        let secret = Secret::from("a".repeat(32));
        let sealer = Sealer::new(&secret, b"one use");
        let sealed = sealer.seal(b"plain", b"user-1");
        assert_eq!(sealer.open(&sealed, b"user-1").unwrap(), b"plain");
        assert!(matches!(
            sealer.open(&sealed, b"user-2"),
            Err(UnsealError::WrongKey)
        ));
        let other_use = Sealer::new(&secret, b"another use");
        assert!(matches!(
            other_use.open(&sealed, b"user-1"),
            Err(UnsealError::WrongKey)
        ));
        let other_secret = Sealer::new(&Secret::from("b".repeat(32)), b"one use");
        assert!(other_secret.open(&sealed, b"user-1").is_err());
        assert_ne!(sealer.seal(b"plain", b"user-1"), sealed, "a fresh nonce");
        assert!(matches!(
            sealer.open("short", b"user-1"),
            Err(UnsealError::Malformed)
        ));
    }
}
