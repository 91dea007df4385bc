//! The test harness: a fresh database per test on either backend, the real
//! router, and helpers to speak GraphQL to it.
//!
//! MySQL runs when `AUTHQL_TEST_MYSQL_URL` names a server (no database part,
//! e.g. `mysql://root@127.0.0.1:3306`); each test creates its own database and
//! drops it afterwards. Without it, the MySQL half of every test says so on
//! the terminal and passes; under CI (`CI` set) it fails instead.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Once};

use authql::config::{Config, DatabaseUrl};
use authql::core::app::{App, AppState};
use authql::core::clock::ShiftedClock;
use authql::secret::Secret;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The HS256 key every test server signs with.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
/// The address the router sees as the TCP peer unless a test says otherwise.
pub const DEFAULT_PEER: &str = "203.0.113.7:50123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
}

/// Declares `mod NAME { fn sqlite(); fn mysql(); }` running `NAME(backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if $crate::harness::mysql_server_url().is_some() {
                    super::$name($crate::harness::Backend::Mysql).await;
                }
            }
        }
    )+};
}

/// The MySQL server to test on, or None (announced once) when there is none.
pub fn mysql_server_url() -> Option<String> {
    match std::env::var("AUTHQL_TEST_MYSQL_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_owned()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but AUTHQL_TEST_MYSQL_URL is not: MySQL must be tested under CI"
            );
            static ANNOUNCE: Once = Once::new();
            ANNOUNCE.call_once(|| {
                // Straight to the terminal: the test harness captures println!.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nNOTE: MySQL was NOT tested: set AUTHQL_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306 to test it.\n"
                );
            });
            None
        }
    }
}

/// A database made for one test, removed when dropped.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub url_text: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Mysql {
        server_url: String,
        database: String,
    },
}

impl TestDb {
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("authql.db");
                let url_text = format!("sqlite://{}", path.display());
                TestDb {
                    url: url_text.parse().expect("sqlite url"),
                    url_text,
                    cleanup: Cleanup::Sqlite { _dir: dir },
                }
            }
            Backend::Mysql => {
                let server_url = mysql_server_url().expect("MySQL configured");
                let database = format!("authql_t_{}", hex_id());
                mysql_admin(
                    &server_url,
                    &format!(
                        "CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                    ),
                )
                .await;
                let url_text = format!("{server_url}/{database}");
                TestDb {
                    url: url_text.parse().expect("mysql url"),
                    url_text,
                    cleanup: Cleanup::Mysql {
                        server_url,
                        database,
                    },
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Mysql {
            server_url,
            database,
        } = &self.cleanup
        {
            let (server_url, database) = (server_url.clone(), database.clone());
            // Drop runs inside the test's runtime; use a runtime of our own.
            let dropped = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(mysql_admin(
                        &server_url,
                        &format!("DROP DATABASE IF EXISTS `{database}`"),
                    ))
            })
            .join();
            if dropped.is_err() {
                eprintln!("could not drop a test database");
            }
        }
    }
}

async fn mysql_admin(server_url: &str, statement: &str) {
    use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
    let mut conn = AsyncMysqlConnection::establish(&format!("{server_url}/mysql"))
        .await
        .expect("connect to the MySQL test server");
    diesel::sql_query(statement)
        .execute(&mut conn)
        .await
        .expect("admin statement");
}

