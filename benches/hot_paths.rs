//! Micro-benchmarks of the pieces every request or login goes through, without
//! any I/O: access-token verification (HS256, EdDSA, ES256; and a token
//! checked before, answered from the cache of checked tokens), refresh-token
//! minting and checking,
//! guard resolution (bearer header to verified claims), and one Argon2id
//! verification at the configured cost (OWASP's minimum, the default).
//!
//! Run with `cargo bench --bench hot_paths`; the load benchmark
//! (`examples/loadtest.rs`) measures the same paths end to end over HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test, bench or example stops at the first thing that is not as it expects"
)]

use std::hint::black_box;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use authql::config::Argon2Cost;
use authql::core::ids;
use authql::core::keys::AccessKeys;
use authql::core::keys::signing_key::{PrivateKey, SigningAlgorithm};
use authql::core::sessions::bearer_token;
use authql::core::tokens::access_token::{AccessClaims, AccessTokens, TokenAssurance};
use authql::core::tokens::refresh_token::RefreshTokens;
use authql::secret::{ExposeSecret, Secret};
use criterion::{Criterion, criterion_group, criterion_main};

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";
const PASSWORD: &str = "correct horse battery staple";

fn now_unix() -> i64 {
    authql::core::clock::unix_secs(authql::core::clock::Clock::now(
        &authql::core::clock::SystemClock,
    ))
}

fn access_tokens(algorithm: SigningAlgorithm) -> AccessTokens {
    let keys = match algorithm {
        SigningAlgorithm::Hs256 => AccessKeys::Shared(Secret::from(SECRET)),
        _ => AccessKeys::Pairs {
            current: Box::new(PrivateKey::generate(algorithm).expect("a key pair algorithm")),
            previous: Vec::new(),
        },
    };
    AccessTokens::new(&keys, "authql", "authql", chrono::TimeDelta::seconds(900))
        .expect("access-token keys")
}

fn minted_access_token(tokens: &AccessTokens) -> String {
    tokens
        .mint(
            &ids::new_id(),
            &ids::new_id(),
            "user",
            &TokenAssurance::password(now_unix()),
            now_unix(),
        )
        .expect("minting an access token")
}

/// The signature check itself: `verify` would answer a repeated token from
/// its cache of checked tokens.
fn verify(tokens: &AccessTokens, token: &str, _now: i64) -> AccessClaims {
    tokens.check_signature(token).expect("a valid token")
}

fn access_token_verify(c: &mut Criterion) {
    let now = now_unix();
    for algorithm in [
        SigningAlgorithm::Hs256,
        SigningAlgorithm::EdDsa,
        SigningAlgorithm::Es256,
    ] {
        let tokens = access_tokens(algorithm);
        let token = minted_access_token(&tokens);
        c.bench_function(&format!("access_token/verify/{algorithm}"), |b| {
            b.iter(|| verify(&tokens, black_box(&token), now))
        });
    }
}

/// `verify` of a token checked before, as a client's second request is:
/// the cache of checked tokens answers and only the expiry is checked.
fn access_token_verify_kept(c: &mut Criterion) {
    let tokens = access_tokens(SigningAlgorithm::Hs256);
    let token = minted_access_token(&tokens);
    let now = now_unix();
    tokens.verify(&token, now).expect("a valid token");
    c.bench_function("access_token/verify_kept", |b| {
        b.iter(|| tokens.verify(black_box(&token), now).expect("a kept token"))
    });
}

fn refresh_token_mint_and_check(c: &mut Criterion) {
    let tokens = RefreshTokens::new(&Secret::from(SECRET));
    let session_id = ids::new_id();
    let session_secret = ids::new_secret();
    c.bench_function("refresh_token/mint", |b| {
        b.iter(|| tokens.mint(black_box(&session_id), 42, black_box(&session_secret)))
    });
    let minted = tokens.mint(&session_id, 42, &session_secret);
    c.bench_function("refresh_token/parse_and_check", |b| {
        b.iter(|| {
            let presented = tokens
                .parse(black_box(minted.expose_secret()))
                .expect("a well-formed token");
            assert!(tokens.is_authentic(&presented, black_box(&session_secret)));
        })
    });
}

fn guard_without_io(c: &mut Criterion) {
    let tokens = access_tokens(SigningAlgorithm::Hs256);
    let header = format!("Bearer {}", minted_access_token(&tokens));
    let now = now_unix();
    c.bench_function("guard/bearer_header_to_claims", |b| {
        b.iter(|| {
            let token = bearer_token(black_box(&header)).expect("a bearer header");
            verify(&tokens, token, now)
        })
    });
}

fn argon2id_verify(c: &mut Criterion) {
    // The same algorithm, version and cost as `authql::core::credentials::password`, called
    // directly: the server adds only a hand-off to a hashing thread.
    let cost = Argon2Cost::OWASP_MINIMUM;
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .expect("OWASP minimum parameters are valid");
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("a 16-byte salt");
    let hash = argon2
        .hash_password(PASSWORD.as_bytes(), &salt)
        .expect("hashing a password")
        .to_string();
    let parsed = PasswordHash::new(&hash).expect("a PHC hash");
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("verify_owasp_minimum", |b| {
        b.iter(|| {
            argon2
                .verify_password(black_box(PASSWORD.as_bytes()), &parsed)
                .expect("the right password")
        })
    });
    group.finish();
}

criterion_group!(
    hot_paths,
    access_token_verify,
    access_token_verify_kept,
    refresh_token_mint_and_check,
    guard_without_io,
    argon2id_verify
);
criterion_main!(hot_paths);
