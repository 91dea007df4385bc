//! Resolves the HS256 key: `JWT_SECRET` when given, else a secret generated
//! once and kept in `JWT_SECRET_FILE`, so that tokens survive a restart.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::config::JwtSecretSource;
use crate::secret::Secret;

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JwtSecretError {
    #[error("cannot read the JWT secret file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the JWT secret file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the JWT secret file {path} holds fewer than 32 bytes")]
    TooShort { path: String },
}

/// The key to sign with.
pub(crate) fn resolve(source: &JwtSecretSource) -> Result<Secret, JwtSecretError> {
    match source {
        JwtSecretSource::Given(secret) => Ok(secret.clone()),
        JwtSecretSource::GeneratedFile(path) => load_or_generate(path),
    }
}

fn load_or_generate(path: &Path) -> Result<Secret, JwtSecretError> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(contents) => {
            let secret = contents.trim();
            if secret.len() < 32 {
                return Err(JwtSecretError::TooShort { path: shown });
            }
            tracing::info!(path = %shown, "using the generated JWT secret kept in this file");
            Ok(Secret::new(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 48]>());
            crate::core::keys::owner_only_file::create_new(path, format!("{secret}\n").as_bytes())
                .map_err(|source| JwtSecretError::Write {
                    path: shown.clone(),
                    source,
                })?;
            tracing::warn!(
                path = %shown,
                "JWT_SECRET is unset: generated one and kept it in this file; set JWT_SECRET in production"
            );
            Ok(Secret::new(secret))
        }
        Err(source) => Err(JwtSecretError::Read {
            path: shown,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_is_kept_across_restarts() {
        let dir =
            std::env::temp_dir().join(format!("authql-secret-{}", crate::core::ids::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = JwtSecretSource::GeneratedFile(dir.join("secret"));
        let first = resolve(&source).unwrap();
        let second = resolve(&source).unwrap();
        assert_eq!(first, second);
        assert!(first.expose().len() >= 32);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
