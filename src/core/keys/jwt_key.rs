//! Resolves what access tokens are signed with: `HS256` uses the server
//! secret; `EdDSA` and `ES256` use the private key in `JWT_PRIVATE_KEY_FILE`,
//! or one generated on the first start and kept (mode 0600) as
//! `authql-jwt-key.pem`, plus the public keys of
//! `JWT_PREVIOUS_PUBLIC_KEY_FILES`, which still verify after a rotation.
//! Every key must be of the configured algorithm, or the server does not
//! start: a key of another kind would never verify anything.

use std::path::Path;

use crate::config::{AccessSigning, PrivateKeySource};
use crate::core::keys::signing_key::{KeyError, PrivateKey, PublicKey, SigningAlgorithm};
use crate::core::tokens::access_token::AccessKeys;
use crate::secret::Secret;

/// Why the signing keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JwtKeyError {
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

/// The keys to sign and verify access tokens with; `secret` is the resolved
/// `JWT_SECRET`, the key of `HS256`.
pub fn resolve(signing: &AccessSigning, secret: &Secret) -> Result<AccessKeys, JwtKeyError> {
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
        PrivateKeySource::Given(path) => read_private(path, algorithm)?,
        PrivateKeySource::GeneratedFile(path) => load_or_generate(path, algorithm)?,
    };
    let previous = signing
        .previous_public_keys
        .iter()
        .map(|path| read_public(path, algorithm))
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

fn load_or_generate(path: &Path, algorithm: SigningAlgorithm) -> Result<PrivateKey, JwtKeyError> {
    match read_private(path, algorithm) {
        Err(JwtKeyError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        found => return found,
    }
    let key = PrivateKey::generate(algorithm).map_err(|source| key_error(path, source))?;
    let pem = key.to_pem().map_err(|source| key_error(path, source))?;
    match crate::core::keys::owner_only_file::create_new(path, pem.expose().as_bytes()) {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "JWT_PRIVATE_KEY_FILE is unset: generated a key and kept it in this file; back it up, or set JWT_PRIVATE_KEY_FILE"
            );
            Ok(key)
        }
        // Another replica starting beside us made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_private(path, algorithm),
        Err(source) => Err(JwtKeyError::Write {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn read_private(path: &Path, algorithm: SigningAlgorithm) -> Result<PrivateKey, JwtKeyError> {
    let key = PrivateKey::from_pem(&read(path)?).map_err(|source| key_error(path, source))?;
    warn_if_others_can_read(path);
    key.public()
        .expect_algorithm(algorithm)
        .map_err(|source| key_error(path, source))?;
    Ok(key)
}

fn read_public(path: &Path, algorithm: SigningAlgorithm) -> Result<PublicKey, JwtKeyError> {
    let key = PublicKey::from_pem(&read(path)?).map_err(|source| key_error(path, source))?;
    key.expect_algorithm(algorithm)
        .map_err(|source| key_error(path, source))?;
    Ok(key)
}

/// A private key readable by others than its owner is worth a warning,
/// not a refusal: the operator may have reasons (a group of services).
fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the signing key file is readable by others than its owner; chmod 600 it"
            );
        }
    }
}

fn read(path: &Path) -> Result<String, JwtKeyError> {
    std::fs::read_to_string(path).map_err(|source| JwtKeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn key_error(path: &Path, source: KeyError) -> JwtKeyError {
    JwtKeyError::Key {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
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
        let dir = std::env::temp_dir().join(format!("authql-key-{}", crate::core::ids::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = Secret::new("s".repeat(32));
        let first = resolve(&signing(&dir, SigningAlgorithm::Es256, vec![]), &secret).unwrap();
        let again = resolve(&signing(&dir, SigningAlgorithm::Es256, vec![]), &secret).unwrap();
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
        let refused = resolve(&signing(&dir, SigningAlgorithm::EdDsa, vec![]), &secret);
        assert!(
            matches!(refused, Err(JwtKeyError::Key { .. })),
            "an ES256 key for EdDSA"
        );
        let other = PrivateKey::generate(SigningAlgorithm::EdDsa)
            .unwrap()
            .public();
        std::fs::write(dir.join("old.pub.pem"), other.to_pem().unwrap()).unwrap();
        let mixed = signing(&dir, SigningAlgorithm::Es256, vec![dir.join("old.pub.pem")]);
        assert!(matches!(
            resolve(&mixed, &secret),
            Err(JwtKeyError::Key { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
