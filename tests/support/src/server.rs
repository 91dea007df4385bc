//! A test server: configuration → keys → `App` → router, built in one place,
//! on a fresh database or a given one, with the clock in the test's hands.
//!
//! ```ignore
//! let server = TestServer::builder()
//!     .backend(backend)
//!     .with_config(|c| c.max_sessions_per_user = 3)
//!     .start()
//!     .await;
//! ```
//!
//! Configuration is the typed [`Config`]: the server starts from the
//! defaults `authql serve` would have with no variables set, then the kit's
//! own settings (`kit_settings`), then the test's `with_config` changes
//! in order. `with_var` sets a variable as an operator writes it, for the
//! tests whose subject is how a variable is read; variables are read first.
//!
//! `with_mail(&mail_server)` points `SMTP_URL` at a [`MailServer`], sets
//! `PUBLIC_APP_URL` to [`TEST_APP_URL`], and runs the mail sender for the
//! server and each of its second servers (whose configuration still has an
//! `SMTP_URL`) until it is dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authql::config::{Config, JwtSecretSource};
use authql::core::app::{App, AppState};
use authql::core::clock::{Clock, ShiftedClock};
use authql::core::mail::sender::MailSender;
use authql::secret::Secret;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::call::{Call, oneshot};
use crate::database::{Backend, TestDb};
use crate::documents::{LOGIN, ME, REFRESH};
use crate::mail::MailServer;

/// The HS256 key every test server signs with.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
/// `PUBLIC_APP_URL` of a server `with_mail`: where mails link.
pub const TEST_APP_URL: &str = "http://app.test";
/// The address the router sees as the TCP peer unless a test says otherwise.
pub const DEFAULT_PEER: &str = "203.0.113.7:50123";

/// The variables the kit sets itself (typed, after the variables are read):
/// a test changes them with `with_config`, never `with_var`.
const KIT_VARIABLES: [&str; 4] = [
    "DATABASE_URL",
    "JWT_SECRET",
    "PASSWORD_HASH_CONCURRENCY",
    "PASSWORD_MIN_LENGTH",
];

/// The kit's own settings, over the defaults.
fn kit_settings(config: &mut Config, db: &TestDb) {
    config.database_url = db.url.clone();
    config.jwt_secret = JwtSecretSource::Given(Secret::from(TEST_JWT_SECRET));
    config.password_hash_concurrency = 2;
    // Tests create users with short passwords; the minimum has its own tests.
    config.password_min_length = 1;
}

type Edit = Arc<dyn Fn(&mut Config) + Send + Sync>;

/// How a server is configured: variables, then the test's typed changes.
/// Kept by the server, so that its second servers start the same way.
#[derive(Clone, Default)]
struct Settings {
    vars: Vec<(String, String)>,
    edits: Vec<Edit>,
    /// Whether servers run the mail sender (`with_mail`).
    mail_sender: bool,
}