fn hex_id() -> String {
    rand::random::<[u8; 8]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The variables a test server starts with; tests override some.
pub fn base_vars(db: &TestDb) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", db.url_text.as_str()),
        ("JWT_SECRET", TEST_JWT_SECRET),
        ("PASSWORD_HASH_CONCURRENCY", "2"),
        // Tests create users with short passwords; the minimum has its own tests.
        ("PASSWORD_MIN_LENGTH", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A running authql on a fresh database, driven through its router.
pub struct TestApp {
    pub app: AppState,
    pub router: Router,
    pub db: Arc<TestDb>,
    /// The server's clock, shared with its second servers: tests move it
    /// forward instead of sleeping.
    pub clock: Arc<ShiftedClock>,
    config_vars: Vec<(String, String)>,
}

/// One HTTP answer: status and JSON body (Null when the body is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// `data.<field>`, failing the test when there were errors.
    pub fn data(&self, field: &str) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"][field]
    }

    /// The `extensions.code` of every error, in order.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("<none>")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The only error's code.
    pub fn code(&self) -> String {
        let codes = self.codes();
        assert_eq!(codes.len(), 1, "expected one error: {}", self.body);
        codes[0].clone()
    }
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        TestApp::start_with(backend, &[]).await
    }

    /// Starts with extra configuration variables.
    pub async fn start_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
        let db = TestDb::create(backend).await;
        let mut vars = base_vars(&db);
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let app = TestApp::serve(Arc::new(db), vars, Arc::new(ShiftedClock::new())).await;
        authql::store::migrate::run_pending(&app.app.config.database_url)
            .await
            .expect("migrations");
        app
    }

    /// Starts on a database made by the caller, with exactly these variables.
    pub async fn with_vars(db: TestDb, vars: Vec<(String, String)>) -> TestApp {
        TestApp::serve(Arc::new(db), vars, Arc::new(ShiftedClock::new())).await
    }

    /// Another server process on the same database and configuration, as a
    /// second replica would be.
    pub async fn second_server(&self) -> TestApp {
        self.second_server_with(&[]).await
    }

    /// A second server on the same database with some variables changed.
    pub async fn second_server_with(&self, extra: &[(&str, &str)]) -> TestApp {
        let mut vars = self.config_vars.clone();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        TestApp::serve(self.db.clone(), vars, self.clock.clone()).await
    }

    /// Waits until a password check for `user_name` (lower case) is under way
    /// on any server sharing this database, and returns how long that took.
    pub async fn wait_for_password_check(&self, user_name: &str) {
        let key = format!("name:{user_name}");
        let began = std::time::Instant::now();
        loop {
            let mut conn = self.app.pool.get().await.expect("connection");
            let row = authql::store::throttle::window(&mut conn, &key)
                .await
                .expect("throttle row");
            if row.is_some_and(|row| row.checking > 0) {
                return;
            }
            assert!(
                began.elapsed() < std::time::Duration::from_secs(30),
                "no password check for {user_name} began"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Whether an access token's session is live: `me` answers, or is
    /// refused with `SESSION_REVOKED` (any other answer fails the test).
    pub async fn is_live(&self, access_token: &str) -> bool {
        let me = self.graphql_as(access_token, "{ me { id } }").await;
        if me.body.get("errors").is_some() {
            assert_eq!(me.code(), "SESSION_REVOKED");
            return false;
        }
        true
    }

    /// How many sessions of `user_id` are open now, read from the database.
    pub async fn open_session_count(&self, user_id: &str) -> usize {
        use authql::core::clock::Clock;
        let mut conn = self.app.pool.get().await.expect("connection");
        authql::store::sessions::list_open(&mut conn, user_id, self.clock.now())
            .await
            .expect("sessions")
            .len()
    }

    /// Moves the clock of this server (and its second servers) forward.
    pub fn advance(&self, by: chrono::TimeDelta) {
        self.clock.advance(by);
    }

    async fn serve(
        db: Arc<TestDb>,
        config_vars: Vec<(String, String)>,
        clock: Arc<ShiftedClock>,
    ) -> TestApp {
        let config = Config::from_lookup(|name| {
            config_vars
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("test config");
        let secret = Secret::new(TEST_JWT_SECRET);
        let keys = authql::core::keys::jwt_key::resolve(&config.access_signing, &secret)
            .expect("signing keys");
        let app = App::with_clock(config, &secret, &keys, clock.clone());
        let app = Arc::new(app.expect("app"));
        let router = authql::api::http::router(app.clone()).expect("router");
        TestApp {
            app,
            router,
            db,
            clock,
            config_vars,
        }
    }

    /// Creates an active user through the same service as `authql user add`.
    pub async fn add_user(&self, user_name: &str, password: &str) -> String {
        authql::core::users::add_user(&self.app, user_name, &Secret::new(password), "user")
            .await
            .expect("add user")
    }

    /// Opens `count` pool connections up front, so that a race test races on
    /// queries rather than on connection set-up.
    pub async fn warm_pool(&self, count: usize) {
        let mut held = Vec::with_capacity(count);
        for _ in 0..count {
            held.push(self.app.pool.get().await.expect("connection"));
        }
    }

    /// Sends a raw HTTP request to the router.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        send_to(self.router.clone(), request).await
    }

    /// POSTs a GraphQL operation as JSON, with extra headers.
    pub async fn graphql_with(
        &self,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.post_json(
            json!({ "query": query, "variables": variables }),
            headers,
            DEFAULT_PEER,
        )
        .await
    }

    /// POSTs a JSON body from the given TCP peer.
    pub async fn post_json(&self, body: Value, headers: &[(&str, &str)], peer: &str) -> Answer {
        post(self.router.clone(), body, headers, peer).await
    }

    /// Starts a GraphQL operation on its own task, once `start` lets it go,
    /// so that several really run at the same time.
    pub fn spawn_graphql(
        &self,
        start: Arc<tokio::sync::Barrier>,
        query: &str,
        variables: Value,
        bearer: Option<&str>,
    ) -> tokio::task::JoinHandle<Answer> {
        let router = self.router.clone();
        let body = json!({ "query": query, "variables": variables });
        let authorization = bearer.map(|token| format!("Bearer {token}"));
        tokio::spawn(async move {
            let headers: Vec<(&str, &str)> = authorization
                .iter()
                .map(|value| ("authorization", value.as_str()))
                .collect();
            start.wait().await;
            post(router, body, &headers, DEFAULT_PEER).await
        })
    }

    /// A GraphQL operation without a token.
    pub async fn graphql(&self, query: &str, variables: Value) -> Answer {
        self.graphql_with(query, variables, &[]).await
    }

    /// A GraphQL operation with `Authorization: Bearer <token>`.
    pub async fn graphql_as(&self, access_token: &str, query: &str) -> Answer {
        let header = format!("Bearer {access_token}");
        self.graphql_with(query, json!({}), &[("authorization", &header)])
            .await
    }

    /// Logs in and returns the whole answer.
    pub async fn login_answer(
        &self,
        user_name: &str,
        password: &str,
        device_info: Option<&str>,
    ) -> Answer {
        self.graphql_with(
            LOGIN,
            json!({ "input": { "userName": user_name, "password": password, "deviceInfo": device_info } }),
            &[("user-agent", "authql-tests/1.0")],
        )
        .await
    }

    /// Logs in and returns the `AuthPayload`, failing the test on an error.
    pub async fn login(&self, user_name: &str, password: &str) -> Value {
        self.login_answer(user_name, password, Some("test device"))
            .await
            .data("login")
            .clone()
    }
}

/// A whole HTTP answer, headers included.
pub struct FullAnswer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl FullAnswer {
    /// A header's value as text; "" when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON (Null when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl TestApp {
    /// Sends a request with these headers and no body from the default peer.
    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> FullAnswer {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.full_answer(request.body(Body::empty()).expect("request"))
            .await
    }

    /// POSTs a GraphQL operation with these headers; the whole answer.
    pub async fn graphql_full(
        &self,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> FullAnswer {
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.full_answer(request.body(Body::from(body)).expect("request"))
            .await
    }

    /// Sends a request from the default peer through the router; the whole
    /// answer, headers included.
    async fn full_answer(&self, mut request: Request<Body>) -> FullAnswer {
        let peer: SocketAddr = DEFAULT_PEER.parse().expect("peer address");
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        FullAnswer {
            status,
            headers,
            body,
        }
    }

    /// Serves this app's router on a loopback port of its own until the test
    /// ends, for clients that need a real socket; returns its address.
    pub async fn listen(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local address");
        let service = self
            .router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await });
        addr
    }
}

/// Sends a request through a router; returns the status and the whole body.
async fn send_to(router: Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = router.oneshot(request).await.expect("router answers");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, body)
}

/// POSTs a JSON body to a router from the given TCP peer.
async fn post(router: Router, body: Value, headers: &[(&str, &str)], peer: &str) -> Answer {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::from(body.to_string())).expect("request");
    let peer: SocketAddr = peer.parse().expect("peer address");
    request.extensions_mut().insert(ConnectInfo(peer));
    let (status, body) = send_to(router, request).await;
    Answer {
        status,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

/// Waits for spawned operations, failing the test if one panicked.
pub async fn join_answers(handles: Vec<tokio::task::JoinHandle<Answer>>) -> Vec<Answer> {
    let mut answers = Vec::with_capacity(handles.len());
    for handle in handles {
        answers.push(handle.await.expect("operation task"));
    }
    answers
}

/// The login mutation with every field of `AuthPayload`.
pub const LOGIN: &str = "mutation Login($input: LoginInput!) { login(input: $input) { \
    accessToken refreshToken tokenType expiresIn refreshTokenExpiresAt \
    session { id current deviceInfo ipAddress userAgent createdAt lastActiveAt expiresAt user { id userName } } \
    user { id userName role createdAt } } }";

/// The access token of an `AuthPayload`.
pub fn access_token(payload: &Value) -> String {
    payload["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_owned()
}

/// The session id of an `AuthPayload`.
pub fn session_id(payload: &Value) -> String {
    payload["session"]["id"]
        .as_str()
        .expect("session id")
        .to_owned()
}

/// The refreshToken mutation with the fields tests look at.
pub const REFRESH: &str = "mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { \
    accessToken refreshToken expiresIn refreshTokenExpiresAt session { id current expiresAt lastActiveAt } user { id } } }";

/// The refresh token of an `AuthPayload`.
pub fn refresh_token(payload: &Value) -> String {
    payload["refreshToken"]
        .as_str()
        .expect("refreshToken")
        .to_owned()
}

impl TestApp {
    /// Calls `refreshToken` with the given token.
    pub async fn refresh(&self, token: &str) -> Answer {
        self.graphql(REFRESH, json!({ "token": token })).await
    }

    /// A session row as stored, for audit assertions.
    pub async fn stored_session(&self, session_id: &str) -> authql::store::sessions::SessionRecord {
        let mut conn = self.app.pool.get().await.expect("connection");
        authql::store::sessions::find_with_user(&mut conn, session_id)
            .await
            .expect("query")
            .expect("session row")
            .0
    }
}
