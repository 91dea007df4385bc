//! changePassword and PASSWORD_MIN_LENGTH: the current password checked like
//! a login (throttle included), the other sessions ended at once on every
//! replica, bounds on the new password, and one transaction for the hash and
//! the ended sessions, a compare-and-set on the caller's session and on the
//! hash it verified (races with a logout, another change, a login's rehash).

use std::sync::Arc;
use std::time::Duration;

use authql_testkit::documents::{CHANGE_PASSWORD, LOGIN};
use authql_testkit::{Answer, Backend, TestServer, access_token, session_id};
use serde_json::{Value, json};
use tokio::sync::{Barrier, oneshot};
use tokio::task::JoinHandle;

use crate::proxy::{FaultyProxy, app_behind_proxy};

async fn change(app: &TestServer, payload: &Value, input: Value) -> Answer {
    let header = format!("Bearer {}", access_token(payload));
    app.graphql_with(
        CHANGE_PASSWORD,
        json!({ "input": input }),
        &[("authorization", &header)],
    )
    .await
}

async fn other_sessions_end_everywhere_at_once(backend: Backend) {
    let app = TestServer::start(backend).await;
    let replica = app.second_server();
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
    let app = TestServer::start(backend).await;
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
    let app = TestServer::start(backend).await;
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
            CHANGE_PASSWORD,
            json!({ "input": { "currentPassword": "a", "newPassword": "b" } }),
        )
        .await;
    assert_eq!(unauthenticated.code(), "UNAUTHENTICATED");
}

