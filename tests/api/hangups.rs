//! Requests interrupted half way (clients that hang up with their request in
//! flight, statements cut by `DB_QUERY_TIMEOUT_SECS` against a slow database,
//! readiness checks that give up) never leave behind a pooled connection that
//! answers the next request with another request's rows. Run against the real
//! server process over real TCP, since hanging up is a property of sockets.

use std::sync::Arc;
use std::time::{Duration, Instant};

use authql_testkit::documents::{LOGIN, ME, MY_SESSIONS};
use authql_testkit::{Backend, TestServer, mysql_server_url};
use serde_json::{Value, json};

use crate::proxy::FaultyProxy;
use crate::served::ServedProcess;

/// A signed-in user as the test knows it.
#[derive(Clone)]
struct Member {
    user_id: String,
    session_id: String,
    access_token: String,
}

fn login(server: &ServedProcess, user_name: &str) -> Member {
    let answer = server.graphql(
        LOGIN,
        json!({ "input": { "userName": user_name, "password": password_of(user_name) } }),
        None,
    );
    let payload = &answer.body["data"]["login"];
    assert!(payload.is_object(), "login {user_name}: {}", answer.body);
    Member {
        user_id: payload["user"]["id"].as_str().expect("user id").to_owned(),
        session_id: payload["session"]["id"]
            .as_str()
            .expect("session id")
            .to_owned(),
        access_token: payload["accessToken"].as_str().expect("token").to_owned(),
    }
}

fn password_of(user_name: &str) -> String {
    format!("pw-of-{user_name}")
}

/// Why one answer to `member` is wrong, or None when it is right.
fn wrong_answer(member: &Member, query: &str, status: u16, body: &Value) -> Option<String> {
    if status != 200 || body.get("errors").is_some() {
        return Some(format!("HTTP {status}: {body}"));
    }
    if query == ME {
        return (body["data"]["me"]["id"] != member.user_id.as_str())
            .then(|| format!("me of someone else: {body}"));
    }
    let sessions = body["data"]["mySessions"].as_array()?;
    let foreign = sessions
        .iter()
        .any(|session| session["user"]["id"] != member.user_id.as_str());
    let current: Vec<&Value> = sessions
        .iter()
        .filter(|session| session["current"] == true)
        .map(|session| &session["id"])
        .collect();
    (foreign || current != [&Value::from(member.session_id.as_str())])
        .then(|| format!("mySessions not the caller's: {body}"))
}

/// Sends `count` requests from `members` in turn, alternating `me` and
/// `mySessions`, and returns every wrong answer.
fn ordinary_traffic(server: &ServedProcess, members: &[Member], count: usize) -> Vec<String> {
    let mut wrong = Vec::new();
    for i in 0..count {
        let member = &members[i % members.len()];
        let query = if (i / members.len()).is_multiple_of(2) {
            ME
        } else {
            MY_SESSIONS
        };
        let answer = server.graphql(query, json!({}), Some(&member.access_token));
        if let Some(why) = wrong_answer(member, query, answer.status, &answer.body) {
            wrong.push(format!("request {i}: {why}"));
        }
    }
    wrong
}

