//! `authql keys generate|public`: key files for `EdDSA`/`ES256`, for a first
//! setup or a rotation. The public key goes to stdout as PEM, so that
//! `> old.pub.pem` makes a file fit for `JWT_PREVIOUS_PUBLIC_KEY_FILES`; the
//! `kid` goes to stderr beside it.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::core::keys::signing_key::{KeyError, PrivateKey, SigningAlgorithm};
use crate::secret::ExposeSecret;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Write a new private key (PKCS#8 PEM, mode 0600) and print its public key and kid.
    Generate {
        /// EdDSA (Ed25519) or ES256 (P-256).
        #[arg(long, value_parser = key_pair_algorithm)]
        algorithm: SigningAlgorithm,
        /// Where to write the private key; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key (PEM) and kid of a private key file.
    Public { file: PathBuf },
}

/// Why a key command failed.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Key { path: String, source: KeyError },
}

/// Runs a `keys` command.
pub(crate) fn run(command: KeysCommand) -> Result<(), KeysError> {
    match command {
        KeysCommand::Generate { algorithm, out } => {
            let key_error = |source| KeysError::Key {
                path: out.display().to_string(),
                source,
            };
            let key = PrivateKey::generate(algorithm).map_err(key_error)?;
            let pem = key.to_pem().map_err(key_error)?;
            crate::core::keys::key_files::create_new(&out, pem.expose_secret().as_bytes())
                .map_err(|source| KeysError::Write {
                    path: out.display().to_string(),
                    source,
                })?;
            eprintln!("wrote a new {algorithm} private key to {}", out.display());
            show_public(&key, &out)
        }
        KeysCommand::Public { file } => {
            let pem = std::fs::read_to_string(&file).map_err(|source| KeysError::Read {
                path: file.display().to_string(),
                source,
            })?;
            let key = PrivateKey::from_pem(&pem).map_err(|source| KeysError::Key {
                path: file.display().to_string(),
                source,
            })?;
            show_public(&key, &file)
        }
    }
}

fn show_public(key: &PrivateKey, file: &Path) -> Result<(), KeysError> {
    let public = key.public();
    let pem = public.to_pem().map_err(|source| KeysError::Key {
        path: file.display().to_string(),
        source,
    })?;
    print!("{pem}");
    eprintln!("kid: {}", public.kid());
    Ok(())
}

fn key_pair_algorithm(value: &str) -> Result<SigningAlgorithm, String> {
    match value.parse()? {
        SigningAlgorithm::Hs256 => Err("HS256 has no key pair: it signs with JWT_SECRET".into()),
        algorithm => Ok(algorithm),
    }
}
