//! `refreshToken`: rotation, the grace window, reuse detection, forgery, races.

use std::collections::BTreeSet;

use std::sync::Arc;

use authql_testkit::documents::{LOGOUT_ALL, ME, MY_SESSIONS, REFRESH};
use authql_testkit::{
    Backend, TestServer, access_token, both_backends, join_answers, refresh_token, session_id,
};
use serde_json::{Value, json};
use tokio::sync::Barrier;

fn time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("time"))
        .expect("RFC 3339")
        .to_utc()
}

async fn rotation_issues_working_tokens_and_moves_expiry(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.refresh_token_ttl = chrono::TimeDelta::seconds(1000)
    })
    .await;
    app.add_user("ann", "pw").await;
    let login = app.login("ann", "pw").await;
    app.advance(chrono::TimeDelta::milliseconds(20));
    let first = app.refresh(&refresh_token(&login)).await;
    let first = first.data("refreshToken").clone();
    assert_eq!(session_id(&first), session_id(&login), "the same session");
    assert_eq!(first["session"]["current"], true);
    assert_ne!(refresh_token(&first), refresh_token(&login));
    assert!(time(&first["session"]["expiresAt"]) > time(&login["session"]["expiresAt"]));
    assert_eq!(
        first["refreshTokenExpiresAt"],
        first["session"]["expiresAt"]
    );
    assert_eq!(first["session"]["lastActiveAt"], {
        let rotated = time(&first["session"]["expiresAt"]) - chrono::TimeDelta::seconds(1000);
        Value::String(rotated.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    });

    for token in [access_token(&first), access_token(&login)] {
        let me = app.graphql_as(&token, ME).await;
        assert_eq!(
            me.data("me")["userName"],
            "ann",
            "old and new access tokens of a live session work"
        );
    }
    let second = app.refresh(&refresh_token(&first)).await;
    let second = second.data("refreshToken");
    let tokens: BTreeSet<String> = [&login, &first, second]
        .iter()
        .map(|p| refresh_token(p))
        .collect();
    assert_eq!(tokens.len(), 3, "every rotation gives a new token");
}

async fn expiry_never_passes_the_maximum_lifetime(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.session_max_lifetime = chrono::TimeDelta::seconds(100)
    })
    .await;
    app.add_user("bea", "pw").await;
    let login = app.login("bea", "pw").await;
    let created = time(&login["session"]["createdAt"]);
    assert_eq!(
        time(&login["session"]["expiresAt"]) - created,
        chrono::TimeDelta::seconds(100)
    );
    let refreshed = app.refresh(&refresh_token(&login)).await;
    let refreshed = refreshed.data("refreshToken");
    assert_eq!(
        time(&refreshed["session"]["expiresAt"]) - created,
        chrono::TimeDelta::seconds(100)
    );
}

async fn reuse_within_grace_gets_the_same_answer(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("cid", "pw").await;
    let login = app.login("cid", "pw").await;
    let first = app
        .refresh(&refresh_token(&login))
        .await
        .data("refreshToken")
        .clone();
    let again = app
        .refresh(&refresh_token(&login))
        .await
        .data("refreshToken")
        .clone();
    assert_eq!(
        refresh_token(&again),
        refresh_token(&first),
        "the same next refresh token"
    );
    assert_eq!(again["session"]["expiresAt"], first["session"]["expiresAt"]);
    let me = app.graphql_as(&access_token(&again), ME).await;
    assert_eq!(me.data("me")["userName"], "cid", "its access token works");
    let next = app.refresh(&refresh_token(&again)).await;
    assert_ne!(
        refresh_token(next.data("refreshToken")),
        refresh_token(&first),
        "the chain goes on"
    );
}

async fn reuse_after_grace_ends_the_session(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.refresh_reuse_grace = chrono::TimeDelta::seconds(1)
    })
    .await;
    app.add_user("dan", "pw").await;
    let login = app.login("dan", "pw").await;
    let other = app.login("dan", "pw").await;
    let first = app
        .refresh(&refresh_token(&login))
        .await
        .data("refreshToken")
        .clone();
    app.advance(chrono::TimeDelta::milliseconds(1500));
    assert_eq!(
        app.refresh(&refresh_token(&login)).await.code(),
        "REFRESH_TOKEN_REUSED"
    );
    for token in [access_token(&login), access_token(&first)] {
        assert_eq!(app.graphql_as(&token, ME).await.code(), "SESSION_REVOKED");
    }
    assert_eq!(
        app.refresh(&refresh_token(&first)).await.code(),
        "INVALID_REFRESH_TOKEN"
    );
    assert_eq!(
        app.refresh(&refresh_token(&login)).await.code(),
        "INVALID_REFRESH_TOKEN"
    );
    let stored = app.stored_session(&session_id(&login)).await;
    assert_eq!(
        stored.end_reason.map(authql::vocabulary::EndReason::as_str),
        Some("refresh_reuse")
    );
    let me = app.graphql_as(&access_token(&other), ME).await;
    assert_eq!(
        me.data("me")["userName"],
        "dan",
        "other sessions are untouched"
    );
}