/// Runs `work(thread, round)` on `threads` threads, `rounds` times each.
async fn on_threads(
    server: &Arc<ServedProcess>,
    threads: usize,
    rounds: usize,
    work: impl Fn(&ServedProcess, usize, usize) + Send + Sync + Clone + 'static,
) {
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let (server, work) = (server.clone(), work.clone());
            tokio::task::spawn_blocking(move || {
                for round in 0..rounds {
                    work(&server, thread, round);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("client thread");
    }
}

/// A way to make the database slow for the server under test, and fast again.
enum Slowdown {
    /// MySQL through the test proxy, which delays the server's answers.
    Proxy(FaultyProxy),
    /// SQLite with its write lock held by another connection, so that writes
    /// wait on the busy timeout.
    WriteLock(
        String,
        Option<std::thread::JoinHandle<()>>,
        std::sync::mpsc::Sender<()>,
    ),
}

impl Slowdown {
    /// The `DATABASE_URL` the server must use, and the means to slow it.
    async fn prepare(backend: Backend, app: &TestServer) -> (String, Slowdown) {
        match backend {
            Backend::Mysql => {
                let server_url = mysql_server_url().expect("MySQL configured");
                let host = server_url.rsplit('@').next().expect("host:port").to_owned();
                let proxy = FaultyProxy::start(host).await;
                let database = app.db.url_text.rsplit('/').next().expect("database");
                (proxy.url(&server_url, database), Slowdown::Proxy(proxy))
            }
            Backend::Sqlite => {
                let path = app.db.url_text.trim_start_matches("sqlite://").to_owned();
                let (release, _) = std::sync::mpsc::channel();
                (
                    app.db.url_text.clone(),
                    Slowdown::WriteLock(path, None, release),
                )
            }
        }
    }

    async fn slow_down(&mut self) {
        match self {
            Slowdown::Proxy(proxy) => proxy.slow_down(Duration::from_millis(1500)),
            Slowdown::WriteLock(path, holder, release) => {
                let (locked_tx, locked_rx) = std::sync::mpsc::channel();
                let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
                let path = path.clone();
                *holder = Some(std::thread::spawn(move || {
                    use diesel::Connection;
                    use diesel::connection::SimpleConnection;
                    let mut conn = diesel::SqliteConnection::establish(&path).expect("open");
                    // The server may be writing at this moment (a login's
                    // session or throttle row): wait for its turn, as the
                    // server's own connections do, rather than fail at once.
                    conn.batch_execute("PRAGMA busy_timeout = 10000; BEGIN IMMEDIATE")
                        .expect("take the write lock");
                    locked_tx.send(()).expect("report the lock");
                    let _ = release_rx.recv();
                    conn.batch_execute("ROLLBACK")
                        .expect("release the write lock");
                }));
                *release = release_tx;
                tokio::task::spawn_blocking(move || locked_rx.recv())
                    .await
                    .expect("lock thread")
                    .expect("the write lock is held");
            }
        }
    }

    async fn speed_up(&mut self) {
        match self {
            Slowdown::Proxy(proxy) => proxy.speed_up(),
            Slowdown::WriteLock(_, holder, release) => {
                let _ = release.send(());
                if let Some(holder) = holder.take() {
                    tokio::task::spawn_blocking(move || holder.join())
                        .await
                        .expect("join")
                        .expect("lock thread");
                }
            }
        }
    }
}

/// Lines that show a connection answering with the wrong request's packets.
const POISON_SIGNS: &[&str] = &[
    "packet out of order",
    "deserializ",
    "enough data",
    "internal error",
];

async fn interrupted_requests_never_answer_for_someone_else(backend: Backend) {
    let app = TestServer::start(backend).await;
    for name in ["alice", "bob", "carol"] {
        app.add_user(name, &password_of(name)).await;
    }
    let (database_url, mut slowdown) = Slowdown::prepare(backend, &app).await;
    let server = Arc::new(ServedProcess::start(
        &database_url,
        &[("DB_POOL_SIZE", "4"), ("DB_QUERY_TIMEOUT_SECS", "1")],
    ));
    let alice = login(&server, "alice");
    let members = [login(&server, "bob"), login(&server, "carol")];

    // Alice hangs up on thousands of requests right after sending them, and
    // on a few logins (reads and writes), while Bob and Carol go on as usual.
    let storm_over = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let beside_storm = {
        let (server, members, storm_over) = (server.clone(), members.clone(), storm_over.clone());
        tokio::task::spawn_blocking(move || {
            let mut wrong = Vec::new();
            while !storm_over.load(std::sync::atomic::Ordering::Relaxed) {
                wrong.extend(ordinary_traffic(&server, &members, 20));
            }
            wrong
        })
    };
    let token = alice.access_token.clone();
    on_threads(&server, 16, 300, move |server, _, _| {
        server.graphql_and_hang_up(MY_SESSIONS, json!({}), Some(&token));
    })
    .await;
    storm_over.store(true, std::sync::atomic::Ordering::Relaxed);
    let wrong = beside_storm.await.expect("traffic beside the storm");
    assert!(
        wrong.is_empty(),
        "{} answers beside the hang-ups were wrong, for example:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(5)].join("\n")
    );
    on_threads(&server, 4, 1, |server, _, _| {
        let input = json!({ "input": { "userName": "alice", "password": password_of("alice") } });
        server.graphql_and_hang_up(LOGIN, input, None);
    })
    .await;
    // The database turns slow: statements are cut by the query timeout and
    // readiness checks give up, with answers still on their way.
    slowdown.slow_down().await;
    let cut = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = cut.clone();
    on_threads(&server, 4, 2, move |server, thread, _| {
        if thread % 2 == 0 {
            let input =
                json!({ "input": { "userName": "alice", "password": password_of("alice") } });
            let answer = server.graphql(LOGIN, input, None);
            seen.lock().expect("answers").push(answer.body);
        } else {
            let status = server.get_status("/readyz");
            assert!(matches!(status, 200 | 503), "/readyz answered {status}");
        }
    })
    .await;
    slowdown.speed_up().await;
    // A login against the slow database is refused with a code: its
    // statement cut by the query timeout (SERVICE_UNAVAILABLE), or, when the
    // hung-up logins before it still hold the address's turns or the
    // hashing threads past PASSWORD_CHECK_WAIT on a loaded machine (seen in
    // CI), TOO_MANY_ATTEMPTS with its retryAfter, as the contract says.
    for body in cut.lock().expect("answers").iter() {
        let extensions = &body["errors"][0]["extensions"];
        let refused = extensions["code"] == "SERVICE_UNAVAILABLE"
            || (extensions["code"] == "TOO_MANY_ATTEMPTS" && extensions["retryAfter"].is_u64());
        assert!(refused, "a login against the slow database: {body}");
    }

    // Everyone else's ordinary requests are all answered, and answered right.
    let wrong = ordinary_traffic(&server, &members, 1000);
    assert!(
        wrong.is_empty(),
        "{} of 1000 answers were wrong, for example:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(5)].join("\n")
    );
    let poisoned = server.log_lines_with(POISON_SIGNS);
    assert!(
        poisoned.is_empty(),
        "the server log shows connections answering for another request:\n{}",
        poisoned[..poisoned.len().min(5)].join("\n")
    );
}

/// A login slow enough to be caught in the middle: the user's hash, and so
/// every check of it, costs about a second. Variables, as the served
/// process (which checks the hash the test server made) takes them.
const SLOW_HASH: [(&str, &str); 2] = [("ARGON2_MEMORY_KIB", "262144"), ("ARGON2_ITERATIONS", "6")];

async fn work_a_client_hung_up_on_runs_to_its_end(backend: Backend) {
    let app = TestServer::builder()
        .backend(backend)
        .with_vars(&SLOW_HASH)
        .start()
        .await;
    let user_id = app.add_user("dora", &password_of("dora")).await;
    let server = ServedProcess::start(&app.db.url_text, &SLOW_HASH);
    let input = json!({ "input": { "userName": "dora", "password": password_of("dora") } });
    let client = server.send_graphql(LOGIN, input, None);
    app.wait_for_password_check("dora").await;
    assert_eq!(
        app.open_session_count(&user_id).await,
        0,
        "the login is still checking the password"
    );
    drop(client);
    let hung_up_at = Instant::now();
    while app.open_session_count(&user_id).await == 0 {
        assert!(
            hung_up_at.elapsed() < Duration::from_secs(30),
            "the login the client hung up on never opened its session"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.open_session_count(&user_id).await,
        1,
        "one login, one session"
    );
}

authql_testkit::both_backends!(
    interrupted_requests_never_answer_for_someone_else,
    work_a_client_hung_up_on_runs_to_its_end,
);
