//! CORS on `/graphql`: a listed origin gets the contract's headers and a 204
//! preflight; an unlisted one gets no `Access-Control-Allow-*` header at all.

use std::time::Duration;

use authql_testkit::{Answer, Backend, TestServer, both_backends};
use serde_json::json;

const APP: &str = "http://localhost:5173";
const LOGIN_CORA: &str =
    "mutation { login(input: {userName: \"cora\", password: \"pw\"}) { accessToken } }";

async fn start(backend: Backend) -> TestServer {
    // Written the way people paste them: mixed case, a default port, a slash.
    let listed = "http://LocalHost:5173/, https://App.example.com:443";
    TestServer::builder()
        .backend(backend)
        .with_var("CORS_ALLOWED_ORIGINS", listed)
        .start()
        .await
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

fn allow_headers(answer: &Answer) -> Vec<String> {
    answer
        .headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-allow-"))
        .collect()
}

fn varies_on_origin(answer: &Answer) -> bool {
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
        .graphql_with(LOGIN_CORA, json!({}), &[("origin", APP)])
        .await;
    assert_eq!(login.status, 200);
    assert!(
        login.body["data"]["login"]["accessToken"].is_string(),
        "{:?}",
        login.body
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
            .graphql_with(LOGIN_CORA, json!({}), &[("origin", origin)])
            .await;
        assert_eq!(allow_headers(&answer), Vec::<String>::new(), "{origin}");
        assert!(varies_on_origin(&answer), "{origin}");
    }
    let plain = app.graphql_with("{ __typename }", json!({}), &[]).await;
    assert_eq!(allow_headers(&plain), Vec::<String>::new());
    assert!(varies_on_origin(&plain));
}

async fn a_timed_out_request_is_readable_by_the_page(backend: Backend) {
    // A login whose hashing outlasts the request timeout: 503, which the
    // page can read (not a CORS failure).
    let app = TestServer::start_with(backend, |c| {
        c.browsers.allowed_origins = vec![APP.parse().expect("an origin")];
        c.http.request_timeout = Duration::from_secs(1);
        c.argon2_cost.iterations = 200;
    })
    .await;
    let answer = app
        .graphql_with(
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
    let app = TestServer::start(backend).await;
    let preflight = app
        .request("OPTIONS", "/graphql", &preflight_headers(APP))
        .await;
    assert_eq!(allow_headers(&preflight), Vec::<String>::new());
}

/// `CORS_ALLOWED_HEADERS` lets a listed origin's page send tracing and
/// client headers; the preflight names them, and an unlisted header is not
/// named (the browser then refuses to send the request).
async fn listed_request_headers_pass_the_preflight(backend: Backend) {
    let app = TestServer::builder()
        .backend(backend)
        .with_var("CORS_ALLOWED_ORIGINS", APP)
        .with_var("CORS_ALLOWED_HEADERS", "traceparent, Sentry-Trace, baggage")
        .start()
        .await;
    let asking = |headers: &'static str| {
        vec![
            ("origin", APP),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", headers),
        ]
    };
    let preflight = app
        .request(
            "OPTIONS",
            "/graphql",
            &asking("content-type,authorization,traceparent,sentry-trace"),
        )
        .await;
    assert_eq!(preflight.status, 204);
    let allowed: Vec<String> = preflight
        .header("access-control-allow-headers")
        .split(',')
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    for name in [
        "content-type",
        "authorization",
        "traceparent",
        "sentry-trace",
        "baggage",
    ] {
        assert!(allowed.iter().any(|a| a == name), "{name} in {allowed:?}");
    }
    assert!(
        !allowed.iter().any(|a| a == "x-unlisted"),
        "only what is listed: {allowed:?}"
    );
    // Without the variable, only the two the contract names.
    let plain = start(backend).await;
    let preflight = plain
        .request("OPTIONS", "/graphql", &asking("traceparent"))
        .await;
    let allowed = preflight
        .header("access-control-allow-headers")
        .to_ascii_lowercase();
    assert!(!allowed.contains("traceparent"), "{allowed}");
}

both_backends!(
    listed_request_headers_pass_the_preflight,
    listed_origin_preflight_is_204_with_the_contract_headers,
    listed_origin_answers_carry_the_cors_headers,
    unlisted_origins_get_no_allow_headers,
    a_timed_out_request_is_readable_by_the_page,
    nothing_is_listed_by_default,
);
