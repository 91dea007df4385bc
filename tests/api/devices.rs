//! `Session.deviceName`: the client's `deviceInfo`, else the browser and
//! system its User-Agent and client hints name, else "Unknown device";
//! named once, when the session opens.

use authql_testkit::documents::{LOGIN, REFRESH};
use authql_testkit::{Backend, TestServer, access_token, both_backends, refresh_token, session_id};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

const FIREFOX_ON_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_ON_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const MY_DEVICE_NAMES: &str = "query { mySessions { id deviceName deviceInfo } }";

/// Logs `user_name` in with these headers (and `deviceInfo` when given);
/// returns the `AuthPayload`.
async fn login_with(
    app: &TestServer,
    user_name: &str,
    device_info: Option<&str>,
    headers: &[(&str, &str)],
) -> Value {
    let answer = app
        .graphql_with(
            LOGIN,
            json!({ "input": { "userName": user_name, "password": "pw", "deviceInfo": device_info } }),
            headers,
        )
        .await;
    assert!(!answer.has_errors(), "{}", answer.body);
    answer.data("login").clone()
}

/// The device name `mySessions` shows for the session of `payload`.
async fn listed_device_name(app: &TestServer, payload: &Value) -> String {
    let answer = app
        .graphql_as(&access_token(payload), MY_DEVICE_NAMES)
        .await;
    let listed = answer.data("mySessions").as_array().unwrap();
    let own = listed
        .iter()
        .find(|session| session["id"] == json!(session_id(payload)))
        .expect("the session is listed");
    own["deviceName"].as_str().unwrap().to_owned()
}

async fn a_session_is_named_by_device_info_then_headers_then_unknown(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("fay", "pw").await;

    let firefox = login_with(&app, "fay", None, &[("user-agent", FIREFOX_ON_LINUX)]).await;
    assert_eq!(listed_device_name(&app, &firefox).await, "Firefox on Linux");

    let labelled = login_with(
        &app,
        "fay",
        Some("Fay's laptop"),
        &[("user-agent", FIREFOX_ON_LINUX)],
    )
    .await;
    assert_eq!(listed_device_name(&app, &labelled).await, "Fay's laptop");

    let hinted = login_with(
        &app,
        "fay",
        None,
        &[
            ("user-agent", CHROME_ON_WINDOWS),
            (
                "sec-ch-ua",
                r#""Brave";v="131", "Chromium";v="131", "Not_A Brand";v="24""#,
            ),
            ("sec-ch-ua-platform", r#""Linux""#),
        ],
    )
    .await;
    assert_eq!(
        listed_device_name(&app, &hinted).await,
        "Brave on Linux",
        "the client hints win over the User-Agent for what they say"
    );

    let only_hints = login_with(
        &app,
        "fay",
        None,
        &[
            (
                "sec-ch-ua",
                r#""Not A(Brand";v="8", "Chromium";v="132", "Google Chrome";v="132""#,
            ),
            ("sec-ch-ua-platform", r#""macOS""#),
        ],
    )
    .await;
    assert_eq!(
        listed_device_name(&app, &only_hints).await,
        "Chrome on macOS"
    );

    let bare = login_with(&app, "fay", None, &[]).await;
    assert_eq!(listed_device_name(&app, &bare).await, "Unknown device");

    let tool = login_with(&app, "fay", None, &[("user-agent", "curl/8.5.0")]).await;
    assert_eq!(listed_device_name(&app, &tool).await, "curl");
}

async fn a_device_name_stays_what_the_opening_made_it(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("gus", "pw").await;
    let opened = login_with(&app, "gus", None, &[("user-agent", FIREFOX_ON_LINUX)]).await;

    // The refresh token used from another browser renames nothing.
    let refreshed = app
        .graphql_with(
            REFRESH,
            json!({ "token": refresh_token(&opened) }),
            &[("user-agent", CHROME_ON_WINDOWS)],
        )
        .await;
    assert!(!refreshed.has_errors(), "{}", refreshed.body);
    let rotated = refreshed.data("refreshToken").clone();
    assert_eq!(session_id(&rotated), session_id(&opened));
    assert_eq!(listed_device_name(&app, &rotated).await, "Firefox on Linux");
}

/// The migration that added the column names the sessions opened before
/// it by their `deviceInfo`, else "Unknown device": its own SQL, run again
/// on rows that hold other names.
async fn the_migration_names_older_sessions_by_their_device_info(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("hal", "pw").await;
    let labelled = login_with(&app, "hal", Some("Hal's phone"), &[]).await;
    let unlabelled = login_with(&app, "hal", None, &[("user-agent", FIREFOX_ON_LINUX)]).await;
    let migration = match backend {
        Backend::Sqlite => [
            include_str!("../../migrations/sqlite/2026-12-08-000008_session_device_names/down.sql"),
            include_str!("../../migrations/sqlite/2026-12-08-000008_session_device_names/up.sql"),
        ],
        Backend::Mysql => [
            include_str!("../../migrations/mysql/2026-12-08-000008_session_device_names/down.sql"),
            include_str!("../../migrations/mysql/2026-12-08-000008_session_device_names/up.sql"),
        ],
    };
    let statements: Vec<String> = migration
        .iter()
        .flat_map(|file| file.split(';'))
        .map(|statement| {
            statement
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|statement| !statement.trim().is_empty())
        .collect();
    let mut conn = app.app.pool.get().await.expect("connection");
    for statement in &statements {
        authql::with_conn!(&mut conn, |c| {
            diesel::sql_query(statement.as_str()).execute(c).await
        })
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    drop(conn);

    assert_eq!(listed_device_name(&app, &labelled).await, "Hal's phone");
    assert_eq!(
        listed_device_name(&app, &unlabelled).await,
        "Unknown device",
        "a session from before the column has only its deviceInfo to go by"
    );
    let stored = app.stored_session(&session_id(&unlabelled)).await;
    assert_eq!(stored.device_name, "Unknown device");
}

both_backends!(
    a_session_is_named_by_device_info_then_headers_then_unknown,
    a_device_name_stays_what_the_opening_made_it,
    the_migration_names_older_sessions_by_their_device_info,
);
