//! A `POST /graphql` body as a client sends it (one request or a batch),
//! through the real router on an embedded SQLite database: no panic, the
//! status is one the contract allows, and every GraphQL error carries one of
//! the contract's codes.
#![no_main]

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use authql::core::app::App;
use authql::config::Config;
use authql::error::Code;
use authql::secret::Secret;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Target {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
        let secret = "fuzz-secret-fuzz-secret-fuzz-secret-01";
        let vars = [
            ("DATABASE_URL", url.as_str()),
            ("JWT_SECRET", secret),
            ("PASSWORD_HASH_CONCURRENCY", "1"),
        ];
        let config = Config::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
        .expect("config");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let router = runtime.block_on(async {
            authql::store::migrate::run_pending(&config.database_url)
                .await
                .expect("migrations");
            let secret = Secret::new(secret);
            let keys = authql::core::tokens::access_token::AccessKeys::Shared(secret.clone());
            let app = App::new(config, &secret, &keys).expect("app");
            authql::api::http::router(Arc::new(app)).expect("router")
        });
        Target {
            runtime,
            router,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let target = target();
    let mut request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(data.to_vec()))
        .expect("request");
    let peer: SocketAddr = "203.0.113.9:4000".parse().expect("peer");
    request.extensions_mut().insert(ConnectInfo(peer));
    let (status, body) = target.runtime.block_on(async {
        let response = target
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("answer");
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, body)
    });
    assert!(
        [200, 400, 413].contains(&status),
        "HTTP {status} for {:?}",
        String::from_utf8_lossy(data)
    );
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&body) else {
        assert_ne!(status, 200, "a 200 that is not JSON");
        return;
    };
    let answers = match &answer {
        serde_json::Value::Array(batch) => batch.iter().collect(),
        single => vec![single],
    };
    for answer in answers {
        for error in answer["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
            assert!(
                Code::from_str(code).is_ok(),
                "error without a contract code: {error} for {:?}",
                String::from_utf8_lossy(data)
            );
        }
    }
});
