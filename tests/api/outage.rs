//! Database outages on MySQL: a TCP proxy between authql and MariaDB is cut
//! (or frozen) and restored. Requests answer SERVICE_UNAVAILABLE within a bounded time
//! and change nothing, `/readyz` turns 503, and service resumes by itself.

use std::time::{Duration, Instant};

use authql::config::Config;
use authql_testkit::documents::{LOGOUT_ALL, ME, MY_SESSIONS};
use authql_testkit::{TestServer, access_token, refresh_token};
use axum::body::Body;
use axum::http::Request;

use crate::proxy::app_behind_proxy;

async fn ready_status(app: &TestServer) -> u16 {
    let request = Request::get("/readyz")
        .body(Body::empty())
        .expect("request");
    app.send(request).await.status.as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_outage_is_survived() {
    let Some((app, proxy)) =
        app_behind_proxy(|c| c.pool.wait_timeout = Duration::from_secs(2)).await
    else {
        return;
    };
    app.add_user("otto", "pw").await;
    let sessions: Vec<_> = futures::future::join_all((0..3).map(|_| app.login("otto", "pw"))).await;
    assert_eq!(ready_status(&app).await, 200);

    let began = Instant::now();
    proxy.cut().await;
    eprintln!("[{:>6} ms] cut", began.elapsed().as_millis());
    let me = app.graphql_as(&access_token(&sessions[0]), ME).await;
    let first_error_at = began.elapsed();
    assert_eq!(me.code(), "SERVICE_UNAVAILABLE");
    assert!(
        first_error_at < Duration::from_secs(5),
        "answered within the pool wait: {first_error_at:?}"
    );
    eprintln!("[{:>6} ms] me -> {}", first_error_at.as_millis(), me.code());
    for (what, answer) in [
        ("login", app.login_answer("otto", "pw", None).await),
        ("refresh", app.refresh(&refresh_token(&sessions[1])).await),
        (
            "logoutAll",
            app.graphql_as(&access_token(&sessions[2]), LOGOUT_ALL)
                .await,
        ),
    ] {
        assert_eq!(answer.code(), "SERVICE_UNAVAILABLE", "{what}");
        eprintln!(
            "[{:>6} ms] {what} -> {}",
            began.elapsed().as_millis(),
            answer.code()
        );
    }
    assert_eq!(ready_status(&app).await, 503);
    eprintln!("[{:>6} ms] /readyz -> 503", began.elapsed().as_millis());
    let verify = crate::forward_auth::verify_as(&app, &access_token(&sessions[0])).await;
    assert_eq!(verify.status.as_u16(), 503, "/auth/verify in the outage");
    assert_eq!(verify.header("x-auth-error"), "SERVICE_UNAVAILABLE");
    eprintln!(
        "[{:>6} ms] /auth/verify -> 503",
        began.elapsed().as_millis()
    );
    let health = app
        .send(
            Request::get("/healthz")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .status;
    assert_eq!(health.as_u16(), 200, "the process stays up");

    let still_down = app.graphql_as(&access_token(&sessions[0]), ME).await;
    assert_eq!(still_down.code(), "SERVICE_UNAVAILABLE");
    eprintln!(
        "[{:>6} ms] me -> {} (still cut)",
        began.elapsed().as_millis(),
        still_down.code()
    );

    proxy.restore().await;
    let restored_at = began.elapsed();
    eprintln!("[{:>6} ms] restored", restored_at.as_millis());
    let recovered_at = loop {
        let me = app.graphql_as(&access_token(&sessions[0]), ME).await;
        if me.body.get("errors").is_none() {
            break began.elapsed();
        }
        assert!(
            began.elapsed() - restored_at < Duration::from_secs(10),
            "no recovery: {}",
            me.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "[{:>6} ms] recovered ({} ms after restore)",
        recovered_at.as_millis(),
        (recovered_at - restored_at).as_millis()
    );
    assert_eq!(ready_status(&app).await, 200);

    for session in &sessions {
        let me = app.graphql_as(&access_token(session), ME).await;
        assert_eq!(
            me.data("me")["userName"],
            "otto",
            "every session opened before the cut works"
        );
    }
    let refreshed = app.refresh(&refresh_token(&sessions[1])).await;
    assert!(
        refreshed.body.get("errors").is_none(),
        "the refresh tried in the outage changed nothing"
    );
    let listed = app
        .graphql_as(&access_token(&sessions[2]), MY_SESSIONS)
        .await;
    assert_eq!(
        listed.data("mySessions").as_array().map(Vec::len),
        Some(3),
        "no session lost or added"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_that_stops_answering_is_bounded() {
    let timeouts = |c: &mut Config| {
        c.pool.wait_timeout = Duration::from_secs(1);
        c.pool.query_timeout = Duration::from_secs(1);
    };
    let Some((app, proxy)) = app_behind_proxy(timeouts).await else {
        return;
    };
    app.add_user("hana", "pw").await;
    let session = app.login("hana", "pw").await;
    app.warm_pool(3).await;

    proxy.freeze();
    let began = Instant::now();
    let me = app.graphql_as(&access_token(&session), ME).await;
    let answered_after = began.elapsed();
    assert_eq!(me.code(), "SERVICE_UNAVAILABLE");
    assert!(
        answered_after < Duration::from_secs(4),
        "bounded by the query timeout: {answered_after:?}"
    );
    eprintln!(
        "frozen: me -> {} after {} ms",
        me.code(),
        answered_after.as_millis()
    );
    let login = app.login_answer("hana", "pw", None).await;
    assert_eq!(login.code(), "SERVICE_UNAVAILABLE");
    assert_eq!(ready_status(&app).await, 503);

    proxy.restore().await;
    let restored_at = Instant::now();
    loop {
        let me = app.graphql_as(&access_token(&session), ME).await;
        if me.body.get("errors").is_none() {
            break;
        }
        assert!(
            restored_at.elapsed() < Duration::from_secs(15),
            "no recovery: {}",
            me.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "thawed: recovered {} ms after restore",
        restored_at.elapsed().as_millis()
    );
    let listed = app.graphql_as(&access_token(&session), MY_SESSIONS).await;
    assert_eq!(
        listed.data("mySessions").as_array().map(Vec::len),
        Some(1),
        "the failed login added nothing"
    );
}
