//! `logout`, `logoutSession`, `logoutAll`, the audit trail of why sessions
//! ended, and how often `lastActiveAt` is written.

use serde_json::json;

use authql::core::clock::Clock;
use authql::vocabulary::EndReason;
use authql_testkit::documents::{LOGOUT, LOGOUT_ALL, LOGOUT_SESSION};
use authql_testkit::{
    Answer, Backend, TestServer, access_token, both_backends, join_answers, refresh_token,
    session_id,
};

use crate::operations::scrape_metrics;

async fn logout_session(app: &TestServer, token: &str, id: &str) -> Answer {
    app.graphql_with(
        LOGOUT_SESSION,
        json!({ "id": id }),
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

async fn logout_ends_only_the_callers_session(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("jon", "pw").await;
    let a = app.login("jon", "pw").await;
    let b = app.login("jon", "pw").await;
    assert_eq!(
        app.graphql_as(&access_token(&a), LOGOUT)
            .await
            .data("logout"),
        true
    );
    assert!(!app.is_live(&access_token(&a)).await);
    assert!(app.is_live(&access_token(&b)).await);
    assert_eq!(
        app.stored_session(&session_id(&a))
            .await
            .end_reason
            .map(authql::vocabulary::EndReason::as_str),
        Some("logout")
    );
    assert_eq!(
        app.graphql_as(&access_token(&a), LOGOUT).await.code(),
        "SESSION_REVOKED"
    );
}

async fn logout_session_only_ends_the_callers_open_sessions(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("kai", "pw").await;
    app.add_user("liv", "pw").await;
    let mine = app.login("kai", "pw").await;
    let my_other = app.login("kai", "pw").await;
    let theirs = app.login("liv", "pw").await;
    let token = access_token(&mine);

    for id in [
        session_id(&theirs),
        "garbage".into(),
        String::new(),
        "x".repeat(300),
        "AAAAAAAAAAAAAAAAAAAAAA".into(),
    ] {
        assert_eq!(
            logout_session(&app, &token, &id).await.code(),
            "NOT_FOUND",
            "{id}"
        );
    }
    assert!(
        app.is_live(&access_token(&theirs)).await,
        "another user's session is untouched"
    );

    assert_eq!(
        logout_session(&app, &token, &session_id(&my_other))
            .await
            .data("logoutSession"),
        true
    );
    assert!(!app.is_live(&access_token(&my_other)).await);
    let stored = app.stored_session(&session_id(&my_other)).await;
    assert_eq!(
        stored.end_reason.map(authql::vocabulary::EndReason::as_str),
        Some("ended_by_other_session")
    );
    assert_eq!(
        logout_session(&app, &token, &session_id(&my_other))
            .await
            .code(),
        "NOT_FOUND",
        "an ended session is not found"
    );

    assert_eq!(
        logout_session(&app, &token, &session_id(&mine))
            .await
            .data("logoutSession"),
        true
    );
    assert!(
        !app.is_live(&token).await,
        "the current session can end itself"
    );
}

async fn logout_all_counts_with_and_without_except_current(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("max", "pw").await;
    app.add_user("ned", "pw").await;
    let bystander = app.login("ned", "pw").await;
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(app.login("max", "pw").await);
    }
    let caller = access_token(&logins[0]);
    let except = app
        .graphql_as(&caller, "mutation { logoutAll(exceptCurrent: true) }")
        .await;
    assert_eq!(except.data("logoutAll"), 2);
    assert!(app.is_live(&caller).await);
    assert!(!app.is_live(&access_token(&logins[1])).await);
    assert!(!app.is_live(&access_token(&logins[2])).await);

    let newer = app.login("max", "pw").await;
    let all = app.graphql_as(&caller, LOGOUT_ALL).await;
    assert_eq!(all.data("logoutAll"), 2, "the caller and the newer session");
    assert!(!app.is_live(&caller).await);
    assert!(!app.is_live(&access_token(&newer)).await);
    assert!(
        app.is_live(&access_token(&bystander)).await,
        "other users keep their sessions"
    );
    assert_eq!(
        app.stored_session(&session_id(&newer))
            .await
            .end_reason
            .map(authql::vocabulary::EndReason::as_str),
        Some("logout_all")
    );
}

async fn last_active_is_written_at_most_once_a_minute(backend: Backend) {
    use authql::store::schema::user_login_sessions as sessions;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;

    let app = TestServer::start(backend).await;
    app.add_user("ola", "pw").await;
    let login = app.login("ola", "pw").await;
    let id = session_id(&login);
    let set_last_active = |seconds_ago: i64| {
        let id = id.clone();
        let pool = app.app.pool.clone();
        let clock = app.clock.clone();
        async move {
            let at = clock.now() - chrono::TimeDelta::seconds(seconds_ago);
            let mut conn = pool.get().await.expect("connection");
            authql::with_conn!(&mut conn, |c| {
                diesel::update(sessions::table.filter(sessions::id.eq(&id)))
                    .set(sessions::last_active_at.eq(at))
                    .execute(c)
                    .await
            })
            .expect("update");
            at
        }
    };

    let recent = set_last_active(30).await;
    assert!(app.is_live(&access_token(&login)).await);
    // The write runs off the request path: time for one to land, were it sent.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        app.stored_session(&id).await.last_active_at,
        recent,
        "no write within a minute"
    );

    let stale = set_last_active(120).await;
    let before = app.clock.now();
    assert!(app.is_live(&access_token(&login)).await);
    let written = written_last_active(&app, &id, stale).await;
    assert!(
        written > stale && written >= before,
        "a stale lastActiveAt moves to now"
    );
}

