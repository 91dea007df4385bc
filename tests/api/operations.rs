//! What operators rely on: pruning, metrics, graceful shutdown, JSON logs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use chrono::TimeDelta;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::both_backends;
use crate::harness::{Backend, TestApp, TestDb, access_token, session_id};
use authql::db::schema::{login_throttle, user_login_sessions as sessions};

/// Sets a session's `ended_at` and `expires_at` relative to now.
async fn age_session(
    app: &TestApp,
    id: &str,
    ended_days_ago: Option<i64>,
    expires_days_from_now: i64,
) {
    let now = authql::clock::now();
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

async fn session_ids(app: &TestApp) -> Vec<String> {
    let mut conn = app.app.pool.get().await.expect("connection");
    let mut ids = authql::with_conn!(&mut conn, |c| sessions::table
        .select(sessions::id)
        .load::<String>(c)
        .await)
    .expect("ids");
    ids.sort();
    ids
}

async fn throttle_keys(app: &TestApp) -> Vec<String> {
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
    let app = TestApp::start_with(
        backend,
        &[("LOGIN_LOCKOUT_SECS", "1"), ("LOGIN_IP_LOCKOUT_SECS", "1")],
    )
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
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.login_answer("pam", "wrong", None).await; // a fresh window: stays
    let fresh_keys = throttle_keys(&app).await;

    let report = authql::prune::prune_once(&app.app).await.expect("prune");
    assert_eq!(report.sessions, 2);
    let mut expected = vec![ids[1].clone(), ids[3].clone(), ids[4].clone()];
    expected.sort();
    assert_eq!(session_ids(&app).await, expected);
    assert_eq!(
        throttle_keys(&app).await,
        fresh_keys,
        "counters in a live window stay"
    );
    let me = app
        .graphql_as(&access_token(&logins[4]), "{ me { userName } }")
        .await;
    assert_eq!(
        me.data("me")["userName"],
        "pam",
        "the live session is untouched"
    );
    assert_eq!(
        authql::prune::prune_once(&app.app)
            .await
            .expect("prune")
            .sessions,
        0,
        "a second pass finds nothing"
    );
}

async fn stale_throttle_rows_are_pruned(backend: Backend) {
    let app = TestApp::start_with(
        backend,
        &[("LOGIN_LOCKOUT_SECS", "1"), ("LOGIN_IP_LOCKOUT_SECS", "1")],
    )
    .await;
    app.login_answer("ghost", "guess", None).await;
    assert_eq!(
        throttle_keys(&app).await.len(),
        2,
        "a name and an address counter"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let report = authql::prune::prune_once(&app.app).await.expect("prune");
    assert_eq!(report.throttle_rows, 2);
    assert!(throttle_keys(&app).await.is_empty());
}

async fn metrics_move_with_requests(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.add_user("quinn", "pw").await;
    let scrape = || async {
        let (status, body) = app
            .send(Request::get("/metrics").body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, 200);
        parse_prometheus(&String::from_utf8(body).expect("UTF-8"))
    };
    let before = scrape().await;
    let login = app.login("quinn", "pw").await;
    app.login_answer("quinn", "wrong", None).await;
    app.graphql_as(&access_token(&login), "{ me { id } }").await;
    app.graphql_as(&access_token(&login), "mutation { logout }")
        .await;
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

async fn fresh_metrics_show_every_family_at_zero(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (status, body) = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body).expect("UTF-8");
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
    fresh_metrics_show_every_family_at_zero,
);

/// Starts `authql serve` on a free port; returns the child and its port.
fn spawn_server(db: &TestDb, extra: &[(&str, &str)]) -> (std::process::Child, u16) {
    let workdir = tempfile::tempdir().expect("workdir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_authql"));
    command
        .arg("serve")
        .current_dir(workdir.path())
        .env("DATABASE_URL", &db.url_text)
        .env("JWT_SECRET", crate::harness::TEST_JWT_SECRET)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn authql serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("server log line")
            .expect("readable log");
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest
                .split('/')
                .next()
                .expect("port")
                .parse::<u16>()
                .expect("numeric port");
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

fn post(port: u16, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read answer");
    answer
}

#[test]
fn sigterm_lets_a_slow_request_finish() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let db = runtime.block_on(TestDb::create(Backend::Sqlite));
    // A deliberately slow hash makes the login the slow request.
    let slow = [("ARGON2_MEMORY_KIB", "262144"), ("ARGON2_ITERATIONS", "6")];
    let (ok, _, stderr) = crate::cli::authql(&db.url_text, &["user", "add", "sid"], "pw\n", &slow);
    assert!(ok, "{stderr}");
    let (mut server, port) = spawn_server(&db, &slow);
    let login = r#"{"query":"mutation { login(input: {userName: \"sid\", password: \"pw\"}) { session { id } } }"}"#;
    let in_flight = std::thread::spawn(move || post(port, login));
    std::thread::sleep(Duration::from_millis(150));
    let kill = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let answer = in_flight.join().expect("request thread");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""session":{"id":""#),
        "the login completed: {answer}"
    );
    let status = server.wait().expect("server exits");
    assert!(
        status.success(),
        "exit 0 after a graceful shutdown: {status:?}"
    );
}

#[test]
fn json_logs_have_one_object_per_request() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let db = runtime.block_on(TestDb::create(Backend::Sqlite));
    let workdir = tempfile::tempdir().expect("workdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_authql"))
        .arg("serve")
        .current_dir(workdir.path())
        .env("DATABASE_URL", &db.url_text)
        .env("JWT_SECRET", crate::harness::TEST_JWT_SECRET)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut port = None;
    let mut request_line = None;
    while let Some(Ok(line)) = lines.next() {
        let object: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("JSON log line: {line}"));
        if let Some(message) = object["message"].as_str()
            && let Some(rest) = message.split("http://127.0.0.1:").nth(1)
        {
            port = rest.split('/').next().and_then(|p| p.parse::<u16>().ok());
            post(port.expect("port"), r#"{"query":"{ me { id } }"}"#);
        }
        if object["message"] == "graphql request" {
            request_line = Some(object);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(port.is_some());
    let request_line = request_line.expect("a request log line");
    assert_eq!(request_line["operation"], "me");
    assert_eq!(request_line["outcome"], "UNAUTHENTICATED");
    assert!(request_line["duration_ms"].as_f64().is_some());
}
