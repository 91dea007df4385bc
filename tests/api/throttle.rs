//! The login throttle: per user name (aliases and case included), per client
//! address, cleared by success, shared by replicas.

use authql_testkit::documents::LOGIN;
use authql_testkit::{Answer, Backend, TestServer, both_backends};
use serde_json::{Value, json};

fn login_body(user: &str, password: &str) -> Value {
    json!({ "query": LOGIN, "variables": { "input": { "userName": user, "password": password } } })
}

async fn login_from(app: &TestServer, user: &str, password: &str, peer: &str) -> Answer {
    app.post_json(login_body(user, password), &[], peer).await
}

fn retry_after(answer: &Answer) -> u64 {
    assert_eq!(answer.code(), "TOO_MANY_ATTEMPTS", "{}", answer.body);
    answer.body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter in whole seconds")
}

async fn five_failures_lock_the_name_even_for_the_right_password(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("tom", "right").await;
    for _ in 0..5 {
        assert_eq!(
            app.login_answer("tom", "wrong", None).await.code(),
            "INVALID_CREDENTIALS"
        );
    }
    let locked = app.login_answer("TOM", "right", None).await;
    let seconds = retry_after(&locked);
    assert!((1..=900).contains(&seconds), "{seconds}");
    assert_eq!(
        app.login_answer("nobody-else", "x", None).await.code(),
        "INVALID_CREDENTIALS"
    );
}

async fn aliased_logins_are_refused_and_count_nothing(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("uma", "right").await;
    let fields: Vec<String> = (0..10)
        .map(|i| {
            format!(
                "a{i}: login(input: {{userName: \"uma\", password: \"wrong\"}}) {{ accessToken }}"
            )
        })
        .collect();
    let answer = app
        .graphql(&format!("mutation {{ {} }}", fields.join(" ")), json!({}))
        .await;
    // More than one password check in a request is refused whole.
    assert_eq!(
        answer.code(),
        "GRAPHQL_VALIDATION_FAILED",
        "{}",
        answer.body
    );
    for _ in 0..4 {
        assert_eq!(
            app.login_answer("uma", "wrong", None).await.code(),
            "INVALID_CREDENTIALS"
        );
    }
    app.login("uma", "right").await;
}

async fn success_clears_the_count(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("vic", "right").await;
    for _ in 0..2 {
        for _ in 0..4 {
            assert_eq!(
                app.login_answer("vic", "wrong", None).await.code(),
                "INVALID_CREDENTIALS"
            );
        }
        app.login("vic", "right").await;
    }
}

async fn the_lock_lifts_when_the_window_passes(backend: Backend) {
    // A window long enough that five checks on a busy machine fit in it;
    // the clock is moved past it rather than waited for.
    let app = TestServer::start_with(backend, |c| {
        c.login_lockout = chrono::TimeDelta::seconds(60)
    })
    .await;
    app.add_user("wes", "right").await;
    let first_failure = std::time::Instant::now();
    for _ in 0..5 {
        app.login_answer("wes", "wrong", None).await;
    }
    let waited = retry_after(&app.login_answer("wes", "right", None).await);
    let at_least = 60 - first_failure.elapsed().as_secs().min(59) - 1;
    assert!(
        (at_least..=60).contains(&waited),
        "retryAfter is what is left of the window: {waited} s, not in {at_least}..=60"
    );
    app.advance(chrono::TimeDelta::seconds(61));
    app.login("wes", "right").await;
}

async fn one_address_cannot_spray_many_accounts(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.login_ip_max_failures = 3).await;
    app.add_user("xia", "right").await;
    let sprayer = "198.51.100.66:1234";
    for name in ["a1", "a2", "a3"] {
        assert_eq!(
            login_from(&app, name, "guess", sprayer).await.code(),
            "INVALID_CREDENTIALS"
        );
    }
    let refused = login_from(&app, "xia", "right", sprayer).await;
    assert!(retry_after(&refused) >= 1);
    let elsewhere = login_from(&app, "xia", "right", "192.0.2.10:1234").await;
    assert!(
        elsewhere.body.get("errors").is_none(),
        "other addresses are not affected: {}",
        elsewhere.body
    );
}

