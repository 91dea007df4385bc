//! The clients a frontend team already uses, from npm (`tests/clients/`),
//! against authql over real sockets: `graphql-http`'s audit of the
//! GraphQL-over-HTTP spec, Apollo Client 4 (a bearer token, one shared
//! refresh on `TOKEN_EXPIRED`, a refresh scheduled from `expiresIn`, an ended
//! session evicted, automatic persisted queries across two replicas), urql
//! with graphql-ws (no reconnection after `SESSION_REVOKED`, a refresh on
//! `TOKEN_EXPIRED`), graphql-request, and relay-compiler on
//! `schema.graphql`. The Apollo, urql and graphql-request scripts use the
//! README's recipes (`tests/clients/recipes/`), and the last test checks
//! that the README shows them as they are.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::post;

use authql_testkit::{Backend, TestServer, both_backends};

both_backends!(
    apollo_client_refreshes_once_evicts_and_persists_queries_across_replicas,
    urql_with_graphql_ws_stops_on_revoked_and_refreshes_on_expired,
    graphql_request_signs_in_and_asks_me,
);

const USER: &str = "frida";
const PASSWORD: &str = "pw-of-frida";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `tests/clients` with its npm packages installed, once per test run; None
/// (announced) outside CI when Node.js is missing.
fn clients_dir() -> Option<&'static Path> {
    static INSTALLED: OnceLock<Option<PathBuf>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            if Command::new("node").arg("--version").output().is_err() {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but node is missing: install Node.js 20 and npm"
                );
                eprintln!("NOTE: the client tests did NOT run: install Node.js 20 and npm");
                return None;
            }
            let dir = repo("tests/clients");
            // The newest package of the folder: an install older than the
            // lock file is brought up to date.
            if !dir.join("node_modules/relay-compiler").is_dir() {
                let installed = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(&dir)
                    .status()
                    .expect("npm runs (Node.js 20 and npm are needed for this test)");
                assert!(installed.success(), "npm ci in {}", dir.display());
            }
            Some(dir)
        })
        .as_deref()
}

/// Runs `node script` in `tests/clients` with `vars`, off the runtime's
/// threads (the servers it talks to run on them); fails the test when it
/// fails, else returns what it printed.
async fn node(dir: &Path, script: &str, vars: &[(&str, String)]) -> String {
    let mut command = Command::new("node");
    command.arg(script).current_dir(dir);
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("node task")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "node {script} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

fn graphql_url(addr: SocketAddr) -> String {
    format!("http://{addr}/graphql")
}

#[derive(serde::Deserialize)]
struct Advance {
    secs: i64,
}

async fn advance_clock(
    State(server): State<Arc<TestServer>>,
    Query(by): Query<Advance>,
) -> &'static str {
    server.advance(chrono::TimeDelta::seconds(by.secs));
    "moved\n"
}

