//! CORS on `/graphql`: a listed origin gets the contract's headers and a 204
//! preflight; an unlisted one gets no `Access-Control-Allow-*` header at all.

use serde_json::json;

use crate::both_backends;
use crate::harness::{Backend, FullAnswer, TestApp};

const APP: &str = "http://localhost:5173";
const LOGIN_CORA: &str =
    "mutation { login(input: {userName: \"cora\", password: \"pw\"}) { accessToken } }";

async fn start(backend: Backend) -> TestApp {
    // Written the way people paste them: mixed case, a default port, a slash.
    let listed = "http://LocalHost:5173/, https://App.example.com:443";
    TestApp::start_with(backend, &[("CORS_ALLOWED_ORIGINS", listed)]).await
}

fn preflight_headers(origin: &str) -> Vec<(&str, &str)> {
    vec![
        ("origin", origin),
        ("access-control-request-method", "POST"),
        (
            "access-control-request-headers",
            "content-type,authorization",
        ),
    ]
}

fn allow_headers(answer: &FullAnswer) -> Vec<String> {
    answer
        .headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-allow-"))
        .collect()
}

fn varies_on_origin(answer: &FullAnswer) -> bool {
    answer
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("origin"))
}

async fn listed_origin_preflight_is_204_with_the_contract_headers(backend: Backend) {
    let app = start(backend).await;
    for origin in [APP, "https://app.example.com"] {
        let answer = app
            .request("OPTIONS", "/graphql", &preflight_headers(origin))
            .await;
        assert_eq!(answer.status, 204, "{origin}");
        assert_eq!(answer.header("access-control-allow-origin"), origin);
        assert_eq!(answer.header("access-control-allow-credentials"), "true");
        let methods = answer
            .header("access-control-allow-methods")
            .to_ascii_uppercase();
        assert!(
            methods.contains("GET") && methods.contains("POST"),
            "{methods}"
        );
        let headers = answer
            .header("access-control-allow-headers")
            .to_ascii_lowercase();
        assert!(
            headers.contains("content-type") && headers.contains("authorization"),
            "{headers}"
        );
        assert!(varies_on_origin(&answer));
    }
}

async fn listed_origin_answers_carry_the_cors_headers(backend: Backend) {
    let app = start(backend).await;
    app.add_user("cora", "pw").await;
    let login = app
        .graphql_full(LOGIN_CORA, json!({}), &[("origin", APP)])
        .await;
    assert_eq!(login.status, 200);
    assert!(
        login.json()["data"]["login"]["accessToken"].is_string(),
        "{:?}",
        login.json()
    );
    assert_eq!(login.header("access-control-allow-origin"), APP);
    assert_eq!(login.header("access-control-allow-credentials"), "true");
    assert!(varies_on_origin(&login));
}

async fn unlisted_origins_get_no_allow_headers(backend: Backend) {
    let app = start(backend).await;
    app.add_user("cora", "pw").await;
    // Another port, another scheme, another host, and a sandboxed page's.
    for origin in [
        "http://localhost:5174",
        "https://localhost:5173",
        "https://evil.example",
        "null",
    ] {
        let preflight = app
            .request("OPTIONS", "/graphql", &preflight_headers(origin))
            .await;
        assert_eq!(allow_headers(&preflight), Vec::<String>::new(), "{origin}");
        assert!(
            !preflight.status.is_success(),
            "{origin}: {}",
            preflight.status
        );
        let answer = app
            .graphql_full(LOGIN_CORA, json!({}), &[("origin", origin)])
            .await;
        assert_eq!(allow_headers(&answer), Vec::<String>::new(), "{origin}");
        assert!(varies_on_origin(&answer), "{origin}");
    }
    let plain = app.graphql_full("{ __typename }", json!({}), &[]).await;
    assert_eq!(allow_headers(&plain), Vec::<String>::new());
    assert!(varies_on_origin(&plain));
}

async fn a_timed_out_request_is_readable_by_the_page(backend: Backend) {
    // A login whose hashing outlasts the request timeout: 503, which the
    // page can read (not a CORS failure).
    let app = TestApp::start_with(
        backend,
        &[
            ("CORS_ALLOWED_ORIGINS", APP),
            ("HTTP_REQUEST_TIMEOUT_SECS", "1"),
            ("ARGON2_ITERATIONS", "200"),
        ],
    )
    .await;
    let answer = app
        .graphql_full(
            "mutation { login(input: {userName: \"nobody\", password: \"pw\"}) { accessToken } }",
            json!({}),
            &[("origin", APP)],
        )
        .await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("access-control-allow-origin"), APP);
    // Other routes are not for pages: no CORS there.
    let health = app.request("GET", "/healthz", &[("origin", APP)]).await;
    assert_eq!(allow_headers(&health), Vec::<String>::new());
}

async fn nothing_is_listed_by_default(backend: Backend) {
    let app = TestApp::start(backend).await;
    let preflight = app
        .request("OPTIONS", "/graphql", &preflight_headers(APP))
        .await;
    assert_eq!(allow_headers(&preflight), Vec::<String>::new());
}

both_backends!(
    listed_origin_preflight_is_204_with_the_contract_headers,
    listed_origin_answers_carry_the_cors_headers,
    unlisted_origins_get_no_allow_headers,
    a_timed_out_request_is_readable_by_the_page,
    nothing_is_listed_by_default,
);
