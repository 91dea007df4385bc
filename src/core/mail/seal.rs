//! Waiting mails sealed at rest: each is encrypted with XChaCha20-Poly1305
//! (the `chacha20poly1305` crate of RustCrypto: pure Rust, audited, no C
//! library to install, and a 192-bit nonce that may be drawn at random for
//! every mail without counting) under a key derived from `JWT_SECRET` by
//! HKDF-SHA256 with a label of its own, so that the key signs nothing and
//! a copy of the database alone holds no readable link. A mail sealed
//! under another `JWT_SECRET` does not open: it is given up and logged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::core::mail::Mail;
use crate::secret::{ExposeSecret, Secret};

/// The HKDF labels: one key per use, never the signing key itself.
const SEAL_LABEL: &[u8] = b"authql mail outbox seal v1";
const RECIPIENT_LABEL: &[u8] = b"authql mail recipient key v1";
const NONCE_LEN: usize = 24;

/// Seals and opens mails, and names recipients without their address.
pub(crate) struct MailSeal {
    cipher: XChaCha20Poly1305,
    recipient_key: [u8; 32],
}

/// Why a sealed mail did not open.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UnsealError {
    #[error("the sealed mail is not valid base64 or too short")]
    Malformed,
    #[error("the sealed mail does not open with this JWT_SECRET")]
    WrongKey,
    #[error("the opened mail does not decode")]
    Undecodable,
}

/// What is sealed: the whole mail.
#[derive(Serialize, Deserialize)]
struct Sealed {
    to: String,
    subject: String,
    text: String,
    html: Option<String>,
}

impl MailSeal {
    /// The keys derived from `jwt_secret`.
    pub(crate) fn new(jwt_secret: &Secret) -> MailSeal {
        let hkdf = Hkdf::<Sha256>::new(None, jwt_secret.expose_secret().as_bytes());
        let mut seal_key = [0_u8; 32];
        let mut recipient_key = [0_u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 8,160: expand cannot fail.
        let _ = hkdf.expand(SEAL_LABEL, &mut seal_key);
        let _ = hkdf.expand(RECIPIENT_LABEL, &mut recipient_key);
        MailSeal {
            cipher: XChaCha20Poly1305::new(&seal_key.into()),
            recipient_key,
        }
    }

    /// The mail encrypted, as text: base64url of nonce and ciphertext.
    pub(crate) fn seal(&self, mail: &Mail) -> String {
        let sealed = Sealed {
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
        };
        let plain = serde_json::to_vec(&sealed).unwrap_or_default();
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption into a Vec fails only past the cipher's length limit
        // (256 GiB), which no mail reaches.
        let cipher = self
            .cipher
            .encrypt(&nonce, plain.as_ref())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&cipher);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// A mail sealed by [`MailSeal::seal`] with the same `JWT_SECRET`.
    pub(crate) fn open(&self, kind: super::MailKind, sealed: &str) -> Result<Mail, UnsealError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| UnsealError::Malformed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(UnsealError::Malformed);
        }
        let (nonce, cipher) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| UnsealError::Malformed)?;
        let plain = self
            .cipher
            .decrypt(&XNonce::from(nonce), cipher)
            .map_err(|_| UnsealError::WrongKey)?;
        let mail: Sealed = serde_json::from_slice(&plain).map_err(|_| UnsealError::Undecodable)?;
        Ok(Mail {
            kind,
            to: mail.to,
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
        })
    }

    /// A keyed hash of the lower-case address: the outbox counts mails per
    /// recipient with it, and holds no address in the clear.
    pub(crate) fn recipient_key(&self, address: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.recipient_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(address.to_lowercase().as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::mail::MailKind;

    fn mail() -> Mail {
        Mail {
            kind: MailKind::PasswordReset,
            to: "Ana@Example.com".into(),
            subject: "Reset".into(),
            text: "https://app.example/reset-password#token=abc".into(),
            html: None,
        }
    }

    #[test]
    fn a_sealed_mail_opens_with_its_secret_only() {
        let seal = MailSeal::new(&Secret::from("a".repeat(32)));
        let sealed = seal.seal(&mail());
        assert!(!sealed.contains("token"), "{sealed}");
        let opened = seal.open(MailKind::PasswordReset, &sealed).unwrap();
        assert_eq!(opened.text, mail().text);
        let other = MailSeal::new(&Secret::from("b".repeat(32)));
        assert!(matches!(
            other.open(MailKind::PasswordReset, &sealed),
            Err(UnsealError::WrongKey)
        ));
        assert_ne!(seal.seal(&mail()), sealed, "a fresh nonce every time");
    }

    #[test]
    fn recipients_are_keyed_in_lower_case() {
        let seal = MailSeal::new(&Secret::from("a".repeat(32)));
        assert_eq!(
            seal.recipient_key("Ana@Example.com"),
            seal.recipient_key("ana@example.com")
        );
        assert_eq!(seal.recipient_key("x@y.z").len(), 64);
    }
}
