//! GraphiQL's own files: the pinned versions on a CDN, each with its
//! Subresource Integrity hash, or the same files read once from
//! `GRAPHIQL_ASSETS_DIR` (a `node_modules` folder filled from the npm
//! registry, see `examples/graphiql-assets/`) and served by authql itself.
//!
//! The CDN serves a package's files exactly as they are in its npm tarball,
//! so one hash holds for both; a test checks the hashes against the files
//! the npm registry hands out for these versions.

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
#[error(
    "GRAPHIQL_ASSETS_DIR: cannot read {path}: {source} (fill the folder with `npm ci` in examples/graphiql-assets, see the README)"
)]
pub struct AssetsError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl LocalAssets {
    /// Reads every file once, at start, so a missing one stops the start
    /// instead of breaking the page later.
    pub fn load(dir: &Path) -> Result<LocalAssets, AssetsError> {
        let files = ASSETS
            .iter()
            .map(|asset| {
                let path = dir.join(asset.package_path);
                std::fs::read(&path)
                    .map(Bytes::from)
                    .map_err(|source| AssetsError { path, source })
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
