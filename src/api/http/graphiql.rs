//! The GraphiQL page at `GET /graphql` and the files it loads from
//! `/graphiql/`. Its scripts are GraphiQL's pinned files (from
//! `GRAPHIQL_ASSETS_DIR` through authql, or from the CDN with Subresource
//! Integrity) and authql's own `page.js`, which shows GraphiQL when it
//! loaded and a built-in console when it did not. No inline script: the
//! `Content-Security-Policy` lets scripts come only from authql and, without
//! `GRAPHIQL_ASSETS_DIR`, the CDN; the page may talk to authql alone.

use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::HttpState;
use crate::api::browser::graphiql_assets::{ASSETS, Asset};

/// authql's own script and style sheet, built into the binary.
const PAGE_JS: &str = include_str!("graphiql/page.js");
const PAGE_CSS: &str = include_str!("graphiql/page.css");

/// The page, for a browser.
pub(crate) fn page(state: &HttpState) -> Response {
    let local = state.graphiql_assets.is_some();
    let mut styles = String::new();
    let mut scripts = String::new();
    // Written into the page as they are: names, URLs and hashes are
    // constants. The browser checks each file's hash wherever it comes from
    // (files of GRAPHIQL_ASSETS_DIR were checked at start too).
    for asset in &ASSETS {
        let url = asset_url(asset, local);
        let integrity = asset.integrity;
        let checked = format!(r#" integrity="{integrity}" crossorigin="anonymous""#);
        // GraphiQL's style sheet is only preloaded: a style sheet that is
        // still loading holds back every script, the console's too, and a
        // CDN that never answers would hold it back for good. page.js
        // applies it when GraphiQL starts.
        let _ = if asset.name.ends_with(".css") {
            writeln!(
                styles,
                r#"<link rel="preload" as="style" href="{url}"{checked}>"#
            )
        } else {
            writeln!(scripts, r#"<script src="{url}"{checked} defer></script>"#)
        };
    }
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>authql</title>
{styles}<link rel="stylesheet" href="/graphiql/page.css">
</head>
<body>
<header id="authql-bar"></header>
<main id="authql-main"><p>Loading GraphiQL…</p></main>
<script src="/graphiql/page.js" defer></script>
{scripts}</body>
</html>
"#
    );
    let policy = content_security_policy(local);
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Where the page loads an asset from.
fn asset_url(asset: &Asset, local: bool) -> String {
    if local {
        format!("/graphiql/{}", asset.name)
    } else {
        asset.cdn_url()
    }
}

/// Scripts and styles from authql and, without `GRAPHIQL_ASSETS_DIR`, the
/// pinned CDN files alone (their exact URLs, not the whole CDN, which serves
/// whatever anyone publishes to npm); requests to authql only; no frames,
/// forms, plugins or base URL.
pub(crate) fn content_security_policy(local: bool) -> String {
    let mut scripts = String::from("'self'");
    let mut styles = String::from("'self'");
    if !local {
        for asset in &ASSETS {
            let list = if asset.name.ends_with(".css") {
                &mut styles
            } else {
                &mut scripts
            };
            list.push(' ');
            list.push_str(&asset.cdn_url());
        }
    }
    format!(
        "default-src 'none'; script-src {scripts}; style-src {styles}; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// `GET /graphiql/{name}`: authql's page script and style sheet, and
/// GraphiQL's files when `GRAPHIQL_ASSETS_DIR` is set.
pub(crate) async fn asset(State(state): State<HttpState>, Path(name): Path<String>) -> Response {
    const JS: &str = "text/javascript; charset=utf-8";
    const CSS: &str = "text/css; charset=utf-8";
    let (content_type, body) = match name.as_str() {
        "page.js" => (JS, Bytes::from_static(PAGE_JS.as_bytes())),
        "page.css" => (CSS, Bytes::from_static(PAGE_CSS.as_bytes())),
        _ => match state.graphiql_assets.as_ref().and_then(|a| a.get(&name)) {
            Some((asset, bytes)) => (asset.content_type, bytes),
            None => return (StatusCode::NOT_FOUND, "no such file\n").into_response(),
        },
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The names do not change with versions; a restart may bring new files.
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}
