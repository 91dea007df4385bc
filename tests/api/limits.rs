//! The HTTP server's bounds against clients that misbehave, on the release
//! build as a deployment runs it (the debug build when there is no fresh
//! release build, outside CI): heads that never finish, bodies that drip,
//! idle keep-alive connections, thousands of sockets that send nothing,
//! oversized heads, and requests that outlive `HTTP_REQUEST_TIMEOUT_SECS`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use authql_testkit::documents::{LOGIN, LOGOUT, ME};
use authql_testkit::{Backend, TestDb, both_backends};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::served::ServedProcess;

/// `target/release/authql`: under CI always (`.ci/run` builds it just
/// before the tests), elsewhere when it is at least as new as the debug
/// build, so that a stale release build is not tested by mistake.
pub(crate) fn server_binary() -> PathBuf {
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_authql"));
    let release = debug
        .parent()
        .and_then(|dir| dir.parent())
        .map(|target| {
            target
                .join("release")
                .join(debug.file_name().expect("name"))
        })
        .expect("target dir");
    if std::env::var_os("CI").is_some() {
        assert!(
            release.is_file(),
            "CI is set but {} is missing",
            release.display()
        );
        return release;
    }
    let modified = |path: &PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match (modified(&release), modified(&debug)) {
        (Some(release_time), Some(debug_time)) if release_time >= debug_time => release,
        _ => {
            eprintln!(
                "NOTE: the HTTP limits tests run the debug build: `cargo build --release` first to test the release build"
            );
            debug
        }
    }
}

pub(crate) fn serve(extra: &[(&str, &str)]) -> (ServedProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("authql.db").display());
    (
        ServedProcess::start_binary(&server_binary(), &url, extra),
        dir,
    )
}

pub(crate) async fn connect(server: &ServedProcess) -> TcpStream {
    TcpStream::connect(("127.0.0.1", server.port))
        .await
        .expect("connect")
}

/// Reads until the server closes; what it said, and how long it took.
async fn read_until_closed(stream: &mut TcpStream, at_most: Duration) -> (String, Duration) {
    let began = Instant::now();
    let mut said = Vec::new();
    let read = tokio::time::timeout(at_most, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => said.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "still open after {at_most:?}");
    (String::from_utf8_lossy(&said).into_owned(), began.elapsed())
}

/// One keep-alive `GET /healthz` on an open connection; its status line.
async fn healthz_on(stream: &mut TcpStream) -> String {
    healthz_within(stream, Duration::from_secs(10)).await
}

/// The same, waiting for the answer up to `at_most`.
async fn healthz_within(stream: &mut TcpStream, at_most: Duration) -> String {
    send_healthz(stream).await;
    status_within(stream, at_most).await
}

/// Sends one keep-alive `GET /healthz`.
pub(crate) async fn send_healthz(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("send");
}

