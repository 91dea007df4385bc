//! The per-address login limits: failures counted atomically (at no moment
//! more wrong passwords checked than `LOGIN_IP_MAX_FAILURES`, across
//! replicas), IPv6 counted by its /64, at most two checks in flight per
//! address, and a bounded wait for a hashing thread answered
//! `TOO_MANY_ATTEMPTS` with `retryAfter`.

use authql_testkit::documents::LOGIN;
use authql_testkit::{Answer, Backend, TestServer, both_backends};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::time::Duration;

fn login_body(user: &str, password: &str) -> Value {
    json!({ "query": LOGIN, "variables": { "input": { "userName": user, "password": password } } })
}

async fn login_from(app: &TestServer, user: &str, password: &str, peer: &str) -> Answer {
    app.post_json(login_body(user, password), &[], peer).await
}

/// `TOO_MANY_ATTEMPTS` with `retryAfter` in whole seconds, at least 1.
fn assert_retry_after(answer: &Answer) {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.code(), "TOO_MANY_ATTEMPTS", "{}", answer.body);
    let seconds = answer.body["errors"][0]["extensions"]["retryAfter"].as_u64();
    assert!(seconds.is_some_and(|s| s >= 1), "{}", answer.body);
}

/// How many answers were checked (`INVALID_CREDENTIALS`) and refused
/// (`TOO_MANY_ATTEMPTS` with `retryAfter`); anything else fails the test.
fn tally(answers: &[Answer]) -> (usize, usize) {
    let mut checked = 0;
    let mut refused = 0;
    for answer in answers {
        match answer.code().as_str() {
            "INVALID_CREDENTIALS" => checked += 1,
            "TOO_MANY_ATTEMPTS" => {
                assert_retry_after(answer);
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    (checked, refused)
}

async fn concurrent_guesses_from_one_address_cannot_exceed_its_limit(backend: Backend) {
    let first = TestServer::start_with(backend, |c| {
        c.login_ip_max_failures = 5;
        c.pool.max_size = 16;
    })
    .await;
    let second = first.second_server();
    first.warm_pool(16).await;
    second.warm_pool(16).await;
    let sprayer = "198.51.100.23:4000";
    let names: Vec<String> = (0..30).map(|i| format!("victim{i}")).collect();
    let answers = join_all(names.iter().enumerate().map(|(i, name)| {
        let server = if i % 2 == 0 { &first } else { &second };
        login_from(server, name, "guess", sprayer)
    }))
    .await;
    let (checked, refused) = tally(&answers);
    assert_eq!(
        (checked, refused),
        (5, 25),
        "exactly LOGIN_IP_MAX_FAILURES guesses from one address were checked"
    );
}

async fn an_ipv6_64_shares_one_budget(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.login_ip_max_failures = 3).await;
    app.add_user("lea", "right").await;
    for (name, peer) in [
        ("b1", "[2001:db8:7:1::1]:443"),
        ("b2", "[2001:db8:7:1::2]:443"),
        ("b3", "[2001:db8:7:1:ffff:ffff:ffff:ffff]:443"),
    ] {
        assert_eq!(
            login_from(&app, name, "guess", peer).await.code(),
            "INVALID_CREDENTIALS"
        );
    }
    // A fresh address of the same /64 has no fresh budget.
    assert_retry_after(&login_from(&app, "lea", "right", "[2001:db8:7:1::beef]:443").await);
    // Another /64 has its own.
    let elsewhere = login_from(&app, "lea", "right", "[2001:db8:7:2::1]:443").await;
    assert!(elsewhere.body.get("errors").is_none(), "{}", elsewhere.body);
    // An IPv4-mapped IPv6 peer counts as its IPv4 address.
    for name in ["c1", "c2", "c3"] {
        login_from(&app, name, "guess", "192.0.2.77:1000").await;
    }
    assert_retry_after(&login_from(&app, "lea", "right", "[::ffff:192.0.2.77]:1000").await);
}

async fn a_flood_from_one_address_does_not_hold_up_another(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.password_hash_concurrency = 1;
        c.pool.max_size = 16;
    })
    .await;
    app.add_user("max", "right").await;
    app.warm_pool(16).await;
    let (finished, watch_finished) = tokio::sync::watch::channel(0usize);
    let flood = join_all((0..40).map(|i| {
        let (app, finished) = (&app, &finished);
        async move {
            let answer = login_from(app, &format!("junk{i}"), "junk", "198.51.100.99:1").await;
            // Only checks that ran count: those past the address's waiting
            // bound are refused at once, without a hash.
            if answer.body["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS" {
                finished.send_modify(|count| *count += 1);
            }
            answer
        }
    }));
    let right_login = async {
        // Once a junk check has finished, the rest of the flood is waiting
        // (or was refused at once, past the address's waiting bound).
        let mut watch = watch_finished.clone();
        let sent_after = *watch.wait_for(|count| *count >= 1).await.expect("flood");
        let answer = login_from(&app, "max", "right", "192.0.2.55:2").await;
        let answered_after = *watch_finished.borrow();
        (answer, answered_after - sent_after)
    };
    let (flood, (right, junk_answered_meanwhile)) = tokio::join!(flood, right_login);
    assert_eq!(right.status, 200);
    assert!(right.body.get("errors").is_none(), "{}", right.body);
    // The right login waited for the checks under way (one hashing, one
    // queued from the flooding address), not for the whole flood.
    assert!(
        junk_answered_meanwhile <= 3,
        "the right login waited for {junk_answered_meanwhile} junk checks"
    );
    let (checked, refused) = tally(&flood);
    assert_eq!(checked + refused, 40);
    // Two run and 32 wait at one address; the rest are refused at once.
    assert!(refused >= 40 - 2 - 32, "refused {refused} of 40");
}

async fn a_check_that_cannot_start_in_time_is_refused_with_retry_after(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.password_hash_concurrency = 1;
        c.password_check_wait = Duration::from_millis(150);
        c.argon2_cost.iterations = 4;
        c.pool.max_size = 16;
    })
    .await;
    app.warm_pool(16).await;
    // Twenty addresses, two checks each: more than one hashing thread gets
    // through in 150 ms; one address's third and later checks wait behind
    // its own two.
    let answers = join_all((0..40).map(|i| {
        let peer = format!("198.51.100.{}:5", i % 20);
        let app = &app;
        async move { login_from(app, &format!("nobody{i}"), "guess", &peer).await }
    }))
    .await;
    let (checked, refused) = tally(&answers);
    assert!(checked >= 1, "some checks ran");
    assert!(
        refused >= 1,
        "checks that found no hashing thread in time were refused"
    );
}

both_backends!(
    concurrent_guesses_from_one_address_cannot_exceed_its_limit,
    an_ipv6_64_shares_one_budget,
    a_flood_from_one_address_does_not_hold_up_another,
    a_check_that_cannot_start_in_time_is_refused_with_retry_after,
);
