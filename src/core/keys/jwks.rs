//! The JWK Set (RFC 7517) that other services fetch to verify access tokens
//! offline: `{"keys": [...]}`, the current key first.

use crate::core::keys::signing_key::{Jwk, PublicKey};

#[derive(serde::Serialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

/// The document for these keys; None when there are none to publish
/// (`HS256`, whose key is secret).
pub(crate) fn render(keys: &[PublicKey]) -> Option<String> {
    if keys.is_empty() {
        return None;
    }
    let set = JwkSet {
        keys: keys.iter().map(PublicKey::jwk).collect(),
    };
    // Plain strings in a struct: serializing it cannot fail.
    serde_json::to_string(&set).ok()
}
