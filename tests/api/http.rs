//! The HTTP surface: routes, content types, body size, GET rules, error codes
//! for documents that do not parse or validate, limits, introspection.

use authql_testkit::documents::{LOGIN, MY_SESSIONS};
use authql_testkit::{Backend, DEFAULT_PEER, TestServer, access_token, both_backends};
use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The query GraphiQL sends on load (graphql-js `getIntrospectionQuery`).
const GRAPHIQL_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

async fn get(app: &TestServer, uri: &str, accept: &str) -> (u16, String) {
    let request = Request::get(uri)
        .header("accept", accept)
        .body(Body::empty())
        .unwrap();
    let answer = app.send(request).await;
    (answer.status.as_u16(), answer.text())
}

async fn post_raw(app: &TestServer, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let request = Request::post("/graphql")
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let answer = app.send(request).await;
    (answer.status.as_u16(), answer.text())
}

async fn session_count(app: &TestServer, user: &str) -> usize {
    let payload = app.login(user, "pw").await;
    let answer = app.graphql_as(&access_token(&payload), MY_SESSIONS).await;
    answer.data("mySessions").as_array().unwrap().len() - 1
}

async fn health_and_readiness(backend: Backend) {
    let app = TestServer::start(backend).await;
    assert_eq!(get(&app, "/healthz", "*/*").await.0, 200);
    assert_eq!(get(&app, "/readyz", "*/*").await.0, 200);
    let (status, page) = get(&app, "/graphql", "text/html").await;
    assert_eq!(status, 200);
    assert!(page.to_lowercase().contains("graphiql"), "GraphiQL page");
}

async fn get_runs_queries_but_never_mutations(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("rex", "pw").await;
    let (status, body) = get(&app, "/graphql?query=%7B__typename%7D", "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["data"]["__typename"],
        "Query"
    );

    let login = "mutation { login(input: {userName: \"rex\", password: \"pw\"}) { accessToken } }";
    let uri = format!("/graphql?query={}", urlencode(login));
    let (_, body) = get(&app, &uri, "application/json").await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert!(body["data"].is_null());
    assert_eq!(
        session_count(&app, "rex").await,
        0,
        "the GET mutation opened no session"
    );
}

async fn only_json_posts_run(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("sam", "pw").await;
    let login = json!({ "query": LOGIN, "variables": { "input": { "userName": "sam", "password": "pw" } } });
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (status, _) = post_raw(&app, content_type, login.to_string().into_bytes()).await;
        assert_eq!(status, 415, "{content_type}");
    }
    let request = Request::post("/graphql")
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from(login.to_string()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200, "charset parameter is fine");
    assert_eq!(
        response.headers()["cache-control"],
        "no-store",
        "tokens are never cached"
    );
    assert_eq!(
        session_count(&app, "sam").await,
        1,
        "only the JSON post logged in"
    );
}