/// A control route for the scripts: `POST /advance?secs=N` moves the clock
/// of `server` (and of its second servers). Returns its base URL.
async fn control(server: Arc<TestServer>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let router = Router::new()
        .route("/advance", post(advance_clock))
        .with_state(server);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// A server with the scripts' user, listening, and its control route.
async fn started(backend: Backend) -> (Arc<TestServer>, SocketAddr, String) {
    let server = Arc::new(TestServer::start(backend).await);
    server.add_user(USER, PASSWORD).await;
    let addr = server.listen().await;
    let control = control(server.clone()).await;
    (server, addr, control)
}

fn user_vars() -> [(&'static str, String); 2] {
    [("USER_NAME", USER.into()), ("PASSWORD", PASSWORD.into())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_http_audit_finds_no_failing_must() {
    let Some(dir) = clients_dir() else { return };
    let server = TestServer::start(Backend::Sqlite).await;
    let addr = server.listen().await;
    let printed = node(dir, "audit.mjs", &[("GRAPHQL_URL", graphql_url(addr))]).await;
    assert!(printed.contains("audit summary: MUST "), "{printed}");
    assert!(printed.contains(", 0 error; SHOULD"), "{printed}");
}

async fn apollo_client_refreshes_once_evicts_and_persists_queries_across_replicas(
    backend: Backend,
) {
    let Some(dir) = clients_dir() else { return };
    let (server, a, control) = started(backend).await;
    // Another replica, with its own store of persisted queries.
    let b = server.second_server().listen().await;
    let short = server
        .second_server_with(|c| c.access_token_ttl = chrono::TimeDelta::seconds(2))
        .listen()
        .await;
    let printed = node(
        dir,
        "apollo.mjs",
        &[
            [
                ("REPLICA_A_URL", graphql_url(a)),
                ("REPLICA_B_URL", graphql_url(b)),
                ("SHORT_TTL_URL", graphql_url(short)),
                ("CONTROL_URL", control),
            ]
            .as_slice(),
            &user_vars(),
        ]
        .concat(),
    )
    .await;
    assert!(printed.contains("all steps passed"), "{printed}");
}

async fn urql_with_graphql_ws_stops_on_revoked_and_refreshes_on_expired(backend: Backend) {
    let Some(dir) = clients_dir() else { return };
    let (_server, addr, control) = started(backend).await;
    let printed = node(
        dir,
        "urql.mjs",
        &[
            [("GRAPHQL_URL", graphql_url(addr)), ("CONTROL_URL", control)].as_slice(),
            &user_vars(),
        ]
        .concat(),
    )
    .await;
    assert!(printed.contains("all steps passed"), "{printed}");
}

async fn graphql_request_signs_in_and_asks_me(backend: Backend) {
    let Some(dir) = clients_dir() else { return };
    let (_server, addr, _control) = started(backend).await;
    let printed = node(
        dir,
        "graphql-request.mjs",
        &[
            [("GRAPHQL_URL", graphql_url(addr))].as_slice(),
            &user_vars(),
        ]
        .concat(),
    )
    .await;
    assert!(printed.contains("all steps passed"), "{printed}");
}

#[test]
fn relay_compiler_compiles_refetchable_fragments_on_user_and_session() {
    let Some(dir) = clients_dir() else { return };
    let relay = dir.join("relay");
    let generated = relay.join("src/__generated__");
    // Artifacts of an earlier run must not pass for this one's.
    if generated.exists() {
        std::fs::remove_dir_all(&generated).expect("remove the old artifacts");
    }
    let output = Command::new(dir.join("node_modules/.bin/relay-compiler"))
        .current_dir(&relay)
        .output()
        .expect("relay-compiler runs");
    assert!(
        output.status.success(),
        "relay-compiler on schema.graphql:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for query in ["AccountUserRefetchQuery", "AccountSessionRefetchQuery"] {
        let artifact = std::fs::read_to_string(generated.join(format!("{query}.graphql.js")))
            .unwrap_or_else(|e| panic!("{query}'s artifact: {e}"));
        assert!(artifact.contains("node(id: $id)"), "{query}: {artifact}");
    }
}

/// The README's "Clients" recipes are the files the scripts import: each
/// file appears whole, as one code block.
#[test]
fn the_readme_recipes_are_the_tested_files() {
    let readme = std::fs::read_to_string(repo("README.md")).expect("README.md");
    let blocks: Vec<String> = readme
        .split("```")
        .skip(1)
        .step_by(2)
        .filter_map(|block| block.split_once('\n').map(|(_lang, body)| body.to_owned()))
        .collect();
    for recipe in ["apollo.mjs", "urql.mjs", "graphql-request.mjs"] {
        let text =
            std::fs::read_to_string(repo("tests/clients/recipes").join(recipe)).expect("a recipe");
        assert!(
            blocks.contains(&text),
            "README.md has no code block equal to tests/clients/recipes/{recipe}: copy the file into it"
        );
    }
}
