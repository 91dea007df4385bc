//! Secrets that must never reach a log line (passwords, tokens, keys) are
//! `secrecy`'s `SecretString`, named [`Secret`] here: its `Debug` prints
//! `[REDACTED]`, it has no `Display` (so no `{}` can print one), reading it
//! takes a visible [`ExposeSecret::expose_secret`], and its memory is zeroed
//! when it is dropped.

pub use secrecy::ExposeSecret;

/// A string that is a secret; see the module doc.
pub type Secret = secrecy::SecretString;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_secret() {
        let secret = Secret::from("hunter2-hunter2");
        let keys = crate::core::keys::Keys {
            jwt_secret: secret.clone(),
            access: crate::core::keys::AccessKeys::Shared(secret.clone()),
        };
        for shown in [format!("{secret:?}"), format!("{keys:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert_eq!(secret.expose_secret(), "hunter2-hunter2");
    }
}