/// The session's `lastActiveAt` once it is written past `than` (the write
/// is off the request path): fails the test after 10 s.
async fn written_last_active(
    app: &TestServer,
    session_id: &str,
    than: chrono::NaiveDateTime,
) -> chrono::NaiveDateTime {
    let began = std::time::Instant::now();
    loop {
        let last_active = app.stored_session(session_id).await.last_active_at;
        if last_active > than {
            return last_active;
        }
        assert!(
            began.elapsed() < std::time::Duration::from_secs(10),
            "lastActiveAt was not written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Requests that find their session's `lastActiveAt` stale do not wait for
/// it to be written, and a burst of them writes it once: with the session's
/// row locked by another writer, a burst of `me` answers at once and holds
/// one pooled connection for the write, not one each; the write lands when
/// the lock goes. (Each request used to write it and wait: the burst waited
/// for the lock, every one of them holding a connection.)
async fn a_burst_on_a_stale_session_waits_for_no_activity_write(backend: Backend) {
    use authql_testkit::documents::ME;
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;
    use std::sync::Arc;
    use std::time::Duration;

    const BURST: usize = 8;
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("uma", "pw").await;
    let login = app.login("uma", "pw").await;
    let (id, token) = (session_id(&login), access_token(&login));
    let opened = app.stored_session(&id).await.last_active_at;
    app.advance(chrono::TimeDelta::minutes(2));

    // Another writer holds the row (on SQLite, the database's write lock).
    let mut holder = app.app.pool.get().await.expect("connection");
    authql::with_conn!(&mut holder, |c| {
        diesel::sql_query("BEGIN").execute(c).await?;
        diesel::sql_query("UPDATE user_login_sessions SET user_agent = user_agent WHERE id = ?")
            .bind::<Text, _>(&id)
            .execute(c)
            .await
    })
    .expect("lock the session row");

    let start = Arc::new(tokio::sync::Barrier::new(BURST));
    let burst: Vec<_> = (0..BURST)
        .map(|_| app.spawn_graphql(start.clone(), ME, json!({}), Some(&token)))
        .collect();
    let answers = tokio::time::timeout(Duration::from_secs(3), join_answers(burst))
        .await
        .expect("the burst waited for the lastActiveAt write");
    for answer in &answers {
        assert_eq!(answer.data("me")["id"], json!(user_id), "{}", answer.body);
    }
    let in_use = scrape_metrics(&app).await[r#"authql_db_pool_connections{state="in_use"}"#];
    assert!(
        in_use <= 2.0,
        "{in_use} connections in use: the lock's holder and one write at most"
    );

    authql::with_conn!(&mut holder, |c| {
        diesel::sql_query("ROLLBACK").execute(c).await
    })
    .expect("unlock");
    drop(holder);
    let written = written_last_active(&app, &id, opened).await;
    assert!(
        written > opened + chrono::TimeDelta::minutes(1),
        "written at the request's now"
    );
}

/// A session whose expiry passed before its user was disabled ended at its
/// expiry: the disable ends the user's open sessions and leaves that one's
/// end (`EXPIRED`, at `expiresAt`) to be recorded as such.
async fn a_disable_leaves_an_expired_sessions_end_as_expiry(backend: Backend) {
    use authql::core::clock::SystemClock;
    use authql::store::schema::user_login_sessions as sessions;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;

    let app = TestServer::start(backend).await;
    app.add_user("pia", "pw").await;
    let expired = app.login("pia", "pw").await;
    let open = app.login("pia", "pw").await;
    // `user disable` goes by the system's clock, which tests cannot move:
    // the session's expiry moves into its past instead.
    let expires_at = SystemClock.now() - chrono::TimeDelta::hours(1);
    let expired_id = session_id(&expired);
    let mut conn = app.app.pool.get().await.expect("connection");
    authql::with_conn!(&mut conn, |c| {
        diesel::update(sessions::table.filter(sessions::id.eq(&expired_id)))
            .set(sessions::expires_at.eq(expires_at))
            .execute(c)
            .await
    })
    .expect("update");
    drop(conn);

    authql::core::users::disable_user(&app.app.pool, "pia")
        .await
        .expect("disable");
    let disabled = app.stored_session(&session_id(&open)).await;
    assert_eq!(
        disabled.end_reason.map(EndReason::as_str),
        Some("user_disabled")
    );
    // A refresh with the expired session's token records its end.
    assert_eq!(
        app.refresh(&refresh_token(&expired)).await.code(),
        "INVALID_REFRESH_TOKEN"
    );
    let stored = app.stored_session(&expired_id).await;
    assert_eq!(
        stored.end_reason.map(EndReason::as_str),
        Some("expired"),
        "the disable re-stamped a session that had already expired"
    );
    assert_eq!(stored.ended_at, Some(expires_at));
}

both_backends!(
    logout_ends_only_the_callers_session,
    logout_session_only_ends_the_callers_open_sessions,
    logout_all_counts_with_and_without_except_current,
    last_active_is_written_at_most_once_a_minute,
    a_burst_on_a_stale_session_waits_for_no_activity_write,
    a_disable_leaves_an_expired_sessions_end_as_expiry,
);
