//! TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) on the `totp-rs`
//! crate, which computes the codes and says which step a code matched (the
//! step is what replay refusal keeps). The `otpauth://` URI is written here
//! rather than by the crate's `otpauth` feature, because the contract fixes
//! its label (`ISSUER:NAME`) and a user name may hold a colon, which the
//! crate refuses.

use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use totp_rs::{Algorithm, Totp};

use crate::core::keys::sealing::Sealer;
use crate::secret::Secret;

/// The HKDF label of the TOTP secrets' sealing key.
const SEAL_LABEL: &[u8] = b"authql totp secret seal v1";

/// The sealer of TOTP secrets, keyed from `jwt_secret` (see
/// `crate::core::factors` on what it protects).
pub(crate) fn sealer(jwt_secret: &Secret) -> Sealer {
    Sealer::new(jwt_secret, SEAL_LABEL)
}

/// Seconds per step, digits per code, steps accepted on either side.
const STEP_SECS: u64 = 30;
const DIGITS: u8 = 6;
const SKEW_STEPS: u16 = 1;
/// 160 bits, as RFC 4226 recommends.
pub(crate) const SECRET_BYTES: usize = 20;

/// What may stay unescaped in the URI's label and issuer: RFC 3986's
/// unreserved characters.
const LABEL_KEEPS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A TOTP secret's bytes. No `Debug`: it makes codes.
pub(crate) struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// A fresh random secret.
    pub(crate) fn generate() -> TotpSecret {
        TotpSecret(rand::random::<[u8; SECRET_BYTES]>().to_vec())
    }

    pub(crate) fn from_bytes(bytes: Vec<u8>) -> TotpSecret {
        TotpSecret(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret in base32 (RFC 4648, no padding), for typing by hand.
    pub(crate) fn base32(&self) -> Secret {
        Secret::from(totp_rs::Secret::new(self.0.clone().into_boxed_slice()).to_base32())
    }

    /// `otpauth://totp/ISSUER:NAME?secret=...&issuer=ISSUER`.
    pub(crate) fn otpauth_uri(&self, issuer: &str, user_name: &str) -> Secret {
        let issuer = utf8_percent_encode(issuer, LABEL_KEEPS).to_string();
        let name = utf8_percent_encode(user_name, LABEL_KEEPS);
        let secret = totp_rs::Secret::new(self.0.clone().into_boxed_slice()).to_base32();
        Secret::from(format!(
            "otpauth://totp/{issuer}:{name}?secret={secret}&issuer={issuer}"
        ))
    }

    fn totp(&self) -> Totp {
        totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECS)
            .with_secret(totp_rs::Secret::new(self.0.clone().into_boxed_slice()))
            .build_noncompliant()
    }

    /// The time step (unix seconds / 30) that `code` is the code of, among
    /// the step of `now_unix` and the one before and after; None for any
    /// other code (a malformed one included).
    pub(crate) fn matching_step(&self, code: &str, now_unix: i64) -> Option<i64> {
        let now = u64::try_from(now_unix).ok()?;
        let step = self.totp().check(code, now)?;
        i64::try_from(step).ok()
    }

    /// The code of the step `at_unix` falls in (for unit tests and the CLI's
    /// own checks; clients compute their own).
    #[cfg(test)]
    fn code_at(&self, at_unix: u64) -> String {
        self.totp().generate(at_unix).to_string()
    }
}

/// A secret's bytes as text to seal (base64url).
pub(crate) fn encode_for_sealing(secret: &TotpSecret) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(secret.bytes())
        .into_bytes()
}

/// The secret from what [`encode_for_sealing`] made; None when it does not
/// decode.
pub(crate) fn decode_sealed(plain: &[u8]) -> Option<TotpSecret> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(plain)
        .ok()
        .map(TotpSecret::from_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ExposeSecret;

    /// RFC 6238 appendix B's SHA-1 secret and vectors (8 digits there; the
    /// last 6 of each are the 6-digit code, as HOTP truncates mod 10^digits).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        for (time, eight_digits) in [
            (59_u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at(time), eight_digits[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let secret = TotpSecret::generate();
        let now = 1_700_000_015_u64;
        let step = (now / 30) as i64;
        let code = secret.code_at(now);
        assert_eq!(secret.matching_step(&code, now as i64), Some(step));
        assert_eq!(secret.matching_step(&code, now as i64 + 30), Some(step));
        assert_eq!(secret.matching_step(&code, now as i64 - 30), Some(step));
        assert_eq!(secret.matching_step(&code, now as i64 + 60), None);
        assert_eq!(secret.matching_step("12345", now as i64), None);
        assert_eq!(secret.matching_step("+12345", now as i64), None);
    }

    #[test]
    fn the_uri_escapes_the_name_and_keeps_the_contract_shape() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        let uri = secret.otpauth_uri("authql", "ana:b@x");
        assert_eq!(
            uri.expose_secret(),
            "otpauth://totp/authql:ana%3Ab%40x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=authql"
        );
        assert_eq!(
            secret.base32().expose_secret(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }
}
