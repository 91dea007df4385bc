//! An `Authorization` header as a client sends it, through the bearer parse
//! and the JWT check under each algorithm: no panic, and only the guard's
//! codes come out.
#![no_main]

use std::sync::OnceLock;

use authql::core::keys::AccessKeys;
use authql::core::tokens::access_token::AccessTokens;
use authql::core::sessions::bearer_token;
use authql::core::keys::signing_key::{PrivateKey, SigningAlgorithm};
use authql::error::Code;
use authql::secret::Secret;
use libfuzzer_sys::fuzz_target;

fn verifiers() -> &'static [AccessTokens] {
    static VERIFIERS: OnceLock<Vec<AccessTokens>> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        let ttl = chrono::TimeDelta::seconds(900);
        let mut keys = vec![AccessKeys::Shared(Secret::from(
            "fuzz-secret-fuzz-secret-fuzz-secret-01",
        ))];
        for algorithm in [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256] {
            let key = PrivateKey::generate(algorithm).expect("a key pair");
            keys.push(AccessKeys::Pairs {
                current: Box::new(key),
                previous: Vec::new(),
            });
        }
        keys.iter()
            .map(|keys| AccessTokens::new(keys, "authql", "authql", ttl).expect("keys"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let Some(token) = bearer_token(header) else {
        return;
    };
    for verifier in verifiers() {
        if let Err(error) = verifier.verify(token, 1_800_000_000) {
            assert!(
                matches!(error.code(), Code::Unauthenticated | Code::TokenExpired),
                "{:?} for {token:?}",
                error.code()
            );
        }
    }
});
