//! Session checks that arrive together share one statement: each caller still
//! gets its own session's answer, and a check that starts after a session
//! ended never sees it live.

use std::sync::Arc;
use std::time::Instant;

use authql_testkit::documents::{LOGOUT, LOGOUT_SESSION, ME};
use authql_testkit::{Backend, TestServer, access_token, both_backends, join_answers, session_id};
use serde_json::json;
use tokio::sync::Barrier;

use crate::operations::scrape_metrics;

/// Users, sessions each, and rounds of every session checking at once.
const USERS: usize = 6;
const SESSIONS_PER_USER: usize = 4;
const ROUNDS: usize = 3;

async fn concurrent_checks_each_get_their_own_session(backend: Backend) {
    let app = TestServer::start(backend).await;
    let mut callers = Vec::new();
    for user in 0..USERS {
        let name = format!("coalesce{user}");
        let user_id = app.add_user(&name, "pw").await;
        for _ in 0..SESSIONS_PER_USER {
            let login = app.login(&name, "pw").await;
            callers.push((user_id.clone(), name.clone(), login));
        }
    }
    // One session of each user has ended: its checks ride in the same
    // batches as live ones and must still be refused.
    let mut ended = std::collections::HashSet::new();
    for (_, _, login) in callers.iter().step_by(SESSIONS_PER_USER) {
        let answer = app.graphql_as(&access_token(login), LOGOUT).await;
        assert_eq!(answer.data("logout"), &json!(true));
        ended.insert(session_id(login));
    }
    let before = scrape_metrics(&app).await["authql_db_statements_total"];
    let checks = callers.len() * ROUNDS;
    let start = Arc::new(Barrier::new(checks));
    let mut handles = Vec::new();
    for _ in 0..ROUNDS {
        for (_, _, login) in &callers {
            let token = access_token(login);
            handles.push(app.spawn_graphql(start.clone(), ME, json!({}), Some(&token)));
        }
    }
    let answers = join_answers(handles).await;
    let statements = scrape_metrics(&app).await["authql_db_statements_total"] - before;
    for (index, answer) in answers.iter().enumerate() {
        let (user_id, name, login) = &callers[index % callers.len()];
        if ended.contains(&session_id(login)) {
            assert_eq!(answer.code(), "SESSION_REVOKED", "{}", answer.body);
        } else {
            assert_eq!(
                answer.data("me"),
                &json!({ "id": user_id, "userName": name }),
                "{}",
                answer.body
            );
        }
    }
    // Checks released at once overlap: a guard that read each session on its
    // own would send one statement per check.
    assert!(
        statements < (checks * 3 / 4) as f64,
        "{checks} concurrent checks sent {statements} statements"
    );
}

/// Checking tasks per round, and rounds.
const CHECKERS: usize = 16;
const REVOCATION_ROUNDS: usize = 5;

async fn a_check_started_after_logout_never_sees_the_session(backend: Backend) {
    let app = Arc::new(TestServer::start(backend).await);
    app.add_user("ender", "pw").await;
    for _ in 0..REVOCATION_ROUNDS {
        let doomed_login = app.login("ender", "pw").await;
        let (doomed, doomed_id) = (access_token(&doomed_login), session_id(&doomed_login));
        let other = access_token(&app.login("ender", "pw").await);
        let ended_at = Arc::new(std::sync::OnceLock::<Instant>::new());
        let mut checkers = Vec::new();
        for _ in 0..CHECKERS {
            let (app, doomed, ended_at) = (app.clone(), doomed.clone(), ended_at.clone());
            checkers.push(tokio::spawn(async move {
                // (checks started after the end, of them answered as live)
                let mut after_end = (0usize, 0usize);
                loop {
                    let started = Instant::now();
                    let answer = app.graphql_as(&doomed, ME).await;
                    let ended = ended_at.get().copied();
                    if ended.is_some_and(|ended| started > ended) {
                        after_end.0 += 1;
                        if answer.code() != "SESSION_REVOKED" {
                            after_end.1 += 1;
                        }
                        if after_end.0 >= 20 {
                            return after_end;
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        // Ended from another session of the user, as a user would on
        // another device; the end is committed when the answer arrives.
        let ended = app
            .graphql_with(
                LOGOUT_SESSION,
                json!({ "id": doomed_id }),
                &[("authorization", &format!("Bearer {other}"))],
            )
            .await;
        assert_eq!(ended.data("logoutSession"), &json!(true), "{}", ended.body);
        ended_at.set(Instant::now()).expect("set once");
        for checker in checkers {
            let (checked, live) = checker.await.expect("checker");
            assert_eq!(checked, 20);
            assert_eq!(live, 0, "checks started after the end saw the session live");
        }
    }
}

both_backends!(
    concurrent_checks_each_get_their_own_session,
    a_check_started_after_logout_never_sees_the_session,
);
