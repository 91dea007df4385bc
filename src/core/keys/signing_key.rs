//! The asymmetric keys that can sign access tokens (`EdDSA` on Ed25519,
//! `ES256` on P-256): generating them, reading and writing them as PEM, and
//! their public halves as JWKs with an RFC 7638 thumbprint for `kid`
//! (jsonwebtoken's `Jwk` and `Jwk::thumbprint`; only the step from a key to
//! its coordinates is ours, as jsonwebtoken builds JWKs from RSA and EC
//! private keys only).
//!
//! Private keys are PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), public keys
//! SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`): the forms
//! `openssl genpkey` and every JOSE library read and write.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType,
    PublicKeyUse, ThumbprintHash,
};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::LineEnding;

pub use crate::config::keys::SigningAlgorithm;
use crate::secret::Secret;

/// Why a key could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("HS256 has no key pair; it signs with JWT_SECRET")]
    Symmetric,
    #[error("not a PEM (PKCS#8) Ed25519 or P-256 private key")]
    NotAPrivateKey,
    #[error("not a PEM Ed25519 or P-256 public key")]
    NotAPublicKey,
    #[error("an {found} key, but the tokens are signed {expected}")]
    WrongAlgorithm {
        found: SigningAlgorithm,
        expected: SigningAlgorithm,
    },
    #[error("cannot encode the key: {0}")]
    Encode(String),
}

/// A private key that signs access tokens.
#[derive(Clone)]
pub enum PrivateKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::SecretKey),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey({}, kid {})",
            self.algorithm(),
            self.public().kid()
        )
    }
}

impl PrivateKey {
    /// A new random key for `algorithm`.
    pub fn generate(algorithm: SigningAlgorithm) -> Result<PrivateKey, KeyError> {
        match algorithm {
            SigningAlgorithm::Hs256 => Err(KeyError::Symmetric),
            SigningAlgorithm::EdDsa => Ok(PrivateKey::Ed25519(
                ed25519_dalek::SigningKey::from_bytes(&rand::random()),
            )),
            SigningAlgorithm::Es256 => loop {
                // A random 32-byte string is a valid P-256 scalar unless it
                // is zero or past the group order: about one in 2^32.
                if let Ok(key) = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
                    return Ok(PrivateKey::P256(key));
                }
            },
        }
    }

    /// Reads a PKCS#8 PEM private key of either kind.
    pub fn from_pem(pem: &str) -> Result<PrivateKey, KeyError> {
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            return Ok(PrivateKey::Ed25519(key));
        }
        p256::SecretKey::from_pkcs8_pem(pem)
            .map(PrivateKey::P256)
            .map_err(|_| KeyError::NotAPrivateKey)
    }

    /// The key as PKCS#8 PEM.
    pub fn to_pem(&self) -> Result<Secret, KeyError> {
        let pem = match self {
            PrivateKey::Ed25519(key) => key.to_pkcs8_pem(LineEnding::LF),
            PrivateKey::P256(key) => key.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|e| KeyError::Encode(e.to_string()))?;
        Ok(Secret::from(pem.as_str()))
    }

    /// The key as PKCS#8 DER, the form jsonwebtoken signs with.
    pub(crate) fn to_der(&self) -> Result<Vec<u8>, KeyError> {
        let der = match self {
            PrivateKey::Ed25519(key) => key.to_pkcs8_der(),
            PrivateKey::P256(key) => key.to_pkcs8_der(),
        }
        .map_err(|e| KeyError::Encode(e.to_string()))?;
        Ok(der.as_bytes().to_vec())
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        match self {
            PrivateKey::Ed25519(_) => SigningAlgorithm::EdDsa,
            PrivateKey::P256(_) => SigningAlgorithm::Es256,
        }
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Ed25519(key) => PublicKey::Ed25519(key.verifying_key()),
            PrivateKey::P256(key) => PublicKey::P256(key.public_key()),
        }
    }
}

/// A public key that verifies access tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::PublicKey),
}

