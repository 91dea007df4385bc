//! The browser test: Debian's Chromium, driven by `playwright-core`
//! (`tests/browser/run.mjs`), uses the example app (`examples/web`, built
//! here) from its own origin against a real authql socket, sends a
//! `traceparent` header that `CORS_ALLOWED_HEADERS` allows (and an unlisted
//! one that it does not), attacks it from an unlisted origin and from
//! another site, opens GraphiQL with every request to another host
//! blocked, and goes through the accounts' pages
//! with the mails a real SMTP server (maildev) received, through
//! two-factor authentication with codes computed by otplib, through
//! passkeys with Chromium's virtual authenticator, and through a sign-in
//! from a second browser that the owner reports from its new-device alert,
//! and through the admin pages, where an admin ends a user's session and
//! disables the user while the user's browsers are signed in.
//! Screenshots go to `target/browser/`.
//!
//! This side serves what the browser needs: authql itself (open sign-up,
//! mail to maildev, links to the app's origin; a second server on the same
//! database with `GRAPHIQL_ASSETS_DIR`), the built app with a `config.json`
//! naming authql (on the host the page was loaded from: `localhost` for the
//! passkeys step, since a relying-party id cannot be an IP address) and its
//! pages' paths, the attackers' empty pages, and
//! control routes: one moves authql's clock (an access token expires
//! without waiting for it), one tells its time (TOTP codes are computed
//! for it), one lists the mails received, one invites an address as
//! `authql user invite` does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderName;
use axum::routing::{get, post};
use tower_http::services::{ServeDir, ServeFile};

use authql::api::browser::origin::Origin;
use authql::config::SignupMode;
use authql::secret::Secret;
use authql_testkit::{Backend, MailServer, TestServer, both_backends};

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
            // Each marker is the newest package of its folder, so that an
            // install older than the lock file is brought up to date.
            npm_ci(&repo("tests/browser"), "node_modules/jsqr");
            npm_ci(&repo("examples/graphiql-assets"), "node_modules/graphiql");
            let web = repo("examples/web");
            npm_ci(&web, "node_modules/qrcode");
            run(&web, "npm", &["run", "build"]);
            Some(())
        })
        .as_ref()
}

/// The app's paths besides `/` (mails link to the first four): each is
/// the app's `index.html`, which shows the page the path names.
const APP_PAGES: [&str; 8] = [
    "/verify-email",
    "/reset-password",
    "/accept-invite",
    "/report-sign-in",
    "/forgot-password",
    "/sign-up",
    "/security",
    "/admin",
];

/// Serves the built app, with `config.json` pointing at authql, and the
/// control routes.
#[derive(Clone)]
struct Site {
    /// authql's port: the app asks for it on its own page's host.
    api_port: u16,
    authql: Arc<TestServer>,
    mail: Arc<MailServer>,
}

/// authql's URL on the host the page was loaded from (`127.0.0.1` or
/// `localhost`), so that the app and authql are one site either way and the
/// refresh cookie is first-party.
async fn app_config(
    State(site): State<Site>,
    headers: axum::http::HeaderMap,
) -> axum::Json<serde_json::Value> {
    let page_host = headers
        .get(axum::http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| host.rsplit_once(':'))
        .map(|(name, _port)| name)
        .filter(|name| *name == "localhost")
        .unwrap_or("127.0.0.1");
    let url = format!("http://{page_host}:{}/graphql", site.api_port);
    axum::Json(serde_json::json!({ "graphqlUrl": url }))
}

#[derive(serde::Deserialize)]
struct Advance {
    secs: i64,
}

async fn advance_clock(State(site): State<Site>, Query(by): Query<Advance>) -> &'static str {
    site.authql.advance(chrono::TimeDelta::seconds(by.secs));
    "moved\n"
}

/// authql's "now" in unix seconds: its clock is moved by the test, and a
/// TOTP code is for a time step of that clock.
async fn server_now(State(site): State<Site>) -> String {
    format!("{}\n", site.authql.now_unix())
}

/// Every mail the SMTP server received, oldest first, as `{to, subject, text}`.
async fn received_mails(State(site): State<Site>) -> axum::Json<serde_json::Value> {
    let mails = site.mail.mails().await;
    axum::Json(serde_json::json!(
        mails
            .iter()
            .map(|m| serde_json::json!({ "to": m.to, "subject": m.subject, "text": m.text }))
            .collect::<Vec<_>>()
    ))
}

#[derive(serde::Deserialize)]
struct Invite {
    email: String,
}