impl Settings {
    fn config(&self, db: &TestDb) -> Config {
        let mut config = Config::from_lookup(|name| {
            self.vars
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("the test's variables are valid");
        kit_settings(&mut config, db);
        for edit in &self.edits {
            edit(&mut config);
        }
        config
    }
}

/// Starts a [`TestServer`]: see the module doc.
#[must_use]
pub struct Builder {
    backend: Backend,
    db: Option<Arc<TestDb>>,
    clock: Option<Arc<ShiftedClock>>,
    settings: Settings,
}

impl Builder {
    /// The backend of the fresh database `start` makes (SQLite unless told).
    pub fn backend(mut self, backend: Backend) -> Builder {
        self.backend = backend;
        self
    }

    /// Serves on this database instead of a fresh one.
    pub fn database(mut self, db: TestDb) -> Builder {
        self.db = Some(Arc::new(db));
        self
    }

    /// Changes the configuration; changes apply in the order given.
    pub fn with_config(mut self, edit: impl Fn(&mut Config) + Send + Sync + 'static) -> Builder {
        self.settings.edits.push(Arc::new(edit));
        self
    }

    /// Sends mail to `mail_server`: `SMTP_URL` and `PUBLIC_APP_URL` (as
    /// [`TEST_APP_URL`]) set, and the mail sender running for this server
    /// and its second servers.
    pub fn with_mail(mut self, mail_server: &MailServer) -> Builder {
        let smtp_url = mail_server.smtp_url();
        self.settings.mail_sender = true;
        self.with_config(move |c| {
            c.accounts.smtp_url = Some(Secret::from(smtp_url.clone()));
            c.accounts.public_app_url = Some(TEST_APP_URL.to_owned());
        })
    }

    /// Sets a variable as an operator writes it, for the tests of how it is
    /// read. Anything else is set with [`Builder::with_config`].
    pub fn with_var(mut self, name: &str, value: &str) -> Builder {
        assert!(
            !KIT_VARIABLES.contains(&name),
            "{name} is set by the kit after the variables are read: use with_config"
        );
        self.settings.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets several variables: for the tests of how they are read, and for
    /// a server that shares its variables with an `authql serve` process.
    pub fn with_vars(self, vars: &[(&str, &str)]) -> Builder {
        vars.iter()
            .fold(self, |builder, (name, value)| builder.with_var(name, value))
    }

    /// Makes the database unless one was given, brings its schema up to
    /// date, and serves.
    pub async fn start(mut self) -> TestServer {
        let db = match self.db.take() {
            Some(db) => db,
            None => Arc::new(TestDb::create(self.backend).await),
        };
        authql::store::migrate::run_pending(&db.url)
            .await
            .expect("migrations");
        self.db = Some(db);
        self.serve()
    }

    /// Serves on the given database as it is (no migrations): a second
    /// server, or a database made ready by the caller.
    pub fn serve(self) -> TestServer {
        self.try_serve().expect("the server starts")
    }

    /// `serve`, handing back why the server would not start (the service's
    /// state, or the HTTP layer's: GraphiQL's files).
    pub fn try_serve(self) -> Result<TestServer, Box<dyn std::error::Error + Send + Sync>> {
        let db = self
            .db
            .expect("serve() needs a database (.database(...)); start() makes a fresh one");
        let clock = self.clock.unwrap_or_default();
        let config = self.settings.config(&db);
        let keys = authql::core::keys::Keys::load(&config).expect("keys");
        let app = Arc::new(App::with_clock(config, &keys, clock.clone())?);
        let router = authql::api::http::router(app.clone())?;
        let mail_sender = if self.settings.mail_sender {
            MailSender::start(app.clone())?
        } else {
            None
        };
        Ok(TestServer {
            app,
            router,
            db,
            clock,
            settings: self.settings,
            mail_sender,
        })
    }
}

/// A running authql, driven through its router.
pub struct TestServer {
    pub app: AppState,
    pub router: Router,
    pub db: Arc<TestDb>,
    /// The server's clock, shared with its second servers: tests move it
    /// forward instead of sleeping.
    pub clock: Arc<ShiftedClock>,
    settings: Settings,
    /// This server's mail sender, when it was started `with_mail`; stopped
    /// with the server.
    mail_sender: Option<MailSender>,
}

impl TestServer {
    /// A server to configure: see the module doc.
    pub fn builder() -> Builder {
        Builder {
            backend: Backend::Sqlite,
            db: None,
            clock: None,
            settings: Settings::default(),
        }
    }

    /// A server on a fresh database of `backend`, configured as the kit is.
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::builder().backend(backend).start().await
    }

    /// A server on a fresh database of `backend`, with one change.
    pub async fn start_with(
        backend: Backend,
        edit: impl Fn(&mut Config) + Send + Sync + 'static,
    ) -> TestServer {
        TestServer::builder()
            .backend(backend)
            .with_config(edit)
            .start()
            .await
    }

    /// Another server (another process, as far as authql can tell) on the
    /// same database and clock, configured as this one: change it further
    /// before `serve()`.
    pub fn second(&self) -> Builder {
        Builder {
            backend: Backend::Sqlite,
            db: Some(self.db.clone()),
            clock: Some(self.clock.clone()),
            settings: self.settings.clone(),
        }
    }

    /// A second server configured as this one, as a replica would be.
    pub fn second_server(&self) -> TestServer {
        self.second().serve()
    }

    /// A second server with one change.
    pub fn second_server_with(
        &self,
        edit: impl Fn(&mut Config) + Send + Sync + 'static,
    ) -> TestServer {
        self.second().with_config(edit).serve()
    }

    /// Moves the clock of this server (and its second servers) forward.
    pub fn advance(&self, by: chrono::TimeDelta) {
        self.clock.advance(by);
    }

    /// The server's "now", in unix seconds (TOTP codes are computed for it).
    pub fn now_unix(&self) -> i64 {
        use authql::core::clock::Clock;
        self.clock.now().and_utc().timestamp()
    }

    /// Whether this server runs a mail sender.
    pub fn sends_mail(&self) -> bool {
        self.mail_sender.is_some()
    }

    /// Stops this server's mail sender, letting its sends under way finish
    /// for `grace` at most (as `authql serve` does at shutdown).
    pub async fn stop_mail_sender(&mut self, grace: Duration) {
        if let Some(sender) = self.mail_sender.take() {
            sender.stop(tokio::time::Instant::now() + grace).await;
        }
    }
}

/// Speaking to the router.
impl TestServer {
    /// A GraphQL operation to send: add variables, a token, headers or a
    /// peer, then `.await` it (or `spawn_after` a barrier).
    pub fn call(&self, document: &str) -> Call {
        Call::new(self.router.clone(), document)
    }

    /// A GraphQL operation without a token.
    pub async fn graphql(&self, document: &str, variables: Value) -> Answer {
        self.call(document).variables(variables).await
    }

    /// A GraphQL operation with `Authorization: Bearer <token>`.
    pub async fn graphql_as(&self, access_token: &str, document: &str) -> Answer {
        self.call(document).bearer(access_token).await
    }

    /// A GraphQL operation with extra headers.
    pub async fn graphql_with(
        &self,
        document: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.call(document)
            .variables(variables)
            .headers(headers)
            .await
    }

    /// Starts a GraphQL operation on its own task, once `start` lets it go,
    /// so that several really run at the same time.
    pub fn spawn_graphql(
        &self,
        start: Arc<tokio::sync::Barrier>,
        document: &str,
        variables: Value,
        bearer: Option<&str>,
    ) -> tokio::task::JoinHandle<Answer> {
        let mut call = self.call(document).variables(variables);
        if let Some(token) = bearer {
            call = call.bearer(token);
        }
        call.spawn_after(start)
    }

    /// POSTs any JSON body to `/graphql` (a batch, say) from the given peer.
    pub async fn post_json(&self, body: Value, headers: &[(&str, &str)], peer: &str) -> Answer {
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::from(body.to_string())).expect("request");
        let peer: SocketAddr = peer.parse().expect("peer address");
        request.extensions_mut().insert(ConnectInfo(peer));
        self.send(request).await
    }

    /// Sends a request with these headers and no body from the default peer.
    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::empty()).expect("request");
        let peer: SocketAddr = DEFAULT_PEER.parse().expect("peer address");
        request.extensions_mut().insert(ConnectInfo(peer));
        self.send(request).await
    }

    /// Sends a request to the router as it is (no peer unless it has one).
    pub async fn send(&self, request: Request<Body>) -> Answer {
        oneshot(self.router.clone(), request).await
    }

    /// Serves the router on a loopback port of its own until the test ends,
    /// for clients that need a real socket; returns its address.
    pub async fn listen(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        self.listen_on(listener)
    }

    /// Serves the router on `listener` until the test ends; returns its
    /// address. For a test whose configuration names the server's own port
    /// (an origin), so the port is bound before the server is built.
    pub fn listen_on(&self, listener: tokio::net::TcpListener) -> SocketAddr {
        let addr = listener.local_addr().expect("local address");
        let service = self
            .router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await });
        addr
    }
}

