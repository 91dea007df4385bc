//! What a security reviewer tries next: weak stored hashes, login floods,
//! secrets in logs, internals in error messages.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use authql_testkit::documents::{LOGIN, LOGOUT, ME, REFRESH};
use authql_testkit::{
    Backend, TEST_JWT_SECRET, TestServer, access_token, both_backends, refresh_token,
};
use serde_json::json;
use tokio::sync::Barrier;

async fn stored_hash(app: &TestServer, user_name: &str) -> String {
    let mut conn = app.app.pool.get().await.expect("connection");
    authql::store::users::find_credentials(&mut conn, user_name)
        .await
        .expect("query")
        .expect("user")
        .1
}

async fn weaker_hashes_are_upgraded_at_login(backend: Backend) {
    let old = TestServer::start(backend).await;
    old.add_user("ada", "pw").await;
    assert!(stored_hash(&old, "ada").await.contains("m=19456,t=2,p=1"));
    let stronger = old.second_server_with(|c| c.argon2_cost.iterations = 3);
    stronger.login("ada", "pw").await;
    let upgraded = stored_hash(&old, "ada").await;
    assert!(
        upgraded.starts_with("$argon2id$") && upgraded.contains("t=3"),
        "{upgraded}"
    );
    stronger.login("ada", "pw").await;
    old.login("ada", "pw").await;
}

async fn me_answers_while_a_login_flood_runs(backend: Backend) {
    // One hash at a time keeps the flood in flight long enough to observe.
    let app = TestServer::start_with(backend, |c| c.password_hash_concurrency = 1).await;
    app.add_user("bo", "pw").await;
    let token = access_token(&app.login("bo", "pw").await);
    let start = Arc::new(Barrier::new(33));
    let flood: Vec<_> = (0..32)
        .map(|i| {
            let input =
                json!({ "input": { "userName": format!("flood{i}"), "password": "guess" } });
            app.spawn_graphql(start.clone(), LOGIN, input, None)
        })
        .collect();
    start.wait().await;
    let began = Instant::now();
    for _ in 0..5 {
        let me = app.graphql_as(&token, ME).await;
        assert_eq!(me.data("me")["userName"], "bo");
    }
    let me_done = began.elapsed();
    let in_flight = flood.iter().filter(|h| !h.is_finished()).count();
    assert!(
        in_flight > 0,
        "me finished only after the flood ({me_done:?}): hashing blocked it"
    );
    for answer in authql_testkit::join_answers(flood).await {
        assert_eq!(answer.code(), "INVALID_CREDENTIALS");
    }
}

/// Everything the process logs, at every level, from the first call on.
fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_writer(move || LogWriter(logs))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        logs
    })
}

struct LogWriter(&'static Mutex<Vec<u8>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn logs_hold_no_secrets(backend: Backend) {
    let logs = captured_logs();
    let app = TestServer::start(backend).await;
    let password = format!("pw-{}", authql::core::ids::new_id());
    let wrong = format!("wrong-{}", authql::core::ids::new_id());
    app.add_user("cy", &password).await;
    app.login_answer("cy", &wrong, None).await;
    let login = app.login("cy", &password).await;
    let refreshed = app
        .refresh(&refresh_token(&login))
        .await
        .data("refreshToken")
        .clone();
    app.graphql(REFRESH, json!({ "token": refresh_token(&login) }))
        .await;
    app.graphql_as(&access_token(&refreshed), "{ me { id } mySessions { id } }")
        .await;
    app.graphql_as(&access_token(&refreshed), LOGOUT).await;
    app.refresh(&refresh_token(&refreshed)).await;

    let text = String::from_utf8_lossy(&logs.lock().expect("log buffer")).into_owned();
    assert!(text.contains("login succeeded"), "the capture works");
    let secrets = [
        password.as_str(),
        wrong.as_str(),
        TEST_JWT_SECRET,
        &access_token(&login),
        &access_token(&refreshed),
        &refresh_token(&login),
        &refresh_token(&refreshed),
    ];
    for secret in secrets {
        assert!(!text.contains(secret), "a secret reached the log: {secret}");
        // The MAC part alone is the secret part of a refresh token.
        if let Some(mac) = secret.rsplit('.').next().filter(|m| m.len() > 20) {
            assert!(!text.contains(mac), "a token signature reached the log");
        }
    }
}

async fn internal_errors_tell_nothing(backend: Backend) {
    use diesel_async::RunQueryDsl;
    let app = TestServer::start(backend).await;
    app.add_user("dee", "pw").await;
    let mut conn = app.app.pool.get().await.expect("connection");
    authql::with_conn!(&mut conn, |c| diesel::sql_query(
        "DROP TABLE user_login_sessions"
    )
    .execute(c)
    .await)
    .expect("drop");
    drop(conn);
    let answer = app.login_answer("dee", "pw", None).await;
    assert_eq!(answer.code(), "INTERNAL_SERVER_ERROR");
    assert_eq!(answer.body["errors"][0]["message"], "internal server error");
    let text = answer.body.to_string().to_lowercase();
    for leak in [
        "user_login_sessions",
        "sql",
        "table",
        "insert",
        "/work",
        ".rs",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}

both_backends!(
    weaker_hashes_are_upgraded_at_login,
    me_answers_while_a_login_flood_runs,
    logs_hold_no_secrets,
    internal_errors_tell_nothing,
);
