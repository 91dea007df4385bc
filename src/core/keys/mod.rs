//! Keys: the `JWT_SECRET` (refresh tokens, and access tokens with `HS256`)
//! and the asymmetric keys of `EdDSA`/`ES256` access tokens, with the JWK
//! set a gateway verifies those tokens with.
//!
//! [`Keys::load`] is the one way in: `authql serve` and the tests call it
//! once, and everything else takes what it needs from the [`Keys`] it
//! returns. It resolves `JWT_SECRET` (or the secret generated once and kept
//! in `JWT_SECRET_FILE`), then what access tokens are signed with: the
//! server secret for `HS256`; for `EdDSA` and `ES256`, the private key in
//! `JWT_PRIVATE_KEY_FILE`, or one generated on the first start and kept
//! (mode 0600) as `authql-jwt-key.pem`, plus the public keys of
//! `JWT_PREVIOUS_PUBLIC_KEY_FILES`, which still verify after a rotation.
//! Every key must be of the configured algorithm, or the server does not
//! start: a key of another kind would never verify anything.
//!
//! - [`signing_key`]: the key pairs, their PEM forms, JWKs and `kid`s.
//! - `key_files`: reading key files, and making those the server keeps
//!   for itself.

pub(crate) mod key_files;
pub(crate) mod sealing;
pub mod signing_key;

use jsonwebtoken::jwk::JwkSet;

use crate::config::{AccessSigning, Config, JwtSecretSource, PrivateKeySource};
use crate::core::keys::signing_key::{KeyError, PrivateKey, PublicKey, SigningAlgorithm};
use crate::secret::{ExposeSecret, Secret};

/// Every key the server holds, loaded once at start.
#[derive(Clone, Debug)]
pub struct Keys {
    /// `JWT_SECRET`: the key of refresh tokens, and of access tokens with
    /// `HS256`.
    pub jwt_secret: Secret,
    /// What access tokens are signed and verified with.
    pub access: AccessKeys,
}

/// Why the keys could not be had; the server does not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the JWT secret file {path}: {source}")]
    SecretRead {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the JWT secret file {path}: {source}")]
    SecretWrite {
        path: String,
        source: std::io::Error,
    },
    #[error("the JWT secret file {path} holds fewer than 32 bytes")]
    SecretTooShort { path: String },
    #[error("cannot read the key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the key file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the key file {path} holds {source}")]
    Key { path: String, source: KeyError },
}

impl Keys {
    /// The keys `config` names, read from their files, or generated and
    /// kept when the configuration leaves that to the server.
    pub fn load(config: &Config) -> Result<Keys, LoadError> {
        let jwt_secret = match &config.jwt_secret {
            JwtSecretSource::Given(secret) => secret.clone(),
            JwtSecretSource::GeneratedFile(path) => key_files::load_or_generate_secret(path)?,
        };
        let access = AccessKeys::load(&config.access_signing, &jwt_secret)?;
        Ok(Keys { jwt_secret, access })
    }

    /// Keys for commands that sign no token (`user`, `prune`): a random
    /// secret, so that no key file is read or made.
    pub fn unused() -> Keys {
        let jwt_secret = Secret::from(crate::core::ids::new_secret());
        Keys {
            access: AccessKeys::Shared(jwt_secret.clone()),
            jwt_secret,
        }
    }

    /// The JWK Set (RFC 7517) other services fetch to verify access tokens
    /// offline, `{"keys": [...]}` with the current key first; None when
    /// there is none to publish (`HS256`, whose key is secret).
    pub fn jwks_document(&self) -> Option<String> {
        let keys = self.access.public_keys();
        if keys.is_empty() {
            return None;
        }
        let set = JwkSet {
            keys: keys.iter().map(PublicKey::jwk).collect(),
        };
        // Strings and enums of plain names: serializing them cannot fail.
        serde_json::to_string(&set).ok()
    }
}

/// What access tokens are signed and verified with.
#[derive(Clone, Debug)]
pub enum AccessKeys {
    /// `HS256` with the shared secret.
    Shared(Secret),
    /// `EdDSA` or `ES256`: signs with `current`, verifies with it and with
    /// `previous` (all of the same algorithm).
    Pairs {
        /// Boxed: a key pair is far larger than the shared secret.
        current: Box<PrivateKey>,
        previous: Vec<PublicKey>,
    },
}

impl AccessKeys {
    /// The keys `signing` names; `secret` is the resolved `JWT_SECRET`, the
    /// key of `HS256`.
    fn load(signing: &AccessSigning, secret: &Secret) -> Result<AccessKeys, LoadError> {
        let algorithm = signing.algorithm;
        if algorithm == SigningAlgorithm::Hs256 {
            if let PrivateKeySource::Given(path) = &signing.private_key {
                tracing::warn!(
                    path = %path.display(),
                    "JWT_PRIVATE_KEY_FILE is ignored: JWT_ALGORITHM is HS256, which signs with JWT_SECRET"
                );
            }
            if !signing.previous_public_keys.is_empty() {
                tracing::warn!(
                    "JWT_PREVIOUS_PUBLIC_KEY_FILES is ignored: JWT_ALGORITHM is HS256, which has no public keys"
                );
            }
            return Ok(AccessKeys::Shared(secret.clone()));
        }
        let current = match &signing.private_key {
            PrivateKeySource::Given(path) => key_files::read_private(path, algorithm)?,
            PrivateKeySource::GeneratedFile(path) => {
                key_files::load_or_generate_private(path, algorithm)?
            }
        };
        let previous = signing
            .previous_public_keys
            .iter()
            .map(|path| key_files::read_public(path, algorithm))
            .collect::<Result<Vec<_>, _>>()?;
        tracing::info!(
            %algorithm,
            kid = %current.public().kid(),
            previous = previous.len(),
            "access tokens are signed with this key; /.well-known/jwks.json publishes it"
        );
        Ok(AccessKeys::Pairs {
            current: Box::new(current),
            previous,
        })
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        match self {
            AccessKeys::Shared(_) => SigningAlgorithm::Hs256,
            AccessKeys::Pairs { current, .. } => current.algorithm(),
        }
    }