/// The operations nearly every test needs.
impl TestServer {
    /// Creates an active user through the same service as `authql user add`;
    /// returns its id.
    pub async fn add_user(&self, user_name: &str, password: &str) -> String {
        authql::core::users::add_user(&self.app, user_name, &Secret::from(password), "user", None)
            .await
            .expect("add user")
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

    /// Calls `refreshToken` with the given token.
    pub async fn refresh(&self, token: &str) -> Answer {
        self.graphql(REFRESH, json!({ "token": token })).await
    }

    /// Whether an access token's session is live: `me` answers, or is
    /// refused with `SESSION_REVOKED` (any other answer fails the test).
    pub async fn is_live(&self, access_token: &str) -> bool {
        let me = self.graphql_as(access_token, ME).await;
        if me.has_errors() {
            assert_eq!(me.code(), "SESSION_REVOKED");
            return false;
        }
        true
    }
}

/// Looking at the database behind the server.
impl TestServer {
    /// Opens `count` pool connections up front, so that a race test races on
    /// queries rather than on connection set-up.
    pub async fn warm_pool(&self, count: usize) {
        let mut held = Vec::with_capacity(count);
        for _ in 0..count {
            held.push(self.app.pool.get().await.expect("connection"));
        }
    }

    /// Waits until a password check for `user_name` (lower case) is under way
    /// on any server sharing this database.
    pub async fn wait_for_password_check(&self, user_name: &str) {
        let key = format!("name:{user_name}");
        let began = Instant::now();
        loop {
            let mut conn = self.app.pool.get().await.expect("connection");
            let row = authql::store::throttle::window(&mut conn, &key)
                .await
                .expect("throttle row");
            if row.is_some_and(|row| row.checking > 0) {
                return;
            }
            assert!(
                began.elapsed() < Duration::from_secs(30),
                "no password check for {user_name} began"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// How many sessions of `user_id` are open now, read from the database.
    pub async fn open_session_count(&self, user_id: &str) -> usize {
        let mut conn = self.app.pool.get().await.expect("connection");
        authql::store::sessions::list_open(&mut conn, user_id, self.clock.now())
            .await
            .expect("sessions")
            .len()
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

/// Waits for spawned operations, failing the test if one panicked.
pub async fn join_answers(handles: Vec<tokio::task::JoinHandle<Answer>>) -> Vec<Answer> {
    let mut answers = Vec::with_capacity(handles.len());
    for handle in handles {
        answers.push(handle.await.expect("operation task"));
    }
    answers
}
