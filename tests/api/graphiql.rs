//! The GraphiQL page: pinned CDN files with Subresource Integrity and a
//! Content-Security-Policy, or GraphiQL's files served by authql itself from
//! `GRAPHIQL_ASSETS_DIR`, checked at start. (The browser test shows both
//! render, and the console when offline.)

use std::path::{Path, PathBuf};

use authql::api::browser::graphiql_assets::{ASSETS, CDN_ORIGIN};
use authql_testkit::{Answer, Backend, TestDb, TestServer, both_backends};
use base64::Engine;
use sha2::Digest;

fn csp(page: &Answer) -> String {
    page.header("content-security-policy").to_owned()
}

/// One directive of a policy, e.g. `script-src`.
fn directive(policy: &str, name: &str) -> Vec<String> {
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
        .map(|rest| rest.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The line of the page that loads `url`.
fn tag_of<'a>(html: &'a str, url: &str) -> &'a str {
    html.lines()
        .find(|line| line.contains(&format!("\"{url}\"")))
        .unwrap_or_else(|| panic!("{url} in the page"))
}

async fn the_cdn_page_checks_what_it_loads(backend: Backend) {
    let app = TestServer::start(backend).await;
    let page = app
        .request("GET", "/graphql", &[("accept", "text/html")])
        .await;
    assert_eq!(page.status, 200);
    let html = page.text();
    for asset in &ASSETS {
        let tag = tag_of(&html, &asset.cdn_url());
        assert!(
            tag.contains(&format!("integrity=\"{}\"", asset.integrity)),
            "{tag}"
        );
        assert!(tag.contains("crossorigin=\"anonymous\""), "{tag}");
    }
    assert!(!html.contains("<script>"), "no inline script");
    assert!(html.contains("<script src=\"/graphiql/page.js\" defer>"));
    let policy = csp(&page);
    assert_eq!(directive(&policy, "default-src"), ["'none'"]);
    // The pinned files alone, not the whole CDN.
    let pinned_scripts: Vec<String> = std::iter::once("'self'".to_owned())
        .chain(
            ASSETS
                .iter()
                .filter(|a| a.name.ends_with(".js"))
                .map(|a| a.cdn_url()),
        )
        .collect();
    assert_eq!(directive(&policy, "script-src"), pinned_scripts);
    assert!(
        pinned_scripts[1..]
            .iter()
            .all(|url| url.starts_with(CDN_ORIGIN))
    );
    assert_eq!(directive(&policy, "connect-src"), ["'self'"]);
    assert!(
        !policy.contains("unsafe"),
        "no inline script or style: {policy}"
    );
    assert_eq!(directive(&policy, "frame-ancestors"), ["'none'"]);
    assert_eq!(page.header("x-content-type-options"), "nosniff");

    let script = app.request("GET", "/graphiql/page.js", &[]).await;
    assert_eq!(script.status, 200);
    assert!(script.header("content-type").starts_with("text/javascript"));
    assert!(
        script.text().contains("authql-console"),
        "the built-in console"
    );
    // GraphiQL's own files are not served without GRAPHIQL_ASSETS_DIR.
    let missing = app.request("GET", "/graphiql/graphiql.js", &[]).await;
    assert_eq!(missing.status, 404);
}

