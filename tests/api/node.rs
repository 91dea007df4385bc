//! Relay's `Node`: `node(id:)` finds the signed-in user and their open
//! sessions by id, any user or open session for an admin, and null for
//! anything else (another user's, an ended session, an id that is nothing),
//! so an id tells a caller nothing it could not see anyway.

use authql::secret::Secret;
use authql_testkit::{Backend, TestServer, access_token, both_backends, session_id};
use serde_json::{Value, json};

const NODE: &str = "query Node($id: ID!) { node(id: $id) { __typename id \
    ... on User { userName } ... on Session { current deviceInfo } } }";

async fn node(app: &TestServer, token: &str, id: &str) -> Value {
    let answer = app
        .call(NODE)
        .variables(json!({ "id": id }))
        .bearer(token)
        .await;
    answer.data("node").clone()
}

async fn node_answers_what_the_caller_may_see(backend: Backend) {
    let app = TestServer::start(backend).await;
    let nina = app.add_user("nina", "pw-of-nina").await;
    let omar = app.add_user("omar", "pw-of-omar").await;
    let laptop = app.login("nina", "pw-of-nina").await;
    let phone = app.login("nina", "pw-of-nina").await;
    let token = access_token(&laptop);
    let omars = app.login("omar", "pw-of-omar").await;

    let me = node(&app, &token, &nina).await;
    assert_eq!(me["__typename"], "User");
    assert_eq!(
        (me["id"].as_str(), &me["userName"]),
        (Some(nina.as_str()), &json!("nina"))
    );
    let current = node(&app, &token, &session_id(&laptop)).await;
    assert_eq!(current["__typename"], "Session");
    assert_eq!(current["current"], true);
    let other_device = node(&app, &token, &session_id(&phone)).await;
    assert_eq!(
        other_device["id"].as_str(),
        Some(session_id(&phone).as_str())
    );
    assert_eq!(other_device["current"], false);

    // Another user's, ended, or nothing at all: null, the same for each.
    assert_eq!(node(&app, &token, &omar).await, Value::Null);
    assert_eq!(node(&app, &token, &session_id(&omars)).await, Value::Null);
    assert_eq!(node(&app, &token, "no-such-id").await, Value::Null);
    let ended = app
        .call("mutation { logout }")
        .bearer(&access_token(&phone))
        .await;
    assert_eq!(ended.data("logout"), true);
    assert_eq!(node(&app, &token, &session_id(&phone)).await, Value::Null);

    // Without a token: the guard's error, as for `me`.
    let anonymous = app.call(NODE).variables(json!({ "id": nina })).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");

    // An admin sees any user and any open session.
    authql::core::users::add_user(&app.app, "ada", &Secret::from("pw-of-ada"), "admin", None)
        .await
        .expect("an admin");
    let admin = access_token(&app.login("ada", "pw-of-ada").await);
    assert_eq!(node(&app, &admin, &omar).await["userName"], "omar");
    let seen = node(&app, &admin, &session_id(&omars)).await;
    assert_eq!(seen["__typename"], "Session");
    assert_eq!(seen["current"], false);
    assert_eq!(node(&app, &admin, &session_id(&phone)).await, Value::Null);
}

both_backends!(node_answers_what_the_caller_may_see);
