//! The browser test: Debian's Chromium, driven by `playwright-core`
//! (`tests/browser/run.mjs`), uses the example app (`examples/web`, built
//! here) from its own origin against a real authql socket, attacks it from
//! an unlisted origin and from another site, and opens GraphiQL with every
//! request to another host blocked. Screenshots go to `target/browser/`.
//!
//! This side serves what the browser needs: authql itself (a second server
//! on the same database with `GRAPHIQL_ASSETS_DIR`), the built app with a
//! `config.json` naming authql, the attackers' empty pages, and a control
//! route that moves authql's clock, so an access token expires without
//! waiting for it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};

use authql::api::browser::origin::Origin;
use authql_testkit::{Backend, TestServer, both_backends};

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs a command in `dir`, failing the test when it fails.
fn run(dir: &Path, program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("{program} runs (Node.js 20 and npm are needed): {e}"));
    assert!(status.success(), "{program} {args:?} in {}", dir.display());
}

/// Installs the npm packages of `dir` unless `marker` is there already.
fn npm_ci(dir: &Path, marker: &str) {
    if !dir.join(marker).exists() {
        run(dir, "npm", &["ci", "--no-audit", "--no-fund"]);
    }
}

/// Chromium, the driver, GraphiQL's files and a fresh build of the app, once
/// per test run; None (announced) outside CI when Chromium is missing.
fn prepared() -> Option<&'static ()> {
    static PREPARED: OnceLock<Option<()>> = OnceLock::new();
    PREPARED
        .get_or_init(|| {
            if !Path::new(CHROMIUM).exists() {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but {CHROMIUM} is missing: install Debian's chromium package"
                );
                eprintln!("NOTE: the browser test did NOT run: install Debian's chromium package");
                return None;
            }
            npm_ci(&repo("tests/browser"), "node_modules/playwright-core");
            npm_ci(&repo("examples/graphiql-assets"), "node_modules/graphiql");
            let web = repo("examples/web");
            npm_ci(&web, "node_modules/vite");
            run(&web, "npm", &["run", "build"]);
            Some(())
        })
        .as_ref()
}

/// Serves the built app, with `config.json` pointing at authql, and the
/// route that moves authql's clock.
#[derive(Clone)]
struct Site {
    graphql_url: String,
    authql: Arc<TestServer>,
}

async fn app_config(State(site): State<Site>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "graphqlUrl": site.graphql_url }))
}

#[derive(serde::Deserialize)]
struct Advance {
    secs: i64,
}

async fn advance_clock(State(site): State<Site>, Query(by): Query<Advance>) -> &'static str {
    site.authql.advance(chrono::TimeDelta::seconds(by.secs));
    "moved\n"
}

async fn serve(listener: tokio::net::TcpListener, router: Router) {
    tokio::spawn(async move { axum::serve(listener, router).await });
}

async fn bind() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    (listener, addr)
}

/// Which parts of `run.mjs` to run: all of them, or the sessions step alone.
async fn in_chromium(backend: Backend, steps: &str) {
    if prepared().is_none() {
        return;
    }
    let (app_listener, app_addr) = bind().await;
    let (other_listener, other_addr) = bind().await;
    let app_origin = format!("http://{app_addr}");
    let allowed: Origin = app_origin.parse().expect("an origin");
    let authql = Arc::new(
        TestServer::start_with(backend, move |c| {
            c.browsers.allowed_origins = vec![allowed.clone()];
            c.access_token_ttl = chrono::TimeDelta::seconds(60);
        })
        .await,
    );
    authql.add_user("june", "pw-of-june").await;
    let api = authql.listen().await;
    let assets = repo("examples/graphiql-assets/node_modules");
    let local_dir = assets.clone();
    let local = authql.second_server_with(move |c| {
        c.browsers.graphiql_assets_dir = Some(local_dir.clone());
    });
    let local_api = local.listen().await;

    let site = Site {
        graphql_url: format!("http://{api}/graphql"),
        authql: authql.clone(),
    };
    let app = Router::new()
        .route("/config.json", get(app_config))
        .route("/__test/advance", post(advance_clock))
        .with_state(site)
        .fallback_service(tower_http::services::ServeDir::new(repo(
            "examples/web/dist",
        )));
    serve(app_listener, app).await;
    // The attackers' origin: an empty page is all they need to run script.
    let other = Router::new()
        .fallback(|| async { axum::response::Html("<!doctype html><title>other</title>") });
    serve(other_listener, other).await;

    let screenshots = repo("target/browser");
    std::fs::create_dir_all(&screenshots).expect("target/browser");
    let mut command = Command::new("node");
    command
        .arg("run.mjs")
        .current_dir(repo("tests/browser"))
        .env("CHROMIUM", CHROMIUM)
        .env("STEPS", steps)
        .env("API_URL", format!("http://{api}"))
        .env("LOCAL_API_URL", format!("http://{local_api}"))
        .env("APP_URL", &app_origin)
        // Same site as authql (one host), but an origin it does not list.
        .env("OTHER_ORIGIN_URL", format!("http://{other_addr}"))
        // Another site: Chromium resolves this name to the same server.
        .env(
            "OTHER_SITE_URL",
            format!("http://evil.test:{}", other_addr.port()),
        )
        .env("GRAPHIQL_ASSETS", &assets)
        .env("SCREENSHOTS", &screenshots)
        .env("SCREENSHOT_SUFFIX", format!("{backend:?}").to_lowercase())
        .env("USER_NAME", "june")
        .env("PASSWORD", "pw-of-june");
    // Off the runtime's threads: the servers the browser talks to run on them.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("node task")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "run.mjs failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all steps passed"), "{stdout}");
}

/// Every step on SQLite; the sessions step on MySQL too.
async fn the_example_app_and_graphiql_in_chromium(backend: Backend) {
    let steps = match backend {
        Backend::Sqlite => "all",
        Backend::Mysql => "sessions",
    };
    in_chromium(backend, steps).await;
}

both_backends!(the_example_app_and_graphiql_in_chromium);
