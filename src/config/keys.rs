//! The keys' settings: `JWT_SECRET`, `JWT_SECRET_FILE`, `JWT_ALGORITHM`,
//! `JWT_PRIVATE_KEY_FILE`, `JWT_PREVIOUS_PUBLIC_KEY_FILES`,
//! `JWKS_MAX_AGE_SECS`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::secret::Secret;

/// Where the HS256 key comes from.
#[derive(Clone, Debug)]
pub enum JwtSecretSource {
    /// `JWT_SECRET`, already checked to be 32 bytes or more.
    Given(Secret),
    /// Generated once and kept in this file (`JWT_SECRET_FILE`).
    GeneratedFile(PathBuf),
}

/// Where the private key of `EdDSA`/`ES256` comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivateKeySource {
    /// `JWT_PRIVATE_KEY_FILE`: it must exist.
    Given(PathBuf),
    /// Generated on the first start and kept in this file.
    GeneratedFile(PathBuf),
}

/// How access tokens are signed.
#[derive(Clone, Debug)]
pub struct AccessSigning {
    /// `JWT_ALGORITHM`, pinned: tokens of any other are refused.
    pub algorithm: SigningAlgorithm,
    /// Used by `EdDSA` and `ES256` only.
    pub private_key: PrivateKeySource,
    /// PEM public keys that still verify and are still published.
    pub previous_public_keys: Vec<PathBuf>,
    /// How long others may cache `/.well-known/jwks.json`.
    pub jwks_max_age: Duration,
}

/// The `alg` access tokens are signed with, pinned per server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// HMAC-SHA256 with the shared `JWT_SECRET`.
    Hs256,
    /// Ed25519 signatures.
    EdDsa,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl SigningAlgorithm {
    /// The name in `JWT_ALGORITHM`, in a token's `alg` and in a JWK.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Hs256 => "HS256",
            SigningAlgorithm::EdDsa => "EdDSA",
            SigningAlgorithm::Es256 => "ES256",
        }
    }

    /// jsonwebtoken's name for it.
    pub(crate) fn jwt_algorithm(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlgorithm::Hs256 => jsonwebtoken::Algorithm::HS256,
            SigningAlgorithm::EdDsa => jsonwebtoken::Algorithm::EdDSA,
            SigningAlgorithm::Es256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = String;

    /// Case does not matter: `eddsa` is `EdDSA`.
    fn from_str(value: &str) -> Result<Self, String> {
        [
            SigningAlgorithm::Hs256,
            SigningAlgorithm::EdDsa,
            SigningAlgorithm::Es256,
        ]
        .into_iter()
        .find(|algorithm| algorithm.as_str().eq_ignore_ascii_case(value.trim()))
        .ok_or_else(|| "expected HS256, EdDSA or ES256".to_owned())
    }
}
