//! GraphiQL's own files: the pinned versions on a CDN, each with its
//! Subresource Integrity hash, or the same files read once from
//! `GRAPHIQL_ASSETS_DIR` (a `node_modules` folder filled from the npm
//! registry, see `examples/graphiql-assets/`) and served by authql itself.
//!
//! The CDN serves a package's files exactly as they are in its npm tarball,
//! so one hash holds for both; a test checks the hashes against the files
//! the npm registry hands out for these versions. Files read from
//! `GRAPHIQL_ASSETS_DIR` are checked against the same hashes at start, so
//! the page runs no other version, and nothing altered, from either place.

use std::path::{Path, PathBuf};

use axum::body::Bytes;

/// The CDN every pinned file comes from.
pub const CDN_ORIGIN: &str = "https://cdn.jsdelivr.net";

/// One file of GraphiQL's page.
#[derive(Debug)]
pub struct Asset {
    /// Its name under `/graphiql/` when authql serves it.
    pub name: &'static str,
    /// Its path in `node_modules`, which is also its path on the CDN after
    /// the package name and version.
    pub package_path: &'static str,
    /// `package@version`, pinned.
    pub package: &'static str,
    /// `sha384-…` of the file, for the `integrity` attribute.
    pub integrity: &'static str,
    pub content_type: &'static str,
}

impl Asset {
    /// Where the CDN serves it.
    pub fn cdn_url(&self) -> String {
        let path = self
            .package_path
            .split_once('/')
            .map_or(self.package_path, |(_, path)| path);
        format!("{CDN_ORIGIN}/npm/{}/{path}", self.package)
    }
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// React first, then React DOM, then GraphiQL, which needs both; its style
/// sheet last.
pub const ASSETS: [Asset; 4] = [
    Asset {
        name: "react.js",
        package_path: "react/umd/react.production.min.js",
        package: "react@18.3.1",
        integrity: "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
        content_type: JS,
    },
    Asset {
        name: "react-dom.js",
        package_path: "react-dom/umd/react-dom.production.min.js",
        package: "react-dom@18.3.1",
        integrity: "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
        content_type: JS,
    },
    Asset {
        name: "graphiql.js",
        package_path: "graphiql/graphiql.min.js",
        package: "graphiql@3.9.0",
        integrity: "sha384-8NGfVj4CVlqHajlZj+bPJT4thxPMHMJYn7DWK2CvtopLd02E7qsPHazniBYvVjOO",
        content_type: JS,
    },
    Asset {
        name: "graphiql.css",
        package_path: "graphiql/graphiql.min.css",
        package: "graphiql@3.9.0",
        integrity: "sha384-QMux00XgRtwRLSYIY3kw2rj1ovk5AuuliAchk+HSQbqdbGFnz9GYuqIlOqxhwCE2",
        content_type: CSS,
    },
];

/// The files of `GRAPHIQL_ASSETS_DIR`, in the order of [`ASSETS`].
#[derive(Debug)]
pub struct LocalAssets {
    files: Vec<Bytes>,
}

/// Why `GRAPHIQL_ASSETS_DIR` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    #[error(
        "GRAPHIQL_ASSETS_DIR: cannot read {path}: {source} (fill the folder with `npm ci` in examples/graphiql-assets, see the README)"
    )]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "GRAPHIQL_ASSETS_DIR: {path} is not the file of {package} (its hash differs); install the pinned versions with `npm ci` in examples/graphiql-assets"
    )]
    NotPinned {
        path: PathBuf,
        package: &'static str,
    },
}

/// The `integrity` value of some bytes: `sha384-` and the base64 digest.
pub fn integrity_of(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

impl LocalAssets {
    /// Reads and checks every file once, at start, so a missing or wrong
    /// one stops the start instead of breaking the page later.
    pub fn load(dir: &Path) -> Result<LocalAssets, AssetsError> {
        let files = ASSETS
            .iter()
            .map(|asset| {
                let path = dir.join(asset.package_path);
                let bytes = match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(source) => return Err(AssetsError::Unreadable { path, source }),
                };
                if integrity_of(&bytes) != asset.integrity {
                    return Err(AssetsError::NotPinned {
                        path,
                        package: asset.package,
                    });
                }
                Ok(Bytes::from(bytes))
            })
            .collect::<Result<_, _>>()?;
        Ok(LocalAssets { files })
    }

    /// The asset called `name` and its bytes.
    pub fn get(&self, name: &str) -> Option<(&'static Asset, Bytes)> {
        let index = ASSETS.iter().position(|asset| asset.name == name)?;
        Some((&ASSETS[index], self.files.get(index)?.clone()))
    }
}