async fn forged_and_altered_tokens_end_nothing(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("eve", "pw").await;
    app.add_user("fay", "pw").await;
    let login = app.login("eve", "pw").await;
    let victim = app.login("fay", "pw").await;
    let token = refresh_token(&login);
    let (id, rest) = token.split_once('.').unwrap();
    let (generation, mac) = rest.split_once('.').unwrap();
    let flipped_mac = {
        let mut chars: Vec<char> = mac.chars().collect();
        chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let forged = [
        format!("{id}.{generation}.{flipped_mac}"),
        format!("{id}.{}.{mac}", generation.parse::<i64>().unwrap() + 1),
        format!("{}.{generation}.{mac}", session_id(&victim)),
        format!("{id}.{generation}"),
        format!("{token}x"),
        String::new(),
        "garbage".into(),
        "x".repeat(5000),
    ];
    for forged in &forged {
        assert_eq!(
            app.refresh(forged).await.code(),
            "INVALID_REFRESH_TOKEN",
            "{forged}"
        );
    }
    for payload in [&login, &victim] {
        let me = app.graphql_as(&access_token(payload), ME).await;
        assert!(
            me.body.get("errors").is_none(),
            "nothing ended: {}",
            me.body
        );
    }
    let good = app.refresh(&token).await;
    assert_eq!(
        session_id(good.data("refreshToken")),
        session_id(&login),
        "the real token still works"
    );
}

async fn concurrent_refreshes_never_fork_the_session(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.pool.max_size = 16).await;
    app.add_user("gus", "pw").await;
    let login = app.login("gus", "pw").await;
    app.warm_pool(16).await;
    let token = refresh_token(&login);
    let start = Arc::new(Barrier::new(16));
    let handles = (0..16)
        .map(|_| app.spawn_graphql(start.clone(), REFRESH, json!({ "token": token }), None))
        .collect();
    let answers = join_answers(handles).await;
    let next: BTreeSet<String> = answers
        .iter()
        .map(|answer| refresh_token(answer.data("refreshToken")))
        .collect();
    assert_eq!(
        next.len(),
        1,
        "all 16 got one and the same new token: {next:?}"
    );
    let next = next.into_iter().next().unwrap();
    let after = app.refresh(&next).await;
    assert_eq!(
        session_id(after.data("refreshToken")),
        session_id(&login),
        "the next refresh works"
    );
    assert_eq!(
        app.stored_session(&session_id(&login))
            .await
            .refresh_generation,
        2
    );
}

async fn logout_all_racing_refreshes_leaves_nothing_open(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.pool.max_size = 16).await;
    app.add_user("hal", "pw").await;
    app.warm_pool(16).await;
    for _round in 0..3 {
        let mut logins = Vec::new();
        for _ in 0..4 {
            logins.push(app.login("hal", "pw").await);
        }
        let start = Arc::new(Barrier::new(logins.len() + 1));
        let caller = access_token(&logins[0]);
        let logout_all = app.spawn_graphql(start.clone(), LOGOUT_ALL, json!({}), Some(&caller));
        let refreshes = logins
            .iter()
            .map(|l| {
                app.spawn_graphql(
                    start.clone(),
                    REFRESH,
                    json!({ "token": refresh_token(l) }),
                    None,
                )
            })
            .collect();
        let refreshed = join_answers(refreshes).await;
        let ended = logout_all.await.expect("logoutAll task");
        assert!(ended.data("logoutAll").as_i64().unwrap() >= 1);
        for answer in &refreshed {
            if answer.body.get("errors").is_some() {
                assert_eq!(answer.code(), "INVALID_REFRESH_TOKEN");
                continue;
            }
            let payload = answer.data("refreshToken");
            let me = app.graphql_as(&access_token(payload), ME).await;
            assert_eq!(
                me.code(),
                "SESSION_REVOKED",
                "a refresh that won the race was ended too"
            );
            assert_eq!(
                app.refresh(&refresh_token(payload)).await.code(),
                "INVALID_REFRESH_TOKEN"
            );
        }
        for login in &logins {
            let stored = app.stored_session(&session_id(login)).await;
            assert!(stored.ended_at.is_some(), "session {} left open", stored.id);
        }
    }
}

async fn expired_sessions_behave_as_ended(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.refresh_token_ttl = chrono::TimeDelta::seconds(1)
    })
    .await;
    app.add_user("ida", "pw").await;
    let login = app.login("ida", "pw").await;
    app.advance(chrono::TimeDelta::milliseconds(1300));
    assert_eq!(
        app.graphql_as(&access_token(&login), ME).await.code(),
        "SESSION_REVOKED"
    );
    assert_eq!(
        app.refresh(&refresh_token(&login)).await.code(),
        "INVALID_REFRESH_TOKEN"
    );
    let fresh = app.login("ida", "pw").await;
    let listed = app.graphql_as(&access_token(&fresh), MY_SESSIONS).await;
    let ids: Vec<&str> = listed
        .data("mySessions")
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![session_id(&fresh)]);
    let stored = app.stored_session(&session_id(&login)).await;
    assert_eq!(
        stored.end_reason.map(authql::vocabulary::EndReason::as_str),
        Some("expired")
    );
    assert_eq!(stored.ended_at, Some(stored.expires_at));
}

both_backends!(
    rotation_issues_working_tokens_and_moves_expiry,
    expiry_never_passes_the_maximum_lifetime,
    reuse_within_grace_gets_the_same_answer,
    reuse_after_grace_ends_the_session,
    forged_and_altered_tokens_end_nothing,
    concurrent_refreshes_never_fork_the_session,
    logout_all_racing_refreshes_leaves_nothing_open,
    expired_sessions_behave_as_ended,
);
