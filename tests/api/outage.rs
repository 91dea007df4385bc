//! A database outage on MySQL: a TCP proxy between authql and MariaDB is cut
//! and restored. Requests answer SERVICE_UNAVAILABLE within a bounded time
//! and change nothing, `/readyz` turns 503, and service resumes by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::harness::{TestApp, TestDb, access_token, base_vars, mysql_server_url, refresh_token};

/// A loopback TCP proxy that can drop every connection and refuse new ones.
struct CuttableProxy {
    port: u16,
    open: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl CuttableProxy {
    async fn start(upstream: String) -> CuttableProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let open = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (accept_open, accept_links) = (open.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_open.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                accept_links.lock().await.push(link);
            }
        });
        CuttableProxy { port, open, links }
    }

    async fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
            // Wait until the task is gone and both sockets are closed.
            let _ = link.await;
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

async fn ready_status(app: &TestApp) -> u16 {
    let request = Request::get("/readyz")
        .body(Body::empty())
        .expect("request");
    app.send(request).await.0.as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_outage_is_survived() {
    let Some(server_url) = mysql_server_url() else {
        return;
    };
    let db = TestDb::create(crate::harness::Backend::Mysql).await;
    authql::db::migrate::run_pending(&db.url)
        .await
        .expect("migrations");
    let host = server_url
        .rsplit('@')
        .next()
        .expect("host:port in the URL")
        .to_owned();
    let proxy = CuttableProxy::start(host).await;
    let database = db.url_text.rsplit('/').next().expect("database").to_owned();
    let user_part = server_url
        .trim_start_matches("mysql://")
        .rsplit_once('@')
        .map(|(user, _)| user.to_owned());
    // prefer_socket=false: the driver would otherwise switch to MariaDB's
    // Unix socket on loopback and go around the proxy.
    let proxied = match user_part {
        Some(user) => format!(
            "mysql://{user}@127.0.0.1:{}/{database}?prefer_socket=false",
            proxy.port
        ),
        None => format!(
            "mysql://127.0.0.1:{}/{database}?prefer_socket=false",
            proxy.port
        ),
    };
    let mut vars = base_vars(&db);
    vars.push(("DATABASE_URL".into(), proxied));
    vars.push(("DB_POOL_TIMEOUT_SECS".into(), "2".into()));
    let app = TestApp::with_vars(db, vars).await;

    app.add_user("otto", "pw").await;
    let sessions: Vec<_> = futures::future::join_all((0..3).map(|_| app.login("otto", "pw"))).await;
    assert_eq!(ready_status(&app).await, 200);

    let began = Instant::now();
    proxy.cut().await;
    eprintln!("[{:>6} ms] cut", began.elapsed().as_millis());
    let me = app
        .graphql_as(&access_token(&sessions[0]), "{ me { id } }")
        .await;
    let first_error_at = began.elapsed();
    assert_eq!(me.code(), "SERVICE_UNAVAILABLE");
    assert!(
        first_error_at < Duration::from_secs(5),
        "answered within the pool wait: {first_error_at:?}"
    );
    eprintln!("[{:>6} ms] me -> {}", first_error_at.as_millis(), me.code());
    for (what, answer) in [
        ("login", app.login_answer("otto", "pw", None).await),
        ("refresh", app.refresh(&refresh_token(&sessions[1])).await),
        (
            "logoutAll",
            app.graphql_as(&access_token(&sessions[2]), "mutation { logoutAll }")
                .await,
        ),
    ] {
        assert_eq!(answer.code(), "SERVICE_UNAVAILABLE", "{what}");
        eprintln!(
            "[{:>6} ms] {what} -> {}",
            began.elapsed().as_millis(),
            answer.code()
        );
    }
    assert_eq!(ready_status(&app).await, 503);
    eprintln!("[{:>6} ms] /readyz -> 503", began.elapsed().as_millis());
    let health = app
        .send(
            Request::get("/healthz")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .0;
    assert_eq!(health.as_u16(), 200, "the process stays up");

    tokio::time::sleep(Duration::from_secs(1)).await;
    let still_down = app
        .graphql_as(&access_token(&sessions[0]), "{ me { id } }")
        .await;
    assert_eq!(still_down.code(), "SERVICE_UNAVAILABLE");
    eprintln!(
        "[{:>6} ms] me -> {} (still cut)",
        began.elapsed().as_millis(),
        still_down.code()
    );

    proxy.restore();
    let restored_at = began.elapsed();
    eprintln!("[{:>6} ms] restored", restored_at.as_millis());
    let recovered_at = loop {
        let me = app
            .graphql_as(&access_token(&sessions[0]), "{ me { id } }")
            .await;
        if me.body.get("errors").is_none() {
            break began.elapsed();
        }
        assert!(
            began.elapsed() - restored_at < Duration::from_secs(10),
            "no recovery: {}",
            me.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "[{:>6} ms] recovered ({} ms after restore)",
        recovered_at.as_millis(),
        (recovered_at - restored_at).as_millis()
    );
    assert_eq!(ready_status(&app).await, 200);

    for session in &sessions {
        let me = app
            .graphql_as(&access_token(session), "{ me { userName } }")
            .await;
        assert_eq!(
            me.data("me")["userName"],
            "otto",
            "every session opened before the cut works"
        );
    }
    let refreshed = app.refresh(&refresh_token(&sessions[1])).await;
    assert!(
        refreshed.body.get("errors").is_none(),
        "the refresh tried in the outage changed nothing"
    );
    let listed = app
        .graphql_as(&access_token(&sessions[2]), "{ mySessions { id } }")
        .await;
    assert_eq!(
        listed.data("mySessions").as_array().map(Vec::len),
        Some(3),
        "no session lost or added"
    );
}
