//! What operators rely on: pruning, metrics, graceful shutdown, JSON logs.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use chrono::TimeDelta;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use authql::core::clock::Clock;
use authql_testkit::documents::{LOGOUT, ME};
use authql_testkit::{Backend, TestDb, TestServer, access_token, both_backends, session_id};
use serde_json::json;

use crate::served::ServedProcess;
use authql::store::schema::{login_throttle, user_login_sessions as sessions};

/// Sets a session's `ended_at` and `expires_at` relative to now.
async fn age_session(
    app: &TestServer,
    id: &str,
    ended_days_ago: Option<i64>,
    expires_days_from_now: i64,
) {
    let now = app.clock.now();
    let ended_at = ended_days_ago.map(|days| now - TimeDelta::days(days));
    let expires_at = now + TimeDelta::days(expires_days_from_now);
    let id = id.to_owned();
    let mut conn = app.app.pool.get().await.expect("connection");
    authql::with_conn!(&mut conn, |c| {
        diesel::update(sessions::table.filter(sessions::id.eq(&id)))
            .set((
                sessions::ended_at.eq(ended_at),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(c)
            .await
    })
    .expect("age session");
}

async fn session_ids(app: &TestServer) -> Vec<String> {
    let mut conn = app.app.pool.get().await.expect("connection");
    let mut ids = authql::with_conn!(&mut conn, |c| sessions::table
        .select(sessions::id)
        .load::<String>(c)
        .await)
    .expect("ids");
    ids.sort();
    ids
}

async fn throttle_keys(app: &TestServer) -> Vec<String> {
    let mut conn = app.app.pool.get().await.expect("connection");
    let mut keys = authql::with_conn!(&mut conn, |c| {
        login_throttle::table
            .select(login_throttle::throttle_key)
            .load::<String>(c)
            .await
    })
    .expect("keys");
    keys.sort();
    keys
}

async fn pruning_removes_exactly_the_rows_past_retention(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.login_lockout = chrono::TimeDelta::seconds(1);
        c.login_ip_lockout = chrono::TimeDelta::seconds(1);
    })
    .await;
    app.add_user("pam", "pw").await;
    let mut logins = Vec::new();
    for _ in 0..5 {
        logins.push(app.login("pam", "pw").await);
    }
    let ids: Vec<String> = logins.iter().map(session_id).collect();
    age_session(&app, &ids[0], Some(31), -20).await; // ended 31 days ago: goes
    age_session(&app, &ids[1], Some(29), -20).await; // ended 29 days ago: stays
    age_session(&app, &ids[2], None, -31).await; // expired 31 days ago: goes
    age_session(&app, &ids[3], None, -1).await; // expired yesterday: stays
    // ids[4] is live and must keep working.
    app.login_answer("pam", "wrong", None).await;
    app.advance(chrono::TimeDelta::milliseconds(1100));
    app.login_answer("pam", "wrong", None).await; // a fresh window: stays
    let fresh_keys = throttle_keys(&app).await;

    let report = authql::core::prune::prune_once(&app.app)
        .await
        .expect("prune");
    assert_eq!(report.sessions, 2);
    let mut expected = vec![ids[1].clone(), ids[3].clone(), ids[4].clone()];
    expected.sort();
    assert_eq!(session_ids(&app).await, expected);
    assert_eq!(
        throttle_keys(&app).await,
        fresh_keys,
        "counters in a live window stay"
    );
    let me = app.graphql_as(&access_token(&logins[4]), ME).await;
    assert_eq!(
        me.data("me")["userName"],
        "pam",
        "the live session is untouched"
    );
    assert_eq!(
        authql::core::prune::prune_once(&app.app)
            .await
            .expect("prune")
            .sessions,
        0,
        "a second pass finds nothing"
    );
}

