//! `/.well-known/jwks.json`: the public keys of `EdDSA`/`ES256` access
//! tokens, for gateways that verify them offline. 404 with `HS256`, whose
//! key is secret. Caches may keep the answer for `JWKS_MAX_AGE_SECS`; a
//! rotation lists the new key beside the previous ones, so a cached copy
//! that lacks the new `kid` is refetched by the usual clients.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::HttpState;

pub(crate) async fn jwks(State(state): State<HttpState>) -> Response {
    let Some(document) = state.app.jwks.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "no public keys: access tokens are signed HS256\n",
        )
            .into_response();
    };
    let max_age = state.app.config.access_signing.jwks_max_age.as_secs();
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, cache),
        ],
        document,
    )
        .into_response()
}
