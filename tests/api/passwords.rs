//! changePassword and PASSWORD_MIN_LENGTH: the current password checked like
//! a login (throttle included), the other sessions ended at once on every
//! replica, bounds on the new password, and one transaction for the hash and
//! the ended sessions.

use serde_json::{Value, json};

use crate::harness::{Answer, Backend, TestApp, access_token, session_id};
use crate::proxy::{FaultyProxy, app_behind_proxy};

const CHANGE: &str = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) }";

async fn change(app: &TestApp, payload: &Value, input: Value) -> Answer {
    let header = format!("Bearer {}", access_token(payload));
    app.graphql_with(
        CHANGE,
        json!({ "input": input }),
        &[("authorization", &header)],
    )
    .await
}

async fn other_sessions_end_everywhere_at_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let replica = app.second_server().await;
    app.add_user("cora", "old-password").await;
    let mine = app.login("cora", "old-password").await;
    let others = [
        app.login("cora", "old-password").await,
        app.login("cora", "old-password").await,
    ];

    let input = json!({ "currentPassword": "old-password", "newPassword": "new-password-1" });
    let answer = change(&app, &mine, input).await;
    assert_eq!(answer.data("changePassword"), 2, "two other sessions ended");
    assert!(
        app.is_live(&access_token(&mine)).await,
        "the caller's session stays open"
    );
    for other in &others {
        assert!(
            !replica.is_live(&access_token(other)).await,
            "refused at once on another replica"
        );
        let stored = app.stored_session(&session_id(other)).await;
        assert_eq!(
            stored.end_reason.map(authql::vocabulary::EndReason::as_str),
            Some("password_changed")
        );
    }
    assert_eq!(
        replica
            .login_answer("cora", "old-password", None)
            .await
            .code(),
        "INVALID_CREDENTIALS"
    );
    replica.login("cora", "new-password-1").await;
}

async fn other_sessions_may_be_kept(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.add_user("dina", "old-password").await;
    let mine = app.login("dina", "old-password").await;
    let other = app.login("dina", "old-password").await;
    let input = json!({
        "currentPassword": "old-password",
        "newPassword": "new-password-1",
        "endOtherSessions": false,
    });
    assert_eq!(change(&app, &mine, input).await.data("changePassword"), 0);
    assert!(app.is_live(&access_token(&other)).await);
    app.login("dina", "new-password-1").await;
}

async fn a_wrong_current_password_is_throttled_like_login(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.add_user("egon", "old-password").await;
    let mine = app.login("egon", "old-password").await;
    let wrong = json!({ "currentPassword": "guess", "newPassword": "new-password-1" });
    for _ in 0..5 {
        assert_eq!(
            change(&app, &mine, wrong.clone()).await.code(),
            "INVALID_CREDENTIALS"
        );
    }
    let right = json!({ "currentPassword": "old-password", "newPassword": "new-password-1" });
    assert_eq!(change(&app, &mine, right).await.code(), "TOO_MANY_ATTEMPTS");
    assert_eq!(
        app.login_answer("egon", "old-password", None).await.code(),
        "TOO_MANY_ATTEMPTS",
        "the failures count against the name, as failed logins do"
    );
    let unauthenticated = app
        .graphql(
            CHANGE,
            json!({ "input": { "currentPassword": "a", "newPassword": "b" } }),
        )
        .await;
    assert_eq!(unauthenticated.code(), "UNAUTHENTICATED");
}

async fn new_passwords_are_bounded_but_old_ones_still_log_in(backend: Backend) {
    // Made where the minimum was 1; served where it is 8 (the default).
    let lenient = TestApp::start(backend).await;
    lenient.add_user("fay", "short").await;
    let app = lenient
        .second_server_with(&[("PASSWORD_MIN_LENGTH", "8")])
        .await;
    let mine = app.login("fay", "short").await;
    let other = app.login("fay", "short").await;
    for (new_password, why) in [
        ("seven77".to_owned(), "7 characters"),
        ("é".repeat(7), "7 characters in 14 bytes"),
        ("x".repeat(1025), "over 1024 bytes"),
    ] {
        let input = json!({ "currentPassword": "short", "newPassword": new_password });
        assert_eq!(
            change(&app, &mine, input).await.code(),
            "BAD_USER_INPUT",
            "{why}"
        );
    }
    assert!(
        app.is_live(&access_token(&other)).await,
        "a refused change ends nothing"
    );
    app.login("fay", "short").await;
    let input = json!({ "currentPassword": "short", "newPassword": "é".repeat(8) });
    assert_eq!(change(&app, &mine, input).await.data("changePassword"), 2);
    app.login("fay", &"é".repeat(8)).await;
}

/// A way to make the transaction of a password change fail after its first
/// statement: MySQL's connection is cut by the test proxy as the statement
/// that ends the sessions goes out; SQLite refuses that statement (a trigger).
enum HalfWay {
    Cut(FaultyProxy),
    Refuse,
}

impl HalfWay {
    async fn app(backend: Backend) -> Option<(TestApp, HalfWay)> {
        match backend {
            Backend::Mysql => {
                let (app, proxy) = app_behind_proxy(&[]).await?;
                Some((app, HalfWay::Cut(proxy)))
            }
            Backend::Sqlite => Some((TestApp::start(backend).await, HalfWay::Refuse)),
        }
    }

    async fn arm(&self, app: &TestApp) {
        match self {
            HalfWay::Cut(proxy) => proxy.cut_when_sent(b"UPDATE `user_login_sessions`"),
            HalfWay::Refuse => {
                sqlite(
                    app,
                    "CREATE TRIGGER refuse_session_updates BEFORE UPDATE ON user_login_sessions \
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                )
                .await
            }
        }
    }

    async fn disarm(&self, app: &TestApp) {
        if let HalfWay::Refuse = self {
            sqlite(app, "DROP TRIGGER refuse_session_updates").await;
        }
    }
}

async fn sqlite(app: &TestApp, statement: &str) {
    use diesel_async::RunQueryDsl;
    let mut conn = app.app.pool.get().await.expect("connection");
    authql::with_conn!(&mut conn, |c| diesel::sql_query(statement).execute(c).await)
        .expect("statement");
}

async fn a_change_that_fails_half_way_changes_nothing(backend: Backend) {
    let Some((app, half_way)) = HalfWay::app(backend).await else {
        return;
    };
    app.add_user("gus", "old-password").await;
    let mine = app.login("gus", "old-password").await;
    let other = app.login("gus", "old-password").await;
    half_way.arm(&app).await;
    let input = json!({ "currentPassword": "old-password", "newPassword": "new-password-1" });
    let failed = change(&app, &mine, input).await;
    half_way.disarm(&app).await;
    assert!(
        ["SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR"].contains(&failed.code().as_str()),
        "{}",
        failed.body
    );
    assert!(app.is_live(&access_token(&other)).await, "no session ended");
    assert!(app.is_live(&access_token(&mine)).await);
    assert_eq!(
        app.login_answer("gus", "new-password-1", None).await.code(),
        "INVALID_CREDENTIALS",
        "the new hash was rolled back"
    );
    app.login("gus", "old-password").await;
}

crate::both_backends!(
    other_sessions_end_everywhere_at_once,
    other_sessions_may_be_kept,
    a_wrong_current_password_is_throttled_like_login,
    new_passwords_are_bounded_but_old_ones_still_log_in,
    a_change_that_fails_half_way_changes_nothing,
);
