//! The bearer guard: every failure code of the contract, and revocation that
//! takes effect at once.

use authql_testkit::documents::{LOGOUT, ME};
use authql_testkit::{
    Backend, TEST_JWT_SECRET, TestServer, access_token, both_backends, session_id,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

fn sign(claims: &Value, algorithm: Algorithm, key: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("sign")
}

fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}

async fn each_malformed_token_is_unauthenticated(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("frank", "pw").await;
    let payload = app.login("frank", "pw").await;
    let good = access_token(&payload);
    let claims = {
        let body = good.split('.').nth(1).unwrap();
        serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap()
    };
    let with = |key: &str, value: Value| {
        let mut changed = claims.clone();
        changed[key] = value;
        changed
    };
    let without = |key: &str| {
        let mut changed = claims.clone();
        changed.as_object_mut().unwrap().remove(key);
        changed
    };
    let bad_tokens = [
        (
            "wrong key",
            sign(
                &claims,
                Algorithm::HS256,
                "another-secret-another-secret-0000",
            ),
        ),
        ("HS512", sign(&claims, Algorithm::HS512, TEST_JWT_SECRET)),
        ("alg none", unsigned(&claims)),
        (
            "wrong iss",
            sign(
                &with("iss", json!("someone-else")),
                Algorithm::HS256,
                TEST_JWT_SECRET,
            ),
        ),
        (
            "wrong aud",
            sign(
                &with("aud", json!("someone-else")),
                Algorithm::HS256,
                TEST_JWT_SECRET,
            ),
        ),
        (
            "no iss",
            sign(&without("iss"), Algorithm::HS256, TEST_JWT_SECRET),
        ),
        (
            "no aud",
            sign(&without("aud"), Algorithm::HS256, TEST_JWT_SECRET),
        ),
        (
            "no exp",
            sign(&without("exp"), Algorithm::HS256, TEST_JWT_SECRET),
        ),
        (
            "no sid",
            sign(&without("sid"), Algorithm::HS256, TEST_JWT_SECRET),
        ),
        ("garbage", "not-a-jwt".to_owned()),
        ("tampered", format!("{good}x")),
    ];
    for (what, token) in bad_tokens {
        assert_eq!(
            app.graphql_as(&token, ME).await.code(),
            "UNAUTHENTICATED",
            "{what}"
        );
    }
    let headers: [&[(&str, &str)]; 4] = [
        &[],
        &[("authorization", "Basic Zm9vOmJhcg==")],
        &[("authorization", "Bearer")],
        &[("authorization", "")],
    ];
    for headers in headers {
        let answer = app.graphql_with(ME, json!({}), headers).await;
        assert_eq!(answer.status, 200, "a GraphQL error, not an HTTP one");
        assert_eq!(answer.code(), "UNAUTHENTICATED", "{headers:?}");
    }
    assert_eq!(
        app.graphql_as(&good, ME).await.data("me")["userName"],
        "frank"
    );
}

async fn expired_token_is_token_expired(backend: Backend) {
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("grace", "pw").await;
    let payload = app.login("grace", "pw").await;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64| {
        json!({ "sub": user_id, "sid": session_id(&payload), "role": "user",
                "iat": exp - 900, "exp": exp, "iss": "authql", "aud": "authql" })
    };
    let expired = sign(&claims(now - 120), Algorithm::HS256, TEST_JWT_SECRET);
    assert_eq!(app.graphql_as(&expired, ME).await.code(), "TOKEN_EXPIRED");
    let within_skew = sign(&claims(now - 30), Algorithm::HS256, TEST_JWT_SECRET);
    assert_eq!(
        app.graphql_as(&within_skew, ME).await.data("me")["userName"],
        "grace"
    );
    let expired_foreign = sign(
        &json!({ "sub": user_id, "sid": session_id(&payload), "role": "user",
                 "iat": now - 2000, "exp": now - 1000, "iss": "other", "aud": "authql" }),
        Algorithm::HS256,
        TEST_JWT_SECRET,
    );
    assert_eq!(
        app.graphql_as(&expired_foreign, ME).await.code(),
        "UNAUTHENTICATED"
    );
}

async fn ended_session_is_refused_at_once(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("heidi", "pw").await;
    let first = app.login("heidi", "pw").await;
    let second = app.login("heidi", "pw").await;
    let answer = app.graphql_as(&access_token(&first), LOGOUT).await;
    assert_eq!(answer.data("logout"), true);
    assert_eq!(
        app.graphql_as(&access_token(&first), ME).await.code(),
        "SESSION_REVOKED"
    );
    assert_eq!(
        app.graphql_as(&access_token(&second), ME).await.data("me")["userName"],
        "heidi"
    );
}

async fn disabling_a_user_revokes_its_tokens(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("ivan", "pw").await;
    let payload = app.login("ivan", "pw").await;
    authql::core::users::disable_user(&app.app.pool, "ivan")
        .await
        .unwrap();
    assert_eq!(
        app.graphql_as(&access_token(&payload), ME).await.code(),
        "SESSION_REVOKED"
    );
    authql::core::users::enable_user(&app.app.pool, "ivan")
        .await
        .unwrap();
    assert_eq!(
        app.graphql_as(&access_token(&payload), ME).await.code(),
        "SESSION_REVOKED",
        "ended sessions stay ended after enable"
    );
}

async fn one_failing_field_does_not_hide_the_code(backend: Backend) {
    let app = TestServer::start(backend).await;
    let answer = app
        .graphql("{ me { id } mySessions { id } }", json!({}))
        .await;
    assert_eq!(answer.codes(), vec!["UNAUTHENTICATED", "UNAUTHENTICATED"]);
}

both_backends!(
    each_malformed_token_is_unauthenticated,
    expired_token_is_token_expired,
    ended_session_is_refused_at_once,
    disabling_a_user_revokes_its_tokens,
    one_failing_field_does_not_hide_the_code,
);