async fn new_passwords_are_bounded_but_old_ones_still_log_in(backend: Backend) {
    // Made where the minimum was 1; served where it is 8 (the default).
    let lenient = TestServer::start(backend).await;
    lenient.add_user("fay", "short").await;
    let app = lenient.second_server_with(|c| c.password_min_length = 8);
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
    async fn app(backend: Backend) -> Option<(TestServer, HalfWay)> {
        match backend {
            Backend::Mysql => {
                let (app, proxy) = app_behind_proxy(|_| {}).await?;
                Some((app, HalfWay::Cut(proxy)))
            }
            Backend::Sqlite => Some((TestServer::start(backend).await, HalfWay::Refuse)),
        }
    }

    async fn arm(&self, app: &TestServer) {
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

    async fn disarm(&self, app: &TestServer) {
        if let HalfWay::Refuse = self {
            sqlite(app, "DROP TRIGGER refuse_session_updates").await;
        }
    }
}

async fn sqlite(app: &TestServer, statement: &str) {
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

/// One hashing thread of a server kept busy until released: what a queue
/// of junk logins does, for as long as the test chooses.
struct HeldHashThread {
    release: std::sync::mpsc::Sender<()>,
    started: Option<oneshot::Receiver<()>>,
    task: JoinHandle<()>,
}

impl HeldHashThread {
    /// Asks for a hashing thread; the hold joins the queue at once.
    fn queue(app: &TestServer) -> HeldHashThread {
        let (release, released) = std::sync::mpsc::channel();
        let (tell_started, started) = oneshot::channel();
        let passwords = app.app.clone();
        let task = tokio::spawn(async move {
            let started = move || {
                let _ = tell_started.send(());
            };
            passwords
                .passwords
                .occupy_thread(started, released)
                .await
                .expect("hold a hashing thread");
        });
        HeldHashThread {
            release,
            started: Some(started),
            task,
        }
    }

    /// Waits until the hold has the thread.
    async fn started(&mut self) {
        if let Some(started) = self.started.take() {
            started.await.expect("the hold started");
        }
    }

    /// Gives the thread back to the queue.
    async fn release(self) {
        drop(self.release);
        self.task.await.expect("the hold ended");
    }
}

/// Waits until exactly `count` hashes (holds included) wait for a thread of
/// `app`, not counting the one running: the requests sent so far have read
/// what they verify against and stand in line.
async fn wait_for_hash_queue(app: &TestServer, count: usize) {
    let began = std::time::Instant::now();
    while app.app.passwords.waiting() != count {
        assert!(
            began.elapsed() < std::time::Duration::from_secs(30),
            "the hash queue never held {count} (it holds {})",
            app.app.passwords.waiting()
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

/// A GraphQL operation sent at once on a task of its own.
fn spawn(
    app: &TestServer,
    query: &str,
    variables: Value,
    bearer: Option<&str>,
) -> JoinHandle<Answer> {
    app.spawn_graphql(Arc::new(Barrier::new(1)), query, variables, bearer)
}

/// The race: an attacker holding a session and the password sends
/// changePassword; while it waits for its hash, the owner signs every other
/// session out. The change must then change nothing.
/// The new password's hash waits for a thread no longer than a check does:
/// a queue anyone can lengthen never holds a change to the HTTP timeout.
async fn a_new_hash_that_cannot_start_in_time_is_too_many_attempts(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.password_hash_concurrency = 1;
        c.password_check_wait = Duration::from_millis(2000);
    })
    .await;
    app.add_user("nia", "old-password").await;
    let mine = access_token(&app.login("nia", "old-password").await);

    let mut first_hold = HeldHashThread::queue(&app);
    first_hold.started().await;
    let input = json!({ "input": {
        "currentPassword": "old-password",
        "newPassword": "new-password",
    }});
    let change = spawn(&app, CHANGE_PASSWORD, input, Some(&mine));
    wait_for_hash_queue(&app, 1).await;
    let mut second_hold = HeldHashThread::queue(&app);
    wait_for_hash_queue(&app, 2).await;
    // The change verifies; its new hash then waits behind the second hold.
    first_hold.release().await;
    second_hold.started().await;
    let change = tokio::time::timeout(std::time::Duration::from_secs(10), change).await;
    second_hold.release().await;
    let change = change
        .expect("answered while the thread was still held")
        .expect("change task");
    assert_eq!(change.code(), "TOO_MANY_ATTEMPTS", "{}", change.body);
    assert!(change.body["errors"][0]["extensions"]["retryAfter"].as_u64() >= Some(1));
    app.login("nia", "old-password").await;
    assert!(app.is_live(&mine).await);
}

async fn a_change_whose_session_ended_while_it_waited_changes_nothing(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.password_hash_concurrency = 1).await;
    app.add_user("hana", "owner-password").await;
    let owner = access_token(&app.login("hana", "owner-password").await);
    let attacker = access_token(&app.login("hana", "owner-password").await);

    let mut hold = HeldHashThread::queue(&app);
    hold.started().await;
    let input = json!({ "input": {
        "currentPassword": "owner-password",
        "newPassword": "attacker-password",
    }});
    let change = spawn(&app, CHANGE_PASSWORD, input, Some(&attacker));
    // The change passed its bearer check and waits for a hash.
    wait_for_hash_queue(&app, 1).await;
    let signed_out = app
        .graphql_as(&owner, "mutation { logoutAll(exceptCurrent: true) }")
        .await;
    assert_eq!(
        signed_out.data("logoutAll"),
        1,
        "the attacker's session ended"
    );
    assert!(!app.is_live(&attacker).await);
    hold.release().await;

    let change = change.await.expect("change task");
    assert_eq!(change.code(), "SESSION_REVOKED", "{}", change.body);
    assert!(
        app.is_live(&owner).await,
        "the owner's session is still open"
    );
    assert_eq!(
        app.login_answer("hana", "attacker-password", None)
            .await
            .code(),
        "INVALID_CREDENTIALS",
        "the attacker's password was not stored"
    );
    app.login("hana", "owner-password").await;
}

/// Two sessions of one user change the password from the same current one
/// at once (both verified the old hash before either committed): one wins,
/// the other is told its current password is no longer the current one.
async fn of_two_changes_from_one_password_at_most_one_wins(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.password_hash_concurrency = 1).await;
    app.add_user("ivo", "old-password").await;
    let first = access_token(&app.login("ivo", "old-password").await);
    let second = access_token(&app.login("ivo", "old-password").await);

    let mut hold = HeldHashThread::queue(&app);
    hold.started().await;
    let input = |new_password: &str| {
        json!({ "input": {
            "currentPassword": "old-password",
            "newPassword": new_password,
            "endOtherSessions": false,
        }})
    };
    let change_a = spawn(&app, CHANGE_PASSWORD, input("new-password-a"), Some(&first));
    wait_for_hash_queue(&app, 1).await;
    let change_b = spawn(
        &app,
        CHANGE_PASSWORD,
        input("new-password-b"),
        Some(&second),
    );
    // Both read the old hash and wait to verify it: each verification runs
    // before either change's new hash, so both pass it.
    wait_for_hash_queue(&app, 2).await;
    hold.release().await;

    let answers = [
        ("new-password-a", change_a.await.expect("change task")),
        ("new-password-b", change_b.await.expect("change task")),
    ];
    let (won, lost): (Vec<_>, Vec<_>) = answers
        .iter()
        .partition(|(_, answer)| answer.body.get("errors").is_none());
    assert_eq!(
        won.len(),
        1,
        "exactly one change succeeds: {} / {}",
        answers[0].1.body,
        answers[1].1.body
    );
    let (winner, _) = won[0];
    let (loser, lost) = lost[0];
    assert_eq!(lost.code(), "INVALID_CREDENTIALS", "{}", lost.body);
    assert!(app.is_live(&first).await && app.is_live(&second).await);
    app.login("ivo", winner).await;
    for refused in [loser, "old-password"] {
        assert_eq!(
            app.login_answer("ivo", refused, None).await.code(),
            "INVALID_CREDENTIALS",
            "{refused} no longer logs in"
        );
    }
}

/// A login with the old password verifies the old, weaker hash just before a
/// change commits; its rehash comes after. The new password must stay.
async fn a_login_rehash_never_restores_the_old_password(backend: Backend) {
    let old = TestServer::start(backend).await;
    old.add_user("jo", "old-password").await;
    // Opened where the cost is the user's own: no rehash.
    let mine = access_token(&old.login("jo", "old-password").await);
    let app = old.second_server_with(|c| {
        c.argon2_cost.iterations = 3;
        c.password_hash_concurrency = 1;
    });

    let mut first_hold = HeldHashThread::queue(&app);
    first_hold.started().await;
    let input = json!({ "input": {
        "currentPassword": "old-password",
        "newPassword": "new-password",
    }});
    let change = spawn(&app, CHANGE_PASSWORD, input, Some(&mine));
    wait_for_hash_queue(&app, 1).await;
    let mut second_hold = HeldHashThread::queue(&app);
    wait_for_hash_queue(&app, 2).await;
    // The change verifies the old hash; its new hash waits behind the hold.
    first_hold.release().await;
    second_hold.started().await;
    wait_for_hash_queue(&app, 1).await;
    // The login reads the old hash and waits to verify it.
    let login_input = json!({ "input": { "userName": "jo", "password": "old-password" } });
    let login = spawn(&app, LOGIN, login_input, None);
    wait_for_hash_queue(&app, 2).await;
    let mut third_hold = HeldHashThread::queue(&app);
    wait_for_hash_queue(&app, 3).await;
    // The change hashes and commits; the login verifies the old hash (right
    // password, weaker cost) and its rehash waits behind the third hold.
    second_hold.release().await;
    let change = change.await.expect("change task");
    assert_eq!(change.data("changePassword"), 0, "{}", change.body);
    third_hold.started().await;
    third_hold.release().await;
    login.await.expect("login task");

    app.login("jo", "new-password").await;
    assert_eq!(
        app.login_answer("jo", "old-password", None).await.code(),
        "INVALID_CREDENTIALS",
        "the login's rehash did not write the old password back"
    );
}

/// Two right logins that both verify a weaker hash both upgrade it; the
/// one whose upgrade loses the race still opens its session ("logins with
/// the right password that arrive at the same moment all succeed").
async fn two_right_logins_that_both_rehash_both_succeed(backend: Backend) {
    let old = TestServer::start(backend).await;
    old.add_user("ola", "the-password").await;
    let app = rehashing_server(&old).await;

    let mut hold = HeldHashThread::queue(&app);
    hold.started().await;
    let input = json!({ "input": { "userName": "ola", "password": "the-password" } });
    let first = spawn(&app, LOGIN, input.clone(), None);
    wait_for_hash_queue(&app, 1).await;
    let second = spawn(&app, LOGIN, input, None);
    wait_for_hash_queue(&app, 2).await;
    // One thread, first come first served: both verify the weaker hash,
    // then the first one's upgrade wins and the second one's finds the
    // hash changed.
    hold.release().await;
    for login in [first, second] {
        let answer = login.await.expect("login task");
        assert!(
            answer.body.get("errors").is_none(),
            "a right password is never refused: {}",
            answer.body
        );
    }
    app.login("ola", "the-password").await;
}

/// A second server on `old`'s database whose cost is stronger than the
/// hashes `old` made, with one hashing thread: its logins re-hash, which
/// holds them in the hash queue between their verify and their session.
async fn rehashing_server(old: &TestServer) -> TestServer {
    old.second_server_with(|c| {
        c.argon2_cost.iterations = 3;
        c.password_hash_concurrency = 1;
    })
}

/// A login that verified the old password before a change committed, and
/// opens its session after: it must not open one that outlives the change.
async fn a_login_that_verified_the_old_password_opens_no_session_after_a_change(backend: Backend) {
    let old = TestServer::start(backend).await;
    let user_id = old.add_user("kim", "old-password").await;
    let mine = access_token(&old.login("kim", "old-password").await);
    let app = rehashing_server(&old).await;

    let mut first_hold = HeldHashThread::queue(&app);
    first_hold.started().await;
    let input = json!({ "input": {
        "currentPassword": "old-password",
        "newPassword": "new-password",
    }});
    let change = spawn(&app, CHANGE_PASSWORD, input, Some(&mine));
    wait_for_hash_queue(&app, 1).await;
    let mut second_hold = HeldHashThread::queue(&app);
    wait_for_hash_queue(&app, 2).await;
    // The login reads the old hash and waits to verify it.
    let login_input = json!({ "input": { "userName": "kim", "password": "old-password" } });
    let login = spawn(&app, LOGIN, login_input, None);
    wait_for_hash_queue(&app, 3).await;
    // The change verifies the current password; its new hash joins the
    // queue behind the login's verify.
    first_hold.release().await;
    second_hold.started().await;
    wait_for_hash_queue(&app, 2).await;
    let mut third_hold = HeldHashThread::queue(&app);
    wait_for_hash_queue(&app, 3).await;
    // The login verifies the old password (right, at a weaker cost) before
    // the change's new hash starts; the change then hashes and commits
    // while the login's rehash, and so its session, waits behind the third
    // hold.
    second_hold.release().await;
    third_hold.started().await;
    let change = change.await.expect("change task");
    assert_eq!(
        change.data("changePassword"),
        0,
        "no other session was open yet: {}",
        change.body
    );
    wait_for_hash_queue(&app, 1).await;
    third_hold.release().await;
    let login = login.await.expect("login task");

    if login.body.get("errors").is_none() {
        let token = access_token(login.data("login"));
        assert!(
            !app.is_live(&token).await,
            "a session opened with the old password outlived the change"
        );
    }
    assert_eq!(login.code(), "INVALID_CREDENTIALS", "{}", login.body);
    assert_eq!(
        app.open_session_count(&user_id).await,
        1,
        "only the changer's session is open"
    );
    assert!(app.is_live(&mine).await);
    assert_eq!(
        app.login_answer("kim", "old-password", None).await.code(),
        "INVALID_CREDENTIALS"
    );
    app.login("kim", "new-password").await;
}

/// A login that verified the password before the user was disabled, and
/// opens its session after: no session, and none comes back when the user
/// is enabled again.
async fn a_login_racing_a_disable_opens_no_session(backend: Backend) {
    let old = TestServer::start(backend).await;
    let user_id = old.add_user("lou", "the-password").await;
    let app = rehashing_server(&old).await;

    let mut first_hold = HeldHashThread::queue(&app);
    first_hold.started().await;
    let login_input = json!({ "input": { "userName": "lou", "password": "the-password" } });
    let login = spawn(&app, LOGIN, login_input, None);
    wait_for_hash_queue(&app, 1).await;
    let mut second_hold = HeldHashThread::queue(&app);
    wait_for_hash_queue(&app, 2).await;
    // The login verifies the password; its rehash waits behind the second
    // hold while the operator disables the user.
    first_hold.release().await;
    second_hold.started().await;
    wait_for_hash_queue(&app, 1).await;
    authql::core::users::disable_user(&app.app.pool, "lou")
        .await
        .expect("disable");
    second_hold.release().await;
    let login = login.await.expect("login task");

    authql::core::users::enable_user(&app.app.pool, "lou")
        .await
        .expect("enable");
    if login.body.get("errors").is_none() {
        let token = access_token(login.data("login"));
        assert!(
            !app.is_live(&token).await,
            "a session opened while the user was disabled is live once enabled"
        );
    }
    assert_eq!(login.code(), "ACCOUNT_DISABLED", "{}", login.body);
    assert_eq!(app.open_session_count(&user_id).await, 0);
}

authql_testkit::both_backends!(
    a_login_that_verified_the_old_password_opens_no_session_after_a_change,
    a_login_racing_a_disable_opens_no_session,
    a_change_whose_session_ended_while_it_waited_changes_nothing,
    of_two_changes_from_one_password_at_most_one_wins,
    a_login_rehash_never_restores_the_old_password,
    two_right_logins_that_both_rehash_both_succeed,
    a_new_hash_that_cannot_start_in_time_is_too_many_attempts,
    other_sessions_end_everywhere_at_once,
    other_sessions_may_be_kept,
    a_wrong_current_password_is_throttled_like_login,
    new_passwords_are_bounded_but_old_ones_still_log_in,
    a_change_that_fails_half_way_changes_nothing,
);