impl PublicKey {
    /// Reads a SubjectPublicKeyInfo PEM public key of either kind.
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            return Ok(PublicKey::Ed25519(key));
        }
        p256::PublicKey::from_public_key_pem(pem)
            .map(PublicKey::P256)
            .map_err(|_| KeyError::NotAPublicKey)
    }

    /// The key as SubjectPublicKeyInfo PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        match self {
            PublicKey::Ed25519(key) => key.to_public_key_pem(LineEnding::LF),
            PublicKey::P256(key) => key.to_public_key_pem(LineEnding::LF),
        }
        .map_err(|e| KeyError::Encode(e.to_string()))
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        match self {
            PublicKey::Ed25519(_) => SigningAlgorithm::EdDsa,
            PublicKey::P256(_) => SigningAlgorithm::Es256,
        }
    }

    /// Refuses a key of another algorithm than the server's.
    pub fn expect_algorithm(&self, expected: SigningAlgorithm) -> Result<(), KeyError> {
        let found = self.algorithm();
        if found == expected {
            Ok(())
        } else {
            Err(KeyError::WrongAlgorithm { found, expected })
        }
    }

    /// The key as a JWK (RFC 7517, 8037), with `kid`, `alg` and `use`.
    pub fn jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(match self {
                    PublicKey::Ed25519(_) => KeyAlgorithm::EdDSA,
                    PublicKey::P256(_) => KeyAlgorithm::ES256,
                }),
                key_id: Some(self.kid()),
                ..CommonParameters::default()
            },
            algorithm: self.key_parameters(),
        }
    }

    /// The RFC 7638 thumbprint (SHA-256, base64url): anyone holding the
    /// public key computes the same `kid`.
    pub fn kid(&self) -> String {
        let bare = Jwk {
            common: CommonParameters::default(),
            algorithm: self.key_parameters(),
        };
        bare.thumbprint(ThumbprintHash::SHA256)
    }

    /// The JWK members that are the key itself: the raw Ed25519 key (RFC
    /// 8037), or both coordinates of the P-256 point (RFC 7518).
    fn key_parameters(&self) -> AlgorithmParameters {
        match self {
            PublicKey::Ed25519(key) => AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(key.as_bytes()),
            }),
            PublicKey::P256(key) => {
                let point = key.to_encoded_point(false);
                // An uncompressed point of a valid key has both coordinates.
                let encode = |c: Option<&p256::FieldBytes>| {
                    c.map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
                        .unwrap_or_default()
                };
                AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: EllipticCurveKeyType::EC,
                    curve: EllipticCurve::P256,
                    x: encode(point.x()),
                    y: encode(point.y()),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ExposeSecret;

    #[test]
    fn keys_round_trip_through_pem_and_keep_their_kid() {
        for algorithm in [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256] {
            let key = PrivateKey::generate(algorithm).unwrap();
            let again = PrivateKey::from_pem(key.to_pem().unwrap().expose_secret()).unwrap();
            assert_eq!(again.algorithm(), algorithm);
            assert_eq!(again.public(), key.public());
            let public = PublicKey::from_pem(&key.public().to_pem().unwrap()).unwrap();
            assert_eq!(public.kid(), key.public().kid());
            assert_eq!(
                public.jwk().common.key_algorithm.map(|alg| alg.to_string()),
                Some(algorithm.as_str().to_owned())
            );
            assert!(PublicKey::from_pem(key.to_pem().unwrap().expose_secret()).is_err());
        }
    }

    /// The kids of two fixed keys against thumbprints computed apart from
    /// this code (Python's hashlib over the RFC 7638 form, and `jose`'s
    /// `calculateJwkThumbprint` agree): kids stay what they were before
    /// jsonwebtoken computed them, so tokens and gateways keep matching.
    #[test]
    fn kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037, appendix A.3: the thumbprint of the Ed25519 key of A.2.
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        let key = ed25519_dalek::VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
        assert_eq!(
            PublicKey::Ed25519(key).kid(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        // The P-256 key of RFC 7515, appendix A.3.
        let mut point = vec![0x04];
        for coordinate in [
            "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        ] {
            point.extend(URL_SAFE_NO_PAD.decode(coordinate).unwrap());
        }
        let key = PublicKey::P256(p256::PublicKey::from_sec1_bytes(&point).unwrap());
        assert_eq!(key.kid(), "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U");
        let jwk = serde_json::to_value(key.jwk()).unwrap();
        assert_eq!(
            jwk,
            serde_json::json!({
                "kid": "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U",
                "alg": "ES256",
                "use": "sig",
                "kty": "EC",
                "crv": "P-256",
                "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
            })
        );
    }

    #[test]
    fn algorithm_names_parse_without_regard_to_case() {
        assert_eq!("eddsa".parse(), Ok(SigningAlgorithm::EdDsa));
        assert_eq!("ES256".parse(), Ok(SigningAlgorithm::Es256));
        assert_eq!("hs256".parse(), Ok(SigningAlgorithm::Hs256));
        assert!("RS256".parse::<SigningAlgorithm>().is_err());
    }
}