async fn oversized_bodies_are_refused(backend: Backend) {
    let app = TestServer::start(backend).await;
    let padding = " ".repeat(64 * 1024);
    let body = format!(r#"{{"query":"{{ __typename }}{padding}"}}"#);
    assert_eq!(
        post_raw(&app, "application/json", body.into_bytes())
            .await
            .0,
        413
    );
    let (status, _) = post_raw(
        &app,
        "application/json",
        br#"{"query":"{ __typename }"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 200);
}

async fn documents_that_fail_get_codes(backend: Backend) {
    let app = TestServer::start(backend).await;
    assert_eq!(
        app.graphql("{ me { id ", json!({})).await.code(),
        "GRAPHQL_PARSE_FAILED"
    );
    assert_eq!(
        app.graphql("{ nope }", json!({})).await.code(),
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert_eq!(
        app.graphql("mutation { logoutAll(exceptCurrent: \"yes\") }", json!({}))
            .await
            .code(),
        "GRAPHQL_VALIDATION_FAILED"
    );
    let wrong_variable = app
        .graphql(LOGIN, json!({ "input": { "userName": 5 } }))
        .await;
    assert!(!wrong_variable.codes().is_empty());
    assert!(
        wrong_variable.codes().iter().all(|c| c != "<none>"),
        "{}",
        wrong_variable.body
    );
    let (status, body) = post_raw(&app, "application/json", b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
}

/// A document that passed validation once is served without validating it
/// again only when it comes back with the same operation name and no
/// variables; every other request is held to the rules in full.
async fn a_document_that_passed_is_held_to_the_rules_again(backend: Backend) {
    let app = TestServer::start(backend).await;
    let with_variable = r#"mutation Pick($input: LoginInput = { userName: "nobody", password: "not-this-one" }) {
        login(input: $input) { accessToken }
    }"#;
    // Validation passes; the login itself is refused.
    for _ in 0..2 {
        let answer = app.graphql(with_variable, json!({})).await;
        assert_eq!(answer.code(), "INVALID_CREDENTIALS", "{}", answer.body);
    }
    let wrong = app
        .graphql(with_variable, json!({ "input": { "userName": 5 } }))
        .await;
    assert!(
        !wrong.codes().is_empty()
            && wrong
                .codes()
                .iter()
                .all(|code| code == "BAD_USER_INPUT" || code == "GRAPHQL_VALIDATION_FAILED"),
        "{}",
        wrong.body
    );
    assert_eq!(
        app.graphql(with_variable, json!({})).await.code(),
        "INVALID_CREDENTIALS"
    );
    for _ in 0..3 {
        assert_eq!(
            app.graphql("{ nope }", json!({})).await.code(),
            "GRAPHQL_VALIDATION_FAILED"
        );
    }
    let two = "query A { __typename } query B { me { id } }";
    let named = |name: &'static str| {
        app.post_json(
            json!({ "query": two, "operationName": name }),
            &[],
            DEFAULT_PEER,
        )
    };
    for _ in 0..2 {
        assert_eq!(named("A").await.data("__typename"), "Query");
    }
    for _ in 0..2 {
        assert_eq!(named("B").await.code(), "UNAUTHENTICATED");
        assert_eq!(
            app.graphql(two, json!({})).await.code(),
            "GRAPHQL_VALIDATION_FAILED",
            "two operations and no name"
        );
    }
}

async fn depth_is_bounded_but_graphiql_introspects(backend: Backend) {
    let app = TestServer::start(backend).await;
    let introspection = app.graphql(GRAPHIQL_INTROSPECTION, json!({})).await;
    assert!(
        introspection.data("__schema")["types"]
            .as_array()
            .unwrap()
            .len()
            > 10
    );
    let deep = format!(
        "{{ __schema {{ types {}name{} }} }}",
        "{ ofType ".repeat(20),
        " }".repeat(20)
    );
    assert_eq!(
        app.graphql(&deep, json!({})).await.code(),
        "GRAPHQL_VALIDATION_FAILED"
    );
}

async fn introspection_can_be_turned_off(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.graphql_introspection = false).await;
    for query in [
        "{ __schema { types { name } } }",
        "{ __type(name: \"AuthPayload\") { fields { name } } }",
        // Hidden in a fragment, or behind a field that needs a token.
        "query { ...f } fragment f on Query { __schema { queryType { name } } }",
        "{ me { id } __type(name: \"User\") { name } }",
    ] {
        let answer = app.graphql(query, json!({})).await;
        assert_eq!(
            answer.code(),
            "GRAPHQL_VALIDATION_FAILED",
            "{query}: {}",
            answer.body
        );
        assert!(
            answer.body["data"].is_null(),
            "nothing ran: {}",
            answer.body
        );
        assert!(!answer.body.to_string().contains("AuthPayload\",\"fields"));
    }
    let typename = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(
        typename.data("__typename"),
        "Query",
        "__typename still works"
    );
}

async fn nesting_past_any_limit_is_a_validation_error(backend: Backend) {
    let app = TestServer::start(backend).await;
    for depth in [17, 33, 40, 65, 200, 6_000] {
        let deep = format!(
            "{{ me {} id {} }}",
            "{ user ".repeat(depth),
            "}".repeat(depth)
        );
        let answer = app.graphql(&deep, json!({})).await;
        assert_eq!(answer.code(), "GRAPHQL_VALIDATION_FAILED", "depth {depth}");
    }
    let nested_value = format!(
        "mutation {{ logoutSession(sessionId: {}1{}) }}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert_eq!(
        app.graphql(&nested_value, json!({})).await.code(),
        "GRAPHQL_VALIDATION_FAILED"
    );
    let broken = format!("{{ me {} id", "{ user ".repeat(200));
    assert_eq!(
        app.graphql(&broken, json!({})).await.code(),
        "GRAPHQL_PARSE_FAILED",
        "a document that does not close is still a syntax error"
    );
}

async fn batches_are_capped(backend: Backend) {
    let app = TestServer::start(backend).await;
    let one = json!({ "query": "{ __typename }" });
    let two = app
        .post_json(json!([one, one]), &[], authql_testkit::DEFAULT_PEER)
        .await;
    assert_eq!(two.body.as_array().map(Vec::len), Some(2));
    let many = app
        .post_json(
            Value::Array(vec![one; 11]),
            &[],
            authql_testkit::DEFAULT_PEER,
        )
        .await;
    assert_eq!(many.code(), "GRAPHQL_VALIDATION_FAILED");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both_backends!(
    health_and_readiness,
    get_runs_queries_but_never_mutations,
    only_json_posts_run,
    oversized_bodies_are_refused,
    documents_that_fail_get_codes,
    a_document_that_passed_is_held_to_the_rules_again,
    depth_is_bounded_but_graphiql_introspects,
    introspection_can_be_turned_off,
    nesting_past_any_limit_is_a_validation_error,
    batches_are_capped,
);
