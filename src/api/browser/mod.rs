//! What browser apps need from authql: the origins allowed to call it
//! (CORS), the refresh cookie and its cross-site rule, and where GraphiQL's
//! own files come from.

pub mod cookie;
pub mod graphiql_assets;
pub mod origin;

use std::path::PathBuf;

use cookie::CookieSettings;
use origin::Origin;

/// The browser settings of the configuration.
#[derive(Clone, Debug, Default)]
pub struct BrowserSettings {
    /// `CORS_ALLOWED_ORIGINS`: origins whose pages may call `/graphql` with
    /// credentials.
    pub allowed_origins: Vec<Origin>,
    /// `COOKIE_SECURE`, `COOKIE_SAMESITE`, `COOKIE_DOMAIN`.
    pub cookie: CookieSettings,
    /// `GRAPHIQL_ASSETS_DIR`: GraphiQL's files on disk instead of the CDN.
    pub graphiql_assets_dir: Option<PathBuf>,
}
