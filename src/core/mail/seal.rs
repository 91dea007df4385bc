//! Waiting mails sealed at rest with the shared sealer
//! (`crate::core::keys::sealing`: XChaCha20-Poly1305 under a key derived
//! from `JWT_SECRET` with a label of its own), so that a copy of the
//! database alone holds no readable link. A mail sealed under another
//! `JWT_SECRET` does not open: it is given up and logged.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub(crate) use crate::core::keys::sealing::UnsealError;
use crate::core::keys::sealing::{Sealer, derive_key};
use crate::core::mail::Mail;
use crate::secret::Secret;

/// The HKDF labels: one key per use, never the signing key itself.
const SEAL_LABEL: &[u8] = b"authql mail outbox seal v1";
const RECIPIENT_LABEL: &[u8] = b"authql mail recipient key v1";

/// Seals and opens mails, and names recipients without their address.
pub(crate) struct MailSeal {
    sealer: Sealer,
    recipient_key: [u8; 32],
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
        MailSeal {
            sealer: Sealer::new(jwt_secret, SEAL_LABEL),
            recipient_key: derive_key(jwt_secret, RECIPIENT_LABEL),
        }
    }

    /// The mail encrypted, as text.
    pub(crate) fn seal(&self, mail: &Mail) -> String {
        let sealed = Sealed {
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
        };
        let plain = serde_json::to_vec(&sealed).unwrap_or_default();
        self.sealer.seal(&plain, &[])
    }

    /// A mail sealed by [`MailSeal::seal`] with the same `JWT_SECRET`.
    pub(crate) fn open(&self, kind: super::MailKind, sealed: &str) -> Result<Mail, UnsealError> {
        let plain = self.sealer.open(sealed, &[])?;
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