/// A folder laid out like `node_modules` holding copies of the pinned files
/// from the npm registry; None when those were not installed (outside CI).
fn copied_assets() -> Option<tempfile::TempDir> {
    let npm = npm_graphiql_assets()?;
    let dir = tempfile::tempdir().expect("temp dir");
    for asset in &ASSETS {
        let path = dir.path().join(asset.package_path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
        std::fs::copy(npm.join(asset.package_path), &path).expect("copy");
    }
    Some(dir)
}

async fn an_assets_dir_is_served_by_authql_alone(backend: Backend) {
    let Some(dir) = copied_assets() else {
        return;
    };
    let path = dir.path().to_owned();
    let app = TestServer::start_with(backend, move |c| {
        c.browsers.graphiql_assets_dir = Some(path.clone());
    })
    .await;
    let page = app
        .request("GET", "/graphql", &[("accept", "text/html")])
        .await;
    let html = page.text();
    assert!(!html.contains("https://"), "nothing from elsewhere: {html}");
    for asset in &ASSETS {
        let url = format!("/graphiql/{}", asset.name);
        let tag = tag_of(&html, &url);
        assert!(
            tag.contains(asset.integrity),
            "checked by the browser too: {tag}"
        );
        let file = app.request("GET", &url, &[]).await;
        assert_eq!(file.status, 200, "{}", asset.name);
        assert_eq!(file.header("content-type"), asset.content_type);
        let on_disk = std::fs::read(dir.path().join(asset.package_path)).expect("file");
        assert!(
            file.bytes == on_disk,
            "{} served as it is on disk",
            asset.name
        );
    }
    let policy = csp(&page);
    assert_eq!(directive(&policy, "script-src"), ["'self'"]);
    assert_eq!(directive(&policy, "style-src")[0], "'self'");
    assert!(!policy.contains("https://"), "{policy}");
    // Only the four names are served; nothing else of the folder.
    let other = app.request("GET", "/graphiql/package.json", &[]).await;
    assert_eq!(other.status, 404);
}

both_backends!(
    the_cdn_page_checks_what_it_loads,
    an_assets_dir_is_served_by_authql_alone,
);

/// The error the start stops with for this `GRAPHIQL_ASSETS_DIR`.
fn start_error(dir: &Path) -> String {
    let shown = dir.display().to_string();
    let dir = dir.to_owned();
    let started = TestServer::builder()
        .database(TestDb::sqlite().expect("a database"))
        .with_config(move |c| c.browsers.graphiql_assets_dir = Some(dir.clone()))
        .try_serve();
    match started {
        Ok(_) => panic!("started with {shown}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_missing_or_altered_asset_stops_the_start() {
    let Some(dir) = copied_assets() else {
        return;
    };
    let graphiql = dir.path().join(ASSETS[2].package_path);
    let mut altered = std::fs::read(&graphiql).expect("read");
    altered.extend_from_slice(b"\n/* one more line */\n");
    std::fs::write(&graphiql, altered).expect("write");
    let error = start_error(dir.path());
    assert!(
        error.contains("graphiql.min.js") && error.contains("graphiql@3.9.0"),
        "{error}"
    );
    std::fs::remove_file(&graphiql).expect("remove");
    let error = start_error(dir.path());
    assert!(
        error.contains("GRAPHIQL_ASSETS_DIR") && error.contains("cannot read"),
        "{error}"
    );
}

/// `examples/graphiql-assets/node_modules`, filled by `npm ci` from the npm
/// registry (`.ci/run` does it); None outside CI when it was not.
pub fn npm_graphiql_assets() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/graphiql-assets/node_modules");
    if dir.join(ASSETS[2].package_path).is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {} is empty: run `npm ci` in examples/graphiql-assets",
        dir.display()
    );
    eprintln!(
        "NOTE: the GraphiQL files were NOT checked: run `npm ci` in examples/graphiql-assets"
    );
    None
}

/// The pinned hashes are those of the files the npm registry serves for the
/// pinned versions, which are the files the CDN serves.
#[test]
fn pinned_hashes_are_the_npm_files() {
    let Some(dir) = npm_graphiql_assets() else {
        return;
    };
    for asset in &ASSETS {
        let bytes = std::fs::read(dir.join(asset.package_path)).expect("asset file");
        // Computed here rather than by authql's own function, so a bug
        // there cannot hide here.
        let digest = sha2::Sha384::digest(&bytes);
        let integrity = format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        assert_eq!(integrity, asset.integrity, "{}", asset.package_path);
        let (name, version) = asset.package.rsplit_once('@').expect("package@version");
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join(name).join("package.json")).expect("package.json"),
        )
        .expect("JSON");
        assert_eq!(manifest["version"], version, "{name}");
    }
}