/// Mails an invitation to `email`, as `authql user invite EMAIL` does.
async fn invite(State(site): State<Site>, Query(to): Query<Invite>) -> String {
    match authql::core::users::invite(&site.authql.app, &to.email, "user").await {
        Ok(true) => "invited\n".into(),
        Ok(false) => "not invited: too many invitations to this address for now\n".into(),
        Err(e) => format!("not invited: {e}\n"),
    }
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
    // authql's ports are bound first: the passkeys' origins name them.
    let (api_listener, api) = bind().await;
    let (local_listener, local_api) = bind().await;
    let app_origin = format!("http://{app_addr}");
    let allowed: Origin = app_origin.parse().expect("an origin");
    // The passkeys step opens the app, and GraphiQL, on `localhost`: the
    // relying-party id, which an IP address cannot be.
    let passkey_app = format!("http://localhost:{}", app_addr.port());
    let passkey_origins: Vec<Origin> = [app_addr.port(), api.port(), local_api.port()]
        .iter()
        .map(|port| {
            format!("http://localhost:{port}")
                .parse()
                .expect("an origin")
        })
        .collect();
    let app_on_localhost = passkey_origins[0].clone();
    let mail = Arc::new(MailServer::start().await);
    let links_to = app_origin.clone();
    let authql = Arc::new(
        TestServer::builder()
            .backend(backend)
            .with_mail(&mail)
            .with_config(move |c| {
                c.browsers.allowed_origins = vec![allowed.clone(), app_on_localhost.clone()];
                // The page sends OpenTelemetry's header with a call.
                c.browsers.allowed_headers = vec![HeaderName::from_static("traceparent")];
                c.passkeys.rp_id = "localhost".into();
                c.passkeys.origins = passkey_origins.clone();
                c.access_token_ttl = chrono::TimeDelta::seconds(60);
                c.accounts.signup_mode = SignupMode::Open;
                // After the mail settings: links lead to the app served here.
                c.accounts.public_app_url = Some(links_to.clone());
            })
            .start()
            .await,
    );
    authql.add_user("june", "pw-of-june").await;
    // The factors step turns TOTP on for this one.
    authql.add_user("otto", "pw-of-otto").await;
    // The passkeys step adds one to this one.
    authql.add_user("pia", "pw-of-pia").await;
    // The devices step: an address (verified, as `authql user add --email`
    // makes it) for the new-device alert to go to.
    authql::core::users::add_user(
        &authql.app,
        "rita",
        &Secret::from("pw-of-rita"),
        "user",
        Some("rita@example.com"),
    )
    .await
    .expect("add rita");
    // The admin step: the admin (the only one: the last-admin rule), and
    // the user the admin acts on, with a verified address for the reset
    // mail.
    authql::core::users::add_user(
        &authql.app,
        "ada",
        &Secret::from("pw-of-ada"),
        "admin",
        None,
    )
    .await
    .expect("add ada");
    authql::core::users::add_user(
        &authql.app,
        "uma",
        &Secret::from("pw-of-uma"),
        "user",
        Some("uma@example.com"),
    )
    .await
    .expect("add uma");
    authql.listen_on(api_listener);
    let assets = repo("examples/graphiql-assets/node_modules");
    let local_dir = assets.clone();
    let local = authql.second_server_with(move |c| {
        c.browsers.graphiql_assets_dir = Some(local_dir.clone());
    });
    local.listen_on(local_listener);

    let site = Site {
        api_port: api.port(),
        authql: authql.clone(),
        mail: mail.clone(),
    };
    let dist = repo("examples/web/dist");
    let mut app = Router::new()
        .route("/config.json", get(app_config))
        .route("/__test/advance", post(advance_clock))
        .route("/__test/now", get(server_now))
        .route("/__test/mails", get(received_mails))
        .route("/__test/invite", post(invite));
    for page in APP_PAGES {
        app = app.route_service(page, ServeFile::new(dist.join("index.html")));
    }
    let app = app.with_state(site).fallback_service(ServeDir::new(dist));
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
        .env("PASSWORD", "pw-of-june")
        .env("FACTORS_USER_NAME", "otto")
        .env("FACTORS_PASSWORD", "pw-of-otto")
        .env("PASSKEY_APP_URL", &passkey_app)
        .env(
            "PASSKEY_API_URL",
            format!("http://localhost:{}", api.port()),
        )
        .env(
            "PASSKEY_LOCAL_API_URL",
            format!("http://localhost:{}", local_api.port()),
        )
        .env("PASSKEY_USER_NAME", "pia")
        .env("PASSKEY_PASSWORD", "pw-of-pia")
        .env("DEVICES_USER_NAME", "rita")
        .env("DEVICES_PASSWORD", "pw-of-rita")
        .env("DEVICES_EMAIL", "rita@example.com")
        .env("ADMIN_USER_NAME", "ada")
        .env("ADMIN_PASSWORD", "pw-of-ada")
        .env("MANAGED_USER_NAME", "uma")
        .env("MANAGED_PASSWORD", "pw-of-uma")
        .env("MANAGED_EMAIL", "uma@example.com");
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

/// Every step on SQLite; the sessions, accounts, factors, passkeys,
/// devices and admin steps on MySQL too.
async fn the_example_app_and_graphiql_in_chromium(backend: Backend) {
    let steps = match backend {
        Backend::Sqlite => "all",
        Backend::Mysql => "sessions accounts factors passkeys devices admin",
    };
    in_chromium(backend, steps).await;
}

both_backends!(the_example_app_and_graphiql_in_chromium);
