//! `/.well-known/jwks.json`: the public keys of `EdDSA`/`ES256` access
//! tokens, for gateways that verify them offline. 404 with `HS256`, whose
//! key is secret. Caches may keep the answer for `JWKS_MAX_AGE_SECS`, which
//! is why a rotation publishes the new key (as a previous one) before any
//! replica signs with it; see the rotation steps in docs/api.md.

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