/// Reads a `/healthz` answer, waiting up to `at_most`; its status line.
pub(crate) async fn status_within(stream: &mut TcpStream, at_most: Duration) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.ends_with(b"ok\n") {
        let n = tokio::time::timeout(at_most, stream.read(&mut buf))
            .await
            .expect("an answer")
            .expect("read");
        assert!(n > 0, "closed before answering");
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_heads_are_cut_while_others_are_served() {
    let (server, _dir) = serve(&[("HTTP_HEADER_TIMEOUT_SECS", "2")]);
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = connect(&server).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            .await
            .expect("send half a head");
        slow.push(stream);
    }
    // A client that keeps sending, a byte at a time, and never ends its head.
    let mut dripping = connect(&server).await;
    dripping
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .expect("send");
    let drip = tokio::spawn(async move {
        let began = Instant::now();
        while dripping.write_all(b"X").await.is_ok() && began.elapsed() < Duration::from_secs(20) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        began.elapsed()
    });

    let mut other = connect(&server).await;
    assert_eq!(
        healthz_on(&mut other).await,
        "HTTP/1.1 200 OK",
        "served meanwhile"
    );

    for stream in &mut slow {
        let (said, after) = read_until_closed(stream, Duration::from_secs(20)).await;
        assert!(said.starts_with("HTTP/1.1 408 "), "{said:?}");
        assert!(after < Duration::from_secs(20));
    }
    let dripped_for = drip.await.expect("drip task");
    assert!(
        dripped_for < Duration::from_secs(20),
        "a head sent a byte at a time is cut too ({dripped_for:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_close_after_the_idle_timeout_not_the_header_one() {
    let (server, _dir) = serve(&[
        ("HTTP_HEADER_TIMEOUT_SECS", "1"),
        ("HTTP_IDLE_TIMEOUT_SECS", "4"),
    ]);
    let mut kept = connect(&server).await;
    assert_eq!(healthz_on(&mut kept).await, "HTTP/1.1 200 OK");
    // Longer than the header timeout: an idle keep-alive connection stays.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(healthz_on(&mut kept).await, "HTTP/1.1 200 OK");
    let (said, after) = read_until_closed(&mut kept, Duration::from_secs(15)).await;
    assert_eq!(said, "", "an idle close says nothing");
    assert!(
        after >= Duration::from_secs(3),
        "closed after {after:?}, before the idle timeout"
    );

    // A new connection that sends nothing has its header timeout only.
    let mut silent = connect(&server).await;
    let (said, after) = read_until_closed(&mut silent, Duration::from_secs(15)).await;
    assert_eq!(said, "");
    assert!(after < Duration::from_secs(4), "closed after {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_over_16_kib_are_431() {
    let (server, _dir) = serve(&[]);
    for (size, expected) in [(12_000, "HTTP/1.1 200 "), (20_000, "HTTP/1.1 431 ")] {
        let mut stream = connect(&server).await;
        let head = format!(
            "GET /healthz HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            "a".repeat(size)
        );
        stream.write_all(head.as_bytes()).await.expect("send");
        let (said, _) = read_until_closed(&mut stream, Duration::from_secs(15)).await;
        assert!(said.starts_with(expected), "{size} bytes: {said:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dripping_body_is_cut() {
    let (server, _dir) = serve(&[("HTTP_BODY_TIMEOUT_SECS", "2")]);
    let mut stream = connect(&server).await;
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{",
        )
        .await
        .expect("send");
    let (mut reader, mut writer) = stream.into_split();
    let drip = tokio::spawn(async move {
        while writer.write_all(b" ").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut said = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut said)).await;
    assert!(read.is_ok(), "the connection is closed");
    let said = String::from_utf8_lossy(&said);
    assert!(said.starts_with("HTTP/1.1 408 "), "{said:?}");
    drip.abort();
}

/// Raises this process's open-file limit to its hard limit.
fn raise_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    limit.rlim_cur
}

pub(crate) fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_sockets_do_not_stop_a_new_client() {
    const IDLE: usize = 10_000;
    const CAP: usize = 2_000;
    let limit = raise_file_limit();
    assert!(
        limit >= 16_384,
        "this test needs 16384 open files, the limit is {limit}"
    );
    // A cap the server reaches at once under any load, and heads given long
    // enough that the sockets it took in are still held when it is checked.
    let cap = CAP.to_string();
    let (server, _dir) = serve(&[
        ("HTTP_MAX_CONNECTIONS", cap.as_str()),
        ("HTTP_HEADER_TIMEOUT_SECS", "15"),
    ]);
    let mut idle = Vec::with_capacity(IDLE);
    let mut pending = tokio::task::JoinSet::new();
    for _ in 0..IDLE {
        let port = server.port;
        pending.spawn(async move {
            // Past the cap and the backlog, a connect waits for the kernel.
            tokio::time::timeout(
                Duration::from_secs(3),
                TcpStream::connect(("127.0.0.1", port)),
            )
            .await
        });
    }
    while let Some(connected) = pending.join_next().await {
        if let Ok(Ok(Ok(stream))) = connected {
            idle.push(stream);
        }
    }
    assert!(idle.len() > CAP, "only {} sockets connected", idle.len());
    // The server takes them in up to its cap, and no further.
    let filling = Instant::now();
    while open_descriptors(server.pid()) < CAP {
        assert!(
            filling.elapsed() < Duration::from_secs(12),
            "the server took only {} descriptors",
            open_descriptors(server.pid())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let accepted = open_descriptors(server.pid());
    assert!(
        accepted <= CAP + 64,
        "the server holds {accepted} descriptors with {} sockets open at it",
        idle.len()
    );

    // The newcomer waits in the backlog, behind the sockets queued before
    // it, until head timeouts free places: rounds of 15 s.
    let began = Instant::now();
    let mut newcomer = tokio::time::timeout(Duration::from_secs(60), connect(&server))
        .await
        .expect("the newcomer connects");
    let served = healthz_within(&mut newcomer, Duration::from_secs(120)).await;
    assert_eq!(served, "HTTP/1.1 200 OK");
    eprintln!(
        "{} idle sockets connected, server descriptors {accepted} (cap {CAP}); newcomer served after {:?}",
        idle.len(),
        began.elapsed()
    );
    drop(idle);
}

both_backends!(a_request_cut_by_its_timeout_completes_or_changes_nothing);

/// Holds a write lock on every session row for `hold`, from outside the
/// server, so that a logout has to wait for it; returns once it is taken.
async fn lock_sessions(url: String, hold: Duration) -> tokio::task::JoinHandle<()> {
    let (taken, is_taken) = tokio::sync::oneshot::channel();
    let holder = if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            use diesel::{Connection, RunQueryDsl};
            let mut conn = diesel::SqliteConnection::establish(&path).expect("sqlite");
            diesel::sql_query("BEGIN EXCLUSIVE")
                .execute(&mut conn)
                .expect("lock");
            let _ = taken.send(());
            std::thread::sleep(hold);
            diesel::sql_query("COMMIT")
                .execute(&mut conn)
                .expect("unlock");
        })
    } else {
        tokio::spawn(async move {
            use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
            let mut conn = AsyncMysqlConnection::establish(&url).await.expect("mysql");
            for sql in ["BEGIN", "SELECT id FROM user_login_sessions FOR UPDATE"] {
                diesel::sql_query(sql).execute(&mut conn).await.expect(sql);
            }
            let _ = taken.send(());
            tokio::time::sleep(hold).await;
            diesel::sql_query("COMMIT")
                .execute(&mut conn)
                .await
                .expect("unlock");
        })
    };
    is_taken.await.expect("the lock is taken");
    holder
}

async fn a_request_cut_by_its_timeout_completes_or_changes_nothing(backend: Backend) {
    let db = TestDb::create(backend).await;
    let added = crate::cli::run(&db.url_text, &["user", "add", "tess"], "password-of-tess\n").await;
    assert!(added.0, "{}", added.2);
    let server = ServedProcess::start_binary(
        &server_binary(),
        &db.url_text,
        &[("HTTP_REQUEST_TIMEOUT_SECS", "1")],
    );
    let login = server.graphql(
        LOGIN,
        json!({ "input": { "userName": "tess", "password": "password-of-tess" } }),
        None,
    );
    let token = login.body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login: {}", login.body))
        .to_owned();

    let holder = lock_sessions(db.url_text.clone(), Duration::from_secs(3)).await;
    let logout = server.graphql(LOGOUT, json!({}), Some(&token));
    assert_eq!(
        logout.status, 503,
        "cut by the request timeout: {}",
        logout.body
    );
    holder.await.expect("lock holder");

    // The logout ran on to its end once the lock was gone: the session is
    // ended, not half ended.
    let began = Instant::now();
    loop {
        let me = server.graphql(ME, json!({}), Some(&token));
        if me.body["errors"][0]["extensions"]["code"] == "SESSION_REVOKED" {
            break;
        }
        assert!(me.body["data"]["me"]["id"].is_string(), "{}", me.body);
        assert!(
            began.elapsed() < Duration::from_secs(20),
            "the logout never completed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
