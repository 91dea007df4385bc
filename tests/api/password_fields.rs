//! At most one password-checking field per request, a batch included:
//! aliases, batches and fragments cannot turn one request into many
//! password checks (or many sessions), and a refused request runs nothing.

use crate::graphql_over_http::hex_sha256;
use authql_testkit::documents::LOGIN;
use authql_testkit::{Answer, Backend, DEFAULT_PEER, TestServer, both_backends};
use serde_json::{Value, json};

/// A `login` field with the given alias, selecting only `__typename` (which
/// costs nothing, so hundreds fit the complexity bound).
fn aliased_login(alias: &str, user: &str, password: &str) -> String {
    format!(
        "{alias}: login(input: {{userName: \"{user}\", password: \"{password}\"}}) {{ __typename }}"
    )
}

/// Nothing ran: the answer is one `GRAPHQL_VALIDATION_FAILED` with no data,
/// the user has no session, and no failure was counted for the name.
async fn assert_refused_whole(app: &TestServer, answer: &Answer, user_id: &str, user: &str) {
    assert!(answer.body.is_object(), "one answer: {}", answer.body);
    assert_eq!(
        answer.code(),
        "GRAPHQL_VALIDATION_FAILED",
        "{}",
        answer.body
    );
    assert!(
        answer.body["data"].is_null(),
        "no field ran: {}",
        answer.body
    );
    assert_eq!(
        app.open_session_count(user_id).await,
        0,
        "no session opened"
    );
    let mut conn = app.app.pool.get().await.expect("connection");
    let counted = authql::store::throttle::window(&mut conn, &format!("name:{user}"))
        .await
        .expect("throttle row");
    assert!(
        counted.is_none_or(|row| row.failure_count == 0),
        "no failure counted: {counted:?}"
    );
}

async fn hundreds_of_aliased_logins_are_refused_whole(backend: Backend) {
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("ivy", "right").await;
    let fields: Vec<String> = (0..256)
        .map(|i| {
            let password = if i % 2 == 0 { "right" } else { "wrong" };
            aliased_login(&format!("a{i}"), "ivy", password)
        })
        .collect();
    let answer = app
        .graphql(&format!("mutation {{ {} }}", fields.join(" ")), json!({}))
        .await;
    assert_refused_whole(&app, &answer, &user_id, "ivy").await;
    // Two are as many as 256.
    let two = format!(
        "mutation {{ {} {} }}",
        aliased_login("a", "ivy", "right"),
        aliased_login("b", "ivy", "wrong")
    );
    let answer = app.graphql(&two, json!({})).await;
    assert_refused_whole(&app, &answer, &user_id, "ivy").await;
    // One is fine.
    app.login("ivy", "right").await;
}

async fn a_batch_of_single_logins_is_refused_whole(backend: Backend) {
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("jo", "right").await;
    let login = |password: &str| json!({ "query": LOGIN, "variables": { "input": { "userName": "jo", "password": password } } });
    let batch: Vec<Value> = (0..10)
        .map(|i| login(if i % 2 == 0 { "right" } else { "wrong" }))
        .collect();
    let answer = app.post_json(Value::Array(batch), &[], DEFAULT_PEER).await;
    assert_refused_whole(&app, &answer, &user_id, "jo").await;
    // One login beside other fields in a batch still runs.
    let answer = app
        .post_json(
            json!([login("right"), { "query": "{ __typename }" }]),
            &[],
            DEFAULT_PEER,
        )
        .await;
    let answers = answer.body.as_array().expect("a batch answer");
    assert!(answers[0].get("errors").is_none(), "{}", answer.body);
    assert_eq!(app.open_session_count(&user_id).await, 1);
}

async fn logins_through_fragments_are_counted(backend: Backend) {
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("kit", "right").await;
    let through_fragment = format!(
        "mutation {{ ...F }} fragment F on Mutation {{ {} {} }}",
        aliased_login("a", "kit", "right"),
        aliased_login("b", "kit", "wrong")
    );
    let through_inline = format!(
        "mutation {{ {} ... on Mutation {{ {} }} }}",
        aliased_login("a", "kit", "right"),
        aliased_login("b", "kit", "wrong")
    );
    let nested = format!(
        "mutation {{ ...F }} fragment F on Mutation {{ ...G {} }} \
         fragment G on Mutation {{ {} }}",
        aliased_login("b", "kit", "wrong"),
        aliased_login("a", "kit", "right")
    );
    for document in [through_fragment, through_inline, nested] {
        let answer = app.graphql(&document, json!({})).await;
        assert_refused_whole(&app, &answer, &user_id, "kit").await;
    }
}

/// A persisted query's hash stands for its document: a batch of hash-only
/// logins is counted as the logins it runs, and refused whole.
async fn a_batch_of_hashed_logins_is_refused_whole(backend: Backend) {
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("kit", "right").await;
    let hash = hex_sha256(LOGIN);
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    // Another name registers the document (its wrong password is counted
    // there, not against kit).
    let registered = app
        .post_json(
            json!({ "query": LOGIN, "extensions": persisted, "variables": { "input": { "userName": "nobody", "password": "x" } } }),
            &[],
            DEFAULT_PEER,
        )
        .await;
    assert_eq!(
        registered.code(),
        "INVALID_CREDENTIALS",
        "{}",
        registered.body
    );
    let hashed = |password: &str| json!({ "extensions": persisted, "variables": { "input": { "userName": "kit", "password": password } } });
    let batch: Vec<Value> = (0..4)
        .map(|i| hashed(if i % 2 == 0 { "right" } else { "wrong" }))
        .collect();
    let answer = app.post_json(Value::Array(batch), &[], DEFAULT_PEER).await;
    assert_refused_whole(&app, &answer, &user_id, "kit").await;
    // One hashed login runs.
    let answer = app.post_json(hashed("right"), &[], DEFAULT_PEER).await;
    assert!(answer.data("login")["accessToken"].is_string());
}

both_backends!(
    a_batch_of_hashed_logins_is_refused_whole,
    hundreds_of_aliased_logins_are_refused_whole,
    a_batch_of_single_logins_is_refused_whole,
    logins_through_fragments_are_counted,
);
