//! The files keys live in: `JWT_SECRET_FILE`, `JWT_PRIVATE_KEY_FILE`, the
//! previous public keys, and those the server makes for itself on the first
//! start. A file the server makes is readable by its owner only, never
//! overwrites anything, and is never seen half written by a replica
//! starting at the same moment: the one that loses the race reads the
//! winner's. tempfile writes the scratch file and moves it into place;
//! what is ours is only which file to read, and what to make when it is
//! missing.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::core::keys::LoadError;
use crate::core::keys::signing_key::{KeyError, PrivateKey, PublicKey, SigningAlgorithm};
use crate::secret::{ExposeSecret, Secret};

/// Shortest `JWT_SECRET` kept in a file, in bytes (the contract's minimum).
const MIN_SECRET_BYTES: usize = 32;

/// The secret kept in `path`, or a new one generated and kept there, so
/// that tokens survive a restart.
pub(crate) fn load_or_generate_secret(path: &Path) -> Result<Secret, LoadError> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(contents) => {
            let secret = contents.trim();
            if secret.len() < MIN_SECRET_BYTES {
                return Err(LoadError::SecretTooShort { path: shown });
            }
            tracing::info!(path = %shown, "using the generated JWT secret kept in this file");
            Ok(Secret::from(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 48]>());
            create_new(path, format!("{secret}\n").as_bytes()).map_err(|source| {
                LoadError::SecretWrite {
                    path: shown.clone(),
                    source,
                }
            })?;
            tracing::warn!(
                path = %shown,
                "JWT_SECRET is unset: generated one and kept it in this file; set JWT_SECRET in production"
            );
            Ok(Secret::from(secret))
        }
        Err(source) => Err(LoadError::SecretRead {
            path: shown,
            source,
        }),
    }
}

/// The private key kept in `path`, or a new one of `algorithm` generated
/// and kept there.
pub(crate) fn load_or_generate_private(
    path: &Path,
    algorithm: SigningAlgorithm,
) -> Result<PrivateKey, LoadError> {
    match read_private(path, algorithm) {
        Err(LoadError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        found => return found,
    }
    let key = PrivateKey::generate(algorithm).map_err(|source| key_error(path, source))?;
    let pem = key.to_pem().map_err(|source| key_error(path, source))?;
    match create_new(path, pem.expose_secret().as_bytes()) {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "JWT_PRIVATE_KEY_FILE is unset: generated a key and kept it in this file; back it up, or set JWT_PRIVATE_KEY_FILE"
            );
            Ok(key)
        }
        // Another replica starting beside us made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_private(path, algorithm),
        Err(source) => Err(LoadError::Write {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The private key in `path`, which must be of `algorithm`.
pub(crate) fn read_private(
    path: &Path,
    algorithm: SigningAlgorithm,
) -> Result<PrivateKey, LoadError> {
    let key = PrivateKey::from_pem(&read(path)?).map_err(|source| key_error(path, source))?;
    warn_if_others_can_read(path);
    key.public()
        .expect_algorithm(algorithm)
        .map_err(|source| key_error(path, source))?;
    Ok(key)
}

/// The public key in `path`, which must be of `algorithm`.
pub(crate) fn read_public(
    path: &Path,
    algorithm: SigningAlgorithm,
) -> Result<PublicKey, LoadError> {
    let key = PublicKey::from_pem(&read(path)?).map_err(|source| key_error(path, source))?;
    key.expect_algorithm(algorithm)
        .map_err(|source| key_error(path, source))?;
    Ok(key)
}

/// Creates `path` with mode 0600 holding `contents`; fails with
/// `AlreadyExists` if the file exists (another process made it meanwhile,
/// or an operator's key is there), so nothing is ever overwritten. The
/// contents go to a scratch file beside it first (tempfile's
/// `NamedTempFile`, created 0600), which is then moved into place whole
/// without replacing anything (`persist_noclobber`: `renameat2` with
/// `RENAME_NOREPLACE`, or a hard link where that is missing). On failure
/// the scratch file is removed.
pub(crate) fn create_new(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut scratch = tempfile::Builder::new();
    scratch.prefix(".authql-key-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        scratch.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut scratch = scratch.tempfile_in(dir)?;
    scratch.write_all(contents)?;
    scratch.as_file().sync_all()?;
    scratch
        .persist_noclobber(path)
        .map(drop)
        .map_err(|refused| refused.error)
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

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn key_error(path: &Path, source: KeyError) -> LoadError {
    LoadError::Key {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file in `dir`, by name.
    fn listed(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_is_owner_only_and_an_existing_one_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        create_new(&path, b"first").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let refused = create_new(&path, b"second").unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(listed(dir.path()), ["key.pem"], "no scratch file left");
    }

    #[test]
    fn replicas_racing_to_make_the_key_all_use_the_winners() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        let barrier = std::sync::Barrier::new(8);
        let kids: Vec<String> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        load_or_generate_private(&path, SigningAlgorithm::EdDsa)
                            .unwrap()
                            .public()
                            .kid()
                    })
                })
                .collect();
            racers
                .into_iter()
                .map(|racer| racer.join().unwrap())
                .collect()
        });
        let kept = PrivateKey::from_pem(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(
            kids.iter().all(|kid| *kid == kept.public().kid()),
            "{kids:?}"
        );
        assert_eq!(listed(dir.path()), ["key.pem"], "no scratch file left");
    }

    #[test]
    fn generated_secret_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        let first = load_or_generate_secret(&path).unwrap();
        let second = load_or_generate_secret(&path).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= MIN_SECRET_BYTES);
        std::fs::write(&path, "short\n").unwrap();
        assert!(matches!(
            load_or_generate_secret(&path),
            Err(LoadError::SecretTooShort { .. })
        ));
    }
}
