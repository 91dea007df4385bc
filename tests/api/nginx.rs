//! A real nginx in front of a small app, with authql's forward auth from
//! `examples/nginx/authql-forward-auth.conf` included as it is: a live
//! session's requests reach the app with the user's id, a logout is refused
//! at the very next request, and a client can neither skip the check nor
//! forge the identity headers.
//!
//! nginx is Debian's package (`.ci/run` installs it). Without it, this test
//! says so on the terminal and passes; under CI (`CI` set) it fails.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use authql_testkit::documents::LOGOUT;
use authql_testkit::{Backend, TestServer, access_token, both_backends};
use axum::http::HeaderMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both_backends!(nginx_lets_live_sessions_through_and_stops_ended_ones);

const NGINX: &str = "/usr/sbin/nginx";

/// Whether nginx is installed; outside CI its absence is announced once.
fn nginx_installed() -> bool {
    if Path::new(NGINX).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {NGINX} is missing: install Debian's nginx package"
    );
    let _ = writeln!(
        std::io::stderr(),
        "\nNOTE: the nginx forward-auth test did NOT run: {NGINX} is missing (apt-get install nginx).\n"
    );
    false
}

/// The example snippet, as shipped.
fn forward_auth_snippet() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nginx/authql-forward-auth.conf")
}

/// nginx in the foreground, one process, everything in `dir`; killed on drop.
struct Nginx {
    child: Child,
    port: u16,
}

impl Nginx {
    /// Starts nginx on a free port; a port taken between finding it and
    /// nginx binding it is tried again with another.
    fn start(dir: &Path, authql: SocketAddr, app: SocketAddr) -> Nginx {
        for _ in 0..5 {
            if let Some(nginx) = Nginx::try_start(dir, authql, app, free_port()) {
                return nginx;
            }
        }
        let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        panic!("nginx did not start: {log}");
    }

    fn try_start(dir: &Path, authql: SocketAddr, app: SocketAddr, port: u16) -> Option<Nginx> {
        let config = format!(
            "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\n\
             events {{}}\n\
             http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n\
               upstream authql {{ server {authql}; }}\n  upstream app {{ server {app}; }}\n\
               server {{\n    listen 127.0.0.1:{port};\n    include {snippet};\n  }}\n}}\n",
            dir = dir.display(),
            snippet = forward_auth_snippet().display(),
        );
        let config_path = dir.join("nginx.conf");
        std::fs::write(&config_path, config).expect("write nginx.conf");
        let mut child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nginx");
        let began = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if child.try_wait().ok().flatten().is_some() {
                return None;
            }
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            assert!(
                began.elapsed() < Duration::from_secs(10),
                "nginx does not listen: {log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Nginx { child, port })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// The protected app: answers 200 with the identity headers it received.
async fn start_app() -> SocketAddr {
    async fn echo(headers: HeaderMap, uri: axum::http::Uri) -> axum::Json<serde_json::Value> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        axum::Json(serde_json::json!({
            "path": uri.path(),
            "userId": header("x-auth-user-id"),
            "userName": header("x-auth-user-name"),
            "sessionId": header("x-auth-session-id"),
            "aal": header("x-auth-aal"),
        }))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the app");
    let addr = listener.local_addr().expect("address");
    let app = axum::Router::new().fallback(echo);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// One answer through nginx.
struct Through {
    status: u16,
    headers: String,
    body: serde_json::Value,
}

impl Through {
    /// A header's value ("" when absent); names compared without case.
    fn header(&self, name: &str) -> &str {
        self.headers
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
            .map_or("", |(_, value)| value.trim())
    }
}

async fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Through {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to nginx");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Through {
        status: head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0),
        headers: head.to_owned(),
        body: serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    }
}

async fn nginx_lets_live_sessions_through_and_stops_ended_ones(backend: Backend) {
    if !nginx_installed() {
        return;
    }
    let authql = TestServer::start(backend).await;
    let user_id = authql.add_user("nadia", "pw").await;
    let token = access_token(&authql.login("nadia", "pw").await);
    let bearer = format!("Bearer {token}");
    let dir = tempfile::tempdir().expect("temp dir");
    let nginx = Nginx::start(dir.path(), authql.listen().await, start_app().await);

    let through = get(nginx.port, "/orders/7", &[("Authorization", &bearer)]).await;
    assert_eq!(through.status, 200, "{}", through.headers);
    assert_eq!(through.body["path"], "/orders/7");
    assert_eq!(through.body["userId"], user_id.as_str());
    assert_eq!(through.body["userName"], "nadia");
    assert_eq!(
        through.body["aal"], "1",
        "the session's assurance level reaches the app"
    );

    let forged = get(
        nginx.port,
        "/orders/7",
        &[
            ("Authorization", &bearer),
            ("X-Auth-User-Id", "someone-else"),
        ],
    )
    .await;
    assert_eq!(forged.body["userId"], user_id.as_str(), "authql's id wins");

    for headers in [
        vec![],
        vec![("X-Auth-User-Id", user_id.as_str())],
        vec![("Authorization", "Bearer forged.token.here")],
    ] {
        let refused = get(nginx.port, "/orders/7", &headers).await;
        assert_eq!(refused.status, 401, "{headers:?}");
        assert_eq!(refused.header("WWW-Authenticate"), "Bearer");
        assert_eq!(refused.header("X-Auth-Error"), "UNAUTHENTICATED");
        assert!(refused.body.is_null(), "the app was not reached");
    }
    let internal = get(nginx.port, "/_authql_verify", &[("Authorization", &bearer)]).await;
    assert_eq!(internal.status, 404, "the check is not a route of its own");

    let logout = authql.graphql_as(&token, LOGOUT).await;
    assert_eq!(logout.data("logout"), true);
    let after = get(nginx.port, "/orders/7", &[("Authorization", &bearer)]).await;
    assert_eq!(after.status, 401, "refused at the very next request");
    assert_eq!(after.header("X-Auth-Error"), "SESSION_REVOKED");
    assert!(after.body.is_null());

    // The whole example configuration is valid nginx as shipped. Checking
    // it opens its port 80 and nginx's own log files, which takes root.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("NOTE: not root: examples/nginx/nginx.conf was not checked with nginx -t");
        return;
    }
    let example = forward_auth_snippet().with_file_name("nginx.conf");
    let checked = Command::new(NGINX)
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("check.log"))
        .arg("-c")
        .arg(&example)
        .arg("-g")
        .arg(format!("pid {}/check.pid;", dir.path().display()))
        .output()
        .expect("nginx -t");
    assert!(
        checked.status.success(),
        "nginx -t {}: {}",
        example.display(),
        String::from_utf8_lossy(&checked.stderr)
    );
}
