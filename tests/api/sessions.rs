//! `mySessions`: only open sessions, the most recently active first.

use authql_testkit::documents::{LOGOUT_SESSION, MY_SESSIONS};
use authql_testkit::{Backend, TestServer, access_token, both_backends, session_id};
use serde_json::{Value, json};

async fn my_sessions_lists_open_sessions_newest_activity_first(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("judy", "pw").await;
    let first = app.login("judy", "pw").await;
    let second = app.login("judy", "pw").await;
    let third = app.login("judy", "pw").await;
    let answer = app.graphql_as(&access_token(&second), MY_SESSIONS).await;
    let listed: Vec<String> = answer
        .data("mySessions")
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed,
        vec![session_id(&third), session_id(&second), session_id(&first)]
    );

    let end = app
        .graphql_with(
            LOGOUT_SESSION,
            json!({ "id": session_id(&third) }),
            &[("authorization", &format!("Bearer {}", access_token(&first)))],
        )
        .await;
    assert_eq!(end.data("logoutSession"), true);
    let answer = app.graphql_as(&access_token(&first), MY_SESSIONS).await;
    let sessions = answer.data("mySessions").as_array().unwrap();
    let ids: Vec<&str> = sessions.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![session_id(&second).as_str(), session_id(&first).as_str()]
    );
    assert_eq!(sessions[1]["current"], true);
    assert_eq!(sessions[0]["current"], false);
}

async fn sessions_of_other_users_are_never_listed(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("kim", "pw").await;
    app.add_user("lee", "pw").await;
    let kim = app.login("kim", "pw").await;
    app.login("lee", "pw").await;
    app.login("lee", "pw").await;
    let answer = app.graphql_as(&access_token(&kim), MY_SESSIONS).await;
    let sessions = answer.data("mySessions").as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], Value::String(session_id(&kim)));
}

both_backends!(
    my_sessions_lists_open_sessions_newest_activity_first,
    sessions_of_other_users_are_never_listed,
);