    /// The public keys that verify tokens, the current one first, each
    /// once (a rotation may list the current key as a previous one too);
    /// none with `HS256`, whose key must stay secret.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        match self {
            AccessKeys::Shared(_) => Vec::new(),
            AccessKeys::Pairs { current, previous } => {
                let mut keys = vec![current.public()];
                for key in previous {
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
                keys
            }
        }
    }

    /// jsonwebtoken's signing key, and the `kid` tokens name it by (none
    /// with `HS256`).
    pub(crate) fn encoding_key(
        &self,
    ) -> Result<(jsonwebtoken::EncodingKey, Option<String>), KeyError> {
        use jsonwebtoken::EncodingKey;
        match self {
            AccessKeys::Shared(secret) => Ok((
                EncodingKey::from_secret(secret.expose_secret().as_bytes()),
                None,
            )),
            AccessKeys::Pairs { current, .. } => {
                let der = current.to_der()?;
                let key = match current.as_ref() {
                    PrivateKey::Ed25519(_) => EncodingKey::from_ed_der(&der),
                    PrivateKey::P256(_) => EncodingKey::from_ec_der(&der),
                };
                Ok((key, Some(current.public().kid())))
            }
        }
    }

    /// jsonwebtoken's verifying keys: the shared secret alone, or each
    /// public key by its `kid`, made from the very JWKs the JWKS publishes.
    pub(crate) fn decoding_keys(&self) -> Result<DecodingKeys, KeyError> {
        use jsonwebtoken::DecodingKey;
        match self {
            AccessKeys::Shared(secret) => Ok(DecodingKeys::Shared(DecodingKey::from_secret(
                secret.expose_secret().as_bytes(),
            ))),
            AccessKeys::Pairs { .. } => {
                let algorithm = self.algorithm();
                let mut by_kid = Vec::new();
                for public in self.public_keys() {
                    public.expect_algorithm(algorithm)?;
                    let key = DecodingKey::from_jwk(&public.jwk())
                        .map_err(|e| KeyError::Encode(e.to_string()))?;
                    by_kid.push((public.kid(), key));
                }
                Ok(DecodingKeys::ByKid(by_kid))
            }
        }
    }
}

/// How a presented token's key is found.
pub(crate) enum DecodingKeys {
    /// `HS256`: the one shared key.
    Shared(jsonwebtoken::DecodingKey),
    /// A key pair's public halves, by `kid`; a handful at most.
    ByKid(Vec<(String, jsonwebtoken::DecodingKey)>),
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn signing(
        dir: &Path,
        algorithm: SigningAlgorithm,
        previous: Vec<std::path::PathBuf>,
    ) -> AccessSigning {
        AccessSigning {
            algorithm,
            private_key: PrivateKeySource::GeneratedFile(dir.join("key.pem")),
            previous_public_keys: previous,
            jwks_max_age: std::time::Duration::from_secs(300),
        }
    }

    #[test]
    fn a_generated_key_is_kept_owner_only_and_of_the_configured_kind() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let secret = Secret::from("s".repeat(32));
        let load = |signing: &AccessSigning| AccessKeys::load(signing, &secret);
        let first = load(&signing(dir, SigningAlgorithm::Es256, vec![])).unwrap();
        let again = load(&signing(dir, SigningAlgorithm::Es256, vec![])).unwrap();
        assert_eq!(first.public_keys(), again.public_keys());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let refused = load(&signing(dir, SigningAlgorithm::EdDsa, vec![]));
        assert!(
            matches!(refused, Err(LoadError::Key { .. })),
            "an ES256 key for EdDSA"
        );
        let other = PrivateKey::generate(SigningAlgorithm::EdDsa)
            .unwrap()
            .public();
        std::fs::write(dir.join("old.pub.pem"), other.to_pem().unwrap()).unwrap();
        let mixed = signing(dir, SigningAlgorithm::Es256, vec![dir.join("old.pub.pem")]);
        assert!(matches!(load(&mixed), Err(LoadError::Key { .. })));
    }

    #[test]
    fn the_jwks_lists_each_public_key_once_and_none_with_hs256() {
        let shared = Keys::unused();
        assert_eq!(shared.jwks_document(), None);
        let old = PrivateKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let new = PrivateKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let rotated = Keys {
            jwt_secret: shared.jwt_secret.clone(),
            access: AccessKeys::Pairs {
                current: Box::new(new.clone()),
                previous: vec![old.public(), new.public()],
            },
        };
        let document: serde_json::Value =
            serde_json::from_str(&rotated.jwks_document().unwrap()).unwrap();
        let kids: Vec<&str> = document["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, [new.public().kid(), old.public().kid()]);
    }
}
