//! `/auth/verify`, the forward-auth check: the guard of `me` answered in
//! HTTP status and headers, for reverse proxies.

use authql_testkit::documents::{LOGOUT, ME};
use authql_testkit::{Answer, Backend, TestServer, access_token, both_backends, session_id};
use axum::http::StatusCode;
use chrono::TimeDelta;
use std::time::Duration;

both_backends!(
    a_live_session_is_granted_with_its_identity,
    refusals_carry_the_code_me_would_give,
    an_ended_session_is_refused_on_every_replica,
    an_unreachable_database_is_503,
    a_stored_role_unfit_for_a_header_is_passed_on_encoded,
);

/// `GET /auth/verify` with `Authorization: Bearer <token>`.
pub async fn verify_as(app: &TestServer, access_token: &str) -> Answer {
    let header = format!("Bearer {access_token}");
    app.request("GET", "/auth/verify", &[("authorization", &header)])
        .await
}

/// Asserts a 401 with the contract's headers and returns its `X-Auth-Error`.
pub fn refusal_code(answer: &Answer) -> String {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.header("www-authenticate"), "Bearer");
    assert_eq!(answer.body["error"], answer.header("x-auth-error"));
    answer.header("x-auth-error").to_owned()
}

async fn a_live_session_is_granted_with_its_identity(backend: Backend) {
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("Zoë_Admin", "pw").await;
    let payload = app.login("zoë_admin", "pw").await;
    let token = access_token(&payload);

    let granted = verify_as(&app, &token).await;
    assert_eq!(granted.status, StatusCode::OK);
    assert_eq!(granted.header("x-auth-user-id"), user_id);
    assert_eq!(granted.header("x-auth-role"), "user");
    assert_eq!(granted.header("x-auth-session-id"), session_id(&payload));
    assert_eq!(granted.header("x-auth-aal"), "1", "a password's session");
    // The name as created, its UTF-8 bytes as they are.
    assert_eq!(
        granted.headers["x-auth-user-name"].as_bytes(),
        "Zoë_Admin".as_bytes()
    );
    assert_eq!(
        granted.body,
        serde_json::json!({
            "userId": user_id,
            "userName": "Zoë_Admin",
            "role": "user",
            "sessionId": session_id(&payload),
            "aal": 1,
        })
    );
    assert_eq!(granted.header("cache-control"), "no-store");

    // Envoy's ext_authz keeps the client's method and appends its path.
    let header = format!("Bearer {token}");
    let envoy_style = app
        .request(
            "POST",
            "/auth/verify/api/orders?id=7",
            &[("authorization", &header)],
        )
        .await;
    assert_eq!(envoy_style.status, StatusCode::OK);
    assert_eq!(envoy_style.header("x-auth-user-id"), user_id);

    let metrics = app.request("GET", "/metrics", &[]).await;
    let metrics = metrics.text();
    assert!(
        metrics.contains(r#"authql_forward_auth_requests_total{outcome="OK"} 2"#),
        "{metrics}"
    );
}

async fn refusals_carry_the_code_me_would_give(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("ravi", "pw").await;
    let token = access_token(&app.login("ravi", "pw").await);

    let none = app.request("GET", "/auth/verify", &[]).await;
    assert_eq!(refusal_code(&none), "UNAUTHENTICATED");
    for header in ["Basic cmF2aTpwdw==", "Bearer", "Bearer not.a.jwt"] {
        let answer = app
            .request("GET", "/auth/verify", &[("authorization", header)])
            .await;
        assert_eq!(refusal_code(&answer), "UNAUTHENTICATED", "{header}");
    }
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(
        refusal_code(&verify_as(&app, &forged).await),
        "UNAUTHENTICATED"
    );

    app.advance(TimeDelta::seconds(900 + 61));
    let expired = verify_as(&app, &token).await;
    assert_eq!(refusal_code(&expired), "TOKEN_EXPIRED");
    let me = app.graphql_as(&token, ME).await;
    assert_eq!(me.code(), "TOKEN_EXPIRED", "the same code as me");
}

async fn an_ended_session_is_refused_on_every_replica(backend: Backend) {
    let app = TestServer::start(backend).await;
    let replica = app.second_server();
    app.add_user("mia", "pw").await;
    let token = access_token(&app.login("mia", "pw").await);
    let other = access_token(&app.login("mia", "pw").await);
    assert_eq!(verify_as(&replica, &token).await.status, StatusCode::OK);

    let logout = app.graphql_as(&token, LOGOUT).await;
    assert_eq!(logout.data("logout"), true);
    for server in [&app, &replica] {
        let answer = verify_as(server, &token).await;
        assert_eq!(refusal_code(&answer), "SESSION_REVOKED");
        assert_eq!(verify_as(server, &other).await.status, StatusCode::OK);
    }

    let cli = crate::cli::run(&app.db.url_text, &["user", "disable", "mia"], "").await;
    assert!(cli.0, "user disable: {}", cli.2);
    assert_eq!(
        refusal_code(&verify_as(&replica, &other).await),
        "SESSION_REVOKED",
        "a disabled user's session"
    );
}

async fn an_unreachable_database_is_503(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.pool.max_size = 1;
        c.pool.wait_timeout = Duration::from_secs(1);
    })
    .await;
    app.add_user("noor", "pw").await;
    let token = access_token(&app.login("noor", "pw").await);

    let held = app.app.pool.get().await.expect("the only connection");
    let answer = verify_as(&app, &token).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.header("x-auth-error"), "SERVICE_UNAVAILABLE");
    assert!(answer.headers.get("x-auth-user-id").is_none());
    drop(held);
    assert_eq!(verify_as(&app, &token).await.status, StatusCode::OK);
}

/// Roles are tokens since they are checked at creation, but a row written
/// before that may hold anything: a role with CR/LF once made every check of
/// its user a 500.
async fn a_stored_role_unfit_for_a_header_is_passed_on_encoded(backend: Backend) {
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("legacy", "pw").await;
    let stored_role = "admin\r\nX-Injected: yes%";
    let mut conn = app.app.pool.get().await.expect("connection");
    authql::with_conn!(&mut conn, |c| diesel::sql_query(
        "UPDATE users SET role = ? WHERE id = ?"
    )
    .bind::<Text, _>(stored_role)
    .bind::<Text, _>(user_id.as_str())
    .execute(c)
    .await)
    .expect("store an old role");
    drop(conn);
    let payload = app.login("legacy", "pw").await;

    let granted = verify_as(&app, &access_token(&payload)).await;
    assert_eq!(granted.status, StatusCode::OK, "not a 500");
    assert_eq!(granted.header("x-auth-user-id"), user_id);
    // Every byte outside the role alphabet percent-encoded, `%` included,
    // so that it can never read as a real role.
    assert_eq!(
        granted.header("x-auth-role"),
        "admin%0D%0AX-Injected:%20yes%25"
    );
    assert!(granted.headers.get("x-injected").is_none());
    assert_eq!(
        granted.body["role"], stored_role,
        "the body holds it as stored"
    );
}