async fn replicas_share_the_throttle(backend: Backend) {
    let first = TestServer::start(backend).await;
    let second = first.second_server();
    first.add_user("yan", "right").await;
    for attempt in 0..5 {
        let server = if attempt % 2 == 0 { &first } else { &second };
        assert_eq!(
            server.login_answer("yan", "wrong", None).await.code(),
            "INVALID_CREDENTIALS"
        );
    }
    assert_eq!(
        second.login_answer("yan", "right", None).await.code(),
        "TOO_MANY_ATTEMPTS"
    );
    assert_eq!(
        first.login_answer("yan", "right", None).await.code(),
        "TOO_MANY_ATTEMPTS"
    );
}

/// Sends `count` logins for `user` with `password` at the same moment,
/// alternating between two replicas on one database.
async fn logins_at_once(
    first: &TestServer,
    second: &TestServer,
    user: &str,
    password: &str,
    count: usize,
) -> Vec<Answer> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(count));
    let handles = (0..count)
        .map(|i| {
            let server = if i % 2 == 0 { first } else { second };
            let input = json!({ "input": { "userName": user, "password": password } });
            server.spawn_graphql(start.clone(), LOGIN, input, None)
        })
        .collect();
    authql_testkit::join_answers(handles).await
}

async fn concurrent_guesses_cannot_exceed_the_limit(backend: Backend) {
    let first = TestServer::start_with(backend, |c| c.pool.max_size = 16).await;
    let second = first.second_server();
    first.add_user("zed", "right").await;
    first.warm_pool(16).await;
    second.warm_pool(16).await;
    let answers = logins_at_once(&first, &second, "zed", "wrong", 12).await;
    let codes: Vec<String> = answers.iter().map(Answer::code).collect();
    let checked = codes.iter().filter(|c| *c == "INVALID_CREDENTIALS").count();
    let refused = codes.iter().filter(|c| *c == "TOO_MANY_ATTEMPTS").count();
    assert_eq!(
        (checked, refused),
        (5, 7),
        "exactly LOGIN_MAX_FAILURES passwords were checked, the rest refused: {codes:?}"
    );
    assert_eq!(
        first.login_answer("zed", "right", None).await.code(),
        "TOO_MANY_ATTEMPTS"
    );
}

async fn concurrent_right_logins_all_succeed(backend: Backend) {
    let first = TestServer::start_with(backend, |c| c.pool.max_size = 16).await;
    let second = first.second_server();
    first.add_user("amy", "right").await;
    first.warm_pool(16).await;
    second.warm_pool(16).await;
    for _round in 0..2 {
        let answers = logins_at_once(&first, &second, "amy", "right", 12).await;
        for answer in answers {
            assert!(
                answer.body.get("errors").is_none(),
                "every right password gets in: {}",
                answer.body
            );
        }
    }
}

async fn right_passwords_beside_guesses_wait_for_them(backend: Backend) {
    let first = TestServer::start_with(backend, |c| c.pool.max_size = 16).await;
    let second = first.second_server();
    first.add_user("bea", "right").await;
    first.warm_pool(16).await;
    for _ in 0..3 {
        assert_eq!(
            first.login_answer("bea", "wrong", None).await.code(),
            "INVALID_CREDENTIALS"
        );
    }
    // Two slots are left; eight right passwords arrive at once. They take
    // turns instead of being refused, and each success clears the count.
    let answers = logins_at_once(&first, &second, "bea", "right", 8).await;
    for answer in answers {
        assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    }
}

both_backends!(
    concurrent_right_logins_all_succeed,
    right_passwords_beside_guesses_wait_for_them,
    five_failures_lock_the_name_even_for_the_right_password,
    aliased_logins_are_refused_and_count_nothing,
    success_clears_the_count,
    the_lock_lifts_when_the_window_passes,
    one_address_cannot_spray_many_accounts,
    replicas_share_the_throttle,
    concurrent_guesses_cannot_exceed_the_limit,
);