async fn stale_throttle_rows_are_pruned(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.login_lockout = chrono::TimeDelta::seconds(1);
        c.login_ip_lockout = chrono::TimeDelta::seconds(1);
    })
    .await;
    app.login_answer("ghost", "guess", None).await;
    assert_eq!(
        throttle_keys(&app).await.len(),
        2,
        "a name and an address counter"
    );
    app.advance(chrono::TimeDelta::milliseconds(1100));
    let report = authql::core::prune::prune_once(&app.app)
        .await
        .expect("prune");
    assert_eq!(report.throttle_rows, 2);
    assert!(throttle_keys(&app).await.is_empty());
}

async fn metrics_move_with_requests(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("quinn", "pw").await;
    let scrape = || scrape_metrics(&app);
    let before = scrape().await;
    let login = app.login("quinn", "pw").await;
    app.login_answer("quinn", "wrong", None).await;
    app.graphql_as(&access_token(&login), ME).await;
    app.graphql_as(&access_token(&login), LOGOUT).await;
    let after = scrape().await;
    let delta = |series: &str| {
        after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
    };
    assert_eq!(delta(r#"authql_logins_total{outcome="ok"}"#), 1.0);
    assert_eq!(
        delta(r#"authql_logins_total{outcome="INVALID_CREDENTIALS"}"#),
        1.0
    );
    assert_eq!(delta("authql_sessions_opened_total"), 1.0);
    assert_eq!(
        delta(r#"authql_sessions_ended_total{reason="logout"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"authql_graphql_requests_total{operation="me",outcome="OK"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"authql_graphql_requests_total{operation="login",outcome="OK"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"authql_graphql_request_duration_seconds_count{operation="logout",outcome="OK"}"#),
        1.0
    );
    assert!(after.contains_key(r#"authql_db_pool_connections{state="in_use"}"#));
    assert!(after[r#"authql_db_pool_connections{state="max"}"#] >= 1.0);
}

/// `authql_db_statements_total` counts what the connections really send: a
/// field that needs no database sends nothing, `me` one read, a login its
/// transaction's statements.
async fn statements_are_counted(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("quinn", "pw").await;
    let statements = || async { scrape_metrics(&app).await["authql_db_statements_total"] };
    let login = app.login("quinn", "pw").await;
    let token = access_token(&login);
    let before = statements().await;
    app.graphql("{ __typename }", json!({})).await;
    assert_eq!(statements().await - before, 0.0, "no database work");
    let before = statements().await;
    for _ in 0..5 {
        assert!(app.is_live(&token).await);
    }
    // One read of the session and its user per `me` (its lastActiveAt was
    // written at login, less than a minute ago).
    assert_eq!(statements().await - before, 5.0);
    let before = statements().await;
    app.login("quinn", "pw").await;
    assert!(
        statements().await - before >= 3.0,
        "a login reads and writes"
    );
}

async fn fresh_metrics_show_every_family_at_zero(backend: Backend) {
    let app = TestServer::start(backend).await;
    let answer = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, 200);
    let text = String::from_utf8(answer.bytes).expect("UTF-8");
    let samples = parse_prometheus(&text);
    let families: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    for family in [
        "authql_graphql_requests_total",
        "authql_graphql_request_duration_seconds",
        "authql_logins_total",
        "authql_refreshes_total",
        "authql_refresh_reuse_detected_total",
        "authql_sessions_opened_total",
        "authql_sessions_ended_total",
        "authql_db_pool_connections",
        "authql_db_connections_discarded_total",
        "authql_db_statements_total",
    ] {
        assert!(
            families.contains(family),
            "{family} is missing from a fresh /metrics:\n{text}"
        );
    }
    for series in [
        r#"authql_graphql_requests_total{operation="me",outcome="OK"}"#,
        r#"authql_graphql_request_duration_seconds_count{operation="login",outcome="OK"}"#,
        r#"authql_logins_total{outcome="ok"}"#,
        r#"authql_logins_total{outcome="TOO_MANY_ATTEMPTS"}"#,
        r#"authql_refreshes_total{outcome="rotated"}"#,
        r#"authql_refreshes_total{outcome="REFRESH_TOKEN_REUSED"}"#,
        r#"authql_sessions_ended_total{reason="logout"}"#,
        r#"authql_sessions_ended_total{reason="evicted"}"#,
        r#"authql_db_connections_discarded_total{reason="interrupted"}"#,
    ] {
        assert_eq!(samples.get(series), Some(&0.0), "{series} at zero");
    }
}

/// Parses the text exposition strictly: every non-comment line is
/// `name{labels} value`, and every sample's family has a TYPE line.
/// `GET /metrics`, each series with its value.
pub(crate) async fn scrape_metrics(app: &TestServer) -> std::collections::HashMap<String, f64> {
    let answer = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(answer.status, 200);
    parse_prometheus(&String::from_utf8(answer.bytes).expect("UTF-8"))
}

fn parse_prometheus(text: &str) -> std::collections::HashMap<String, f64> {
    let mut typed = std::collections::HashSet::new();
    let mut samples = std::collections::HashMap::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            typed.insert(parts.next().expect("family name").to_owned());
            assert!(
                matches!(parts.next(), Some("counter" | "gauge" | "histogram")),
                "{line}"
            );
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("sample line: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("numeric value: {line}"));
        let name = series.split('{').next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .fold(name, |n, suffix| n.strip_suffix(suffix).unwrap_or(n));
        assert!(
            typed.contains(name) || typed.contains(family),
            "no TYPE for {name}"
        );
        samples.insert(series.to_owned(), value);
    }
    samples
}

both_backends!(
    pruning_removes_exactly_the_rows_past_retention,
    stale_throttle_rows_are_pruned,
    metrics_move_with_requests,
    statements_are_counted,
    fresh_metrics_show_every_family_at_zero,
);

#[test]
fn sigterm_lets_a_slow_request_finish() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // A deliberately slow hash makes the login the slow request.
    let slow = [("ARGON2_MEMORY_KIB", "262144"), ("ARGON2_ITERATIONS", "6")];
    let app = runtime.block_on(
        TestServer::builder()
            .backend(Backend::Sqlite)
            .with_vars(&slow)
            .start(),
    );
    runtime.block_on(app.add_user("sid", "pw"));
    let server = Arc::new(ServedProcess::start(&app.db.url_text, &slow));
    let login =
        "mutation { login(input: {userName: \"sid\", password: \"pw\"}) { session { id } } }";
    let client = server.clone();
    let in_flight = std::thread::spawn(move || client.graphql(login, json!({}), None));
    runtime.block_on(app.wait_for_password_check("sid"));
    let status = server.terminate();
    let answer = in_flight.join().expect("request thread");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body["data"]["login"]["session"]["id"].is_string(),
        "the login completed: {}",
        answer.body
    );
    assert!(
        status.success(),
        "exit 0 after a graceful shutdown: {status:?}"
    );
}

#[test]
fn json_logs_have_one_object_per_request() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let db = runtime.block_on(TestDb::create(Backend::Sqlite));
    let server = ServedProcess::start(&db.url_text, &[("LOG_FORMAT", "json")]);
    server.graphql(ME, json!({}), None);
    let began = std::time::Instant::now();
    let request_line = loop {
        if let Some(line) = server.log_lines_with(&["graphql request"]).pop() {
            break line;
        }
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "no request log line"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    for line in server.log_lines_with(&[""]) {
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(&line);
        assert!(parsed.is_ok(), "JSON log line: {line}");
    }
    let request_line: serde_json::Value = serde_json::from_str(&request_line).expect("JSON");
    assert_eq!(request_line["operation"], "me");
    assert_eq!(request_line["outcome"], "UNAUTHENTICATED");
    assert!(request_line["duration_ms"].as_f64().is_some());
}
