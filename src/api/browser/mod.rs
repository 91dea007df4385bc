//! What browser apps need from authql: the origins allowed to call it
//! (CORS), the refresh cookie and its cross-site rule, and where GraphiQL's
//! own files come from.

pub mod cookie;
pub mod graphiql_assets;
pub mod origin;

pub use crate::config::browser::BrowserSettings;
