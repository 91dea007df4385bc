//! Property tests: arbitrary strings as refresh tokens and bearer tokens never
//! panic and never answer anything but the contract's codes.

use authql_testkit::documents::ME;
use authql_testkit::{Backend, TestServer, access_token, both_backends, refresh_token};
use axum::http::HeaderValue;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

/// Strings near real tokens (mutated) and far from them (anything).
fn token_like(real: String) -> impl Strategy<Value = String> {
    let real_len = real.len();
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_.-]{0,200}",
        (0..real_len, any::<char>()).prop_map(move |(at, c)| {
            let mut chars: Vec<char> = real.chars().collect();
            chars[at] = c;
            chars.into_iter().collect()
        }),
    ]
}

/// Runs `check` on 96 generated strings, each on the test's runtime.
fn run_cases(
    strategy: impl Strategy<Value = String>,
    check: impl Fn(String) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    runner.run(&strategy, check).expect("property holds");
}

async fn arbitrary_refresh_tokens_get_contract_codes(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("pia", "pw").await;
    let login = app.login("pia", "pw").await;
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        run_cases(token_like(refresh_token(&login)), |token| {
            let answer = handle.block_on(app.refresh(&token));
            prop_assert_eq!(answer.status, 200);
            if token != refresh_token(&login) {
                prop_assert_eq!(answer.code(), "INVALID_REFRESH_TOKEN");
            }
            Ok(())
        })
    });
    let me = app.graphql_as(&access_token(&login), ME).await;
    assert!(
        me.body.get("errors").is_none(),
        "no made-up token ended the session"
    );
}

async fn arbitrary_bearer_tokens_get_contract_codes(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("quin", "pw").await;
    let login = app.login("quin", "pw").await;
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        run_cases(token_like(access_token(&login)), |token| {
            let header = format!("Bearer {token}");
            // Only what an HTTP client can send at all.
            if HeaderValue::from_str(&header).is_err() {
                return Ok(());
            }
            let answer =
                handle.block_on(app.graphql_with(ME, json!({}), &[("authorization", &header)]));
            prop_assert_eq!(answer.status, 200);
            if token.trim() != access_token(&login) {
                let code = answer.code();
                prop_assert!(
                    ["UNAUTHENTICATED", "TOKEN_EXPIRED", "SESSION_REVOKED"]
                        .contains(&code.as_str()),
                    "unexpected code {}",
                    code
                );
            }
            Ok(())
        })
    });
}

both_backends!(
    arbitrary_refresh_tokens_get_contract_codes,
    arbitrary_bearer_tokens_get_contract_codes
);
