//! MAX_SESSIONS_PER_USER: the login that would pass the cap ends the user's
//! least recently active session first (EVICTED), and racing logins on two
//! replicas never leave more than the cap open.

use authql_testkit::documents::{LOGIN, ME, MY_SESSIONS};
use authql_testkit::{Backend, TestServer, access_token, join_answers, refresh_token, session_id};
use serde_json::json;

async fn open_sessions(app: &TestServer, token: &str) -> usize {
    let listed = app.graphql_as(token, MY_SESSIONS).await;
    listed.data("mySessions").as_array().map_or(0, Vec::len)
}

async fn the_least_recently_active_session_is_evicted(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.max_sessions_per_user = 3).await;
    app.add_user("hugo", "pw").await;
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(app.login("hugo", "pw").await);
        app.advance(chrono::TimeDelta::seconds(5));
    }
    // The first is used (a refresh), so the second is now the least recent.
    let refreshed = app.refresh(&refresh_token(&logins[0])).await;
    let first = refreshed.data("refreshToken").clone();
    app.advance(chrono::TimeDelta::seconds(5));

    let fourth = app.login("hugo", "pw").await;
    let second = app.graphql_as(&access_token(&logins[1]), ME).await;
    assert_eq!(
        second.code(),
        "SESSION_REVOKED",
        "the least recently active one ended"
    );
    assert_eq!(
        app.stored_session(&session_id(&logins[1]))
            .await
            .end_reason
            .map(authql::vocabulary::EndReason::as_str),
        Some("evicted")
    );
    for live in [&first, &logins[2], &fourth] {
        assert_eq!(open_sessions(&app, &access_token(live)).await, 3);
    }
}

async fn racing_logins_at_the_cap_leave_exactly_the_cap(backend: Backend) {
    // Eight hashes at once per server, so that the logins reach their
    // transactions together rather than one by one.
    let app = TestServer::start_with(backend, |c| {
        c.max_sessions_per_user = 3;
        c.pool.max_size = 16;
        c.password_hash_concurrency = 8;
    })
    .await;
    let replica = app.second_server();
    let user_id = app.add_user("ivy", "pw").await;
    app.warm_pool(16).await;
    replica.warm_pool(16).await;
    for _ in 0..3 {
        app.login("ivy", "pw").await;
    }
    for _round in 0..4 {
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(8));
        let handles = (0..8)
            .map(|i| {
                let server = if i % 2 == 0 { &app } else { &replica };
                let input = json!({ "input": { "userName": "ivy", "password": "pw" } });
                server.spawn_graphql(start.clone(), LOGIN, input, None)
            })
            .collect();
        for answer in join_answers(handles).await {
            assert!(answer.body.get("errors").is_none(), "{}", answer.body);
        }
        assert_eq!(app.open_session_count(&user_id).await, 3, "exactly the cap");
    }
}

authql_testkit::both_backends!(
    the_least_recently_active_session_is_evicted,
    racing_logins_at_the_cap_leave_exactly_the_cap,
);
