//! A `POST /graphql` body as a client sends it (one request or a batch),
//! through the real router of a test-kit server on an embedded SQLite
//! database: no panic, the status is one the contract allows, and every
//! GraphQL error carries one of the contract's codes.
#![no_main]

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;

use authql::error::Code;
use authql_testkit::TestServer;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;

struct Target {
    runtime: tokio::runtime::Runtime,
    server: TestServer,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime.block_on(
            TestServer::builder()
                .with_config(|c| c.password_hash_concurrency = 1)
                .start(),
        );
        Target { runtime, server }
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
    let answer = target.runtime.block_on(target.server.send(request));
    let status = answer.status.as_u16();
    assert!(
        [200, 400, 413].contains(&status),
        "HTTP {status} for {:?}",
        String::from_utf8_lossy(data)
    );
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&answer.bytes) else {
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
