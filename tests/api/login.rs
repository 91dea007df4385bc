//! `login`: credentials, the payload, the session it opens, input bounds.

use authql_testkit::documents::LOGIN;
use authql_testkit::{Backend, TestServer, access_token, both_backends, session_id};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("JSON claims")
}

fn parse_time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    let text = value.as_str().expect("a DateTime string");
    assert!(text.ends_with('Z'), "UTC with Z: {text}");
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .to_utc()
}

async fn login_returns_every_field(backend: Backend) {
    let app = TestServer::start(backend).await;
    let user_id = app.add_user("June_Doe", "correct horse").await;
    let before = chrono::Utc::now();
    let answer = app
        .login_answer("june_doe", "correct horse", Some("Firefox on Linux"))
        .await;
    let payload = answer.data("login");

    assert_eq!(payload["tokenType"], "Bearer");
    assert_eq!(payload["expiresIn"], 900);
    assert_eq!(payload["user"]["id"], user_id.as_str());
    assert_eq!(payload["user"]["userName"], "June_Doe", "shown as created");
    assert_eq!(payload["user"]["role"], "user");
    parse_time(&payload["user"]["createdAt"]);

    let session = &payload["session"];
    assert_eq!(session["current"], true);
    assert_eq!(session["deviceInfo"], "Firefox on Linux");
    assert_eq!(session["ipAddress"], "203.0.113.7");
    assert_eq!(session["userAgent"], "authql-tests/1.0");
    assert_eq!(session["user"]["id"], user_id.as_str());
    let id = session["id"].as_str().unwrap();
    assert!(id.len() >= 22, "opaque id, not a counter: {id}");
    let created = parse_time(&session["createdAt"]);
    assert!(created >= before - chrono::TimeDelta::seconds(1));
    assert_eq!(parse_time(&session["lastActiveAt"]), created);
    let expires = parse_time(&session["expiresAt"]);
    assert_eq!(expires, parse_time(&payload["refreshTokenExpiresAt"]));
    assert_eq!((expires - created).num_seconds(), 2_592_000);

    let claims = jwt_claims(payload["accessToken"].as_str().unwrap());
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["sid"], id);
    assert_eq!(claims["role"], "user");
    assert_eq!(claims["iss"], "authql");
    assert_eq!(claims["aud"], "authql");
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 900);
    assert!((iat - before.timestamp()).abs() <= 5);
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(
                payload["accessToken"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");

    let refresh = payload["refreshToken"].as_str().unwrap();
    assert!(!refresh.is_empty() && !refresh.contains(&user_id));
}

async fn wrong_password_and_unknown_user_answer_alike(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("alice", "right password").await;
    let wrong = app.login_answer("alice", "wrong password", None).await;
    let unknown = app.login_answer("nobody", "right password", None).await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    assert_eq!(unknown.code(), "INVALID_CREDENTIALS");
    assert_eq!(
        wrong.body["errors"][0]["message"],
        unknown.body["errors"][0]["message"]
    );
    assert_eq!(wrong.body["data"], Value::Null);
}

async fn disabled_user_cannot_log_in(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("bob", "pw-bob").await;
    authql::core::users::disable_user(&app.app.pool, "BOB")
        .await
        .unwrap();
    assert_eq!(
        app.login_answer("bob", "pw-bob", None).await.code(),
        "ACCOUNT_DISABLED"
    );
    assert_eq!(
        app.login_answer("bob", "not-it", None).await.code(),
        "INVALID_CREDENTIALS"
    );
    authql::core::users::enable_user(&app.app.pool, "bob")
        .await
        .unwrap();
    app.login("bob", "pw-bob").await;
}

async fn three_logins_open_three_sessions(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("carol", "pw-carol").await;
    let mut payloads = Vec::new();
    for _ in 0..3 {
        payloads.push(app.login("Carol", "pw-carol").await);
    }
    let ids: std::collections::BTreeSet<String> = payloads.iter().map(session_id).collect();
    assert_eq!(ids.len(), 3, "each login opens its own session");
    for payload in &payloads {
        let answer = app
            .graphql_as(
                &access_token(payload),
                "{ me { userName } mySessions { id current user { userName } } }",
            )
            .await;
        assert_eq!(answer.data("me")["userName"], "carol");
        let sessions = answer.data("mySessions").as_array().unwrap().clone();
        assert_eq!(sessions.len(), 3);
        let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
        assert_eq!(current.len(), 1, "exactly one current session");
        assert_eq!(current[0]["id"].as_str().unwrap(), session_id(payload));
        assert!(sessions.iter().all(|s| s["user"]["userName"] == "carol"));
    }
}

async fn user_names_match_without_regard_to_case_only(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("Élodie", "pw").await;
    assert_eq!(
        app.login("éLODIE", "pw").await["user"]["userName"],
        "Élodie"
    );
    assert_eq!(
        app.login_answer("Elodie", "pw", None).await.code(),
        "INVALID_CREDENTIALS"
    );
    assert_eq!(
        app.login_answer("élodie ", "pw", None).await.code(),
        "INVALID_CREDENTIALS"
    );
}

async fn input_bounds_are_enforced(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user(&"n".repeat(64), "pw").await;
    app.login(&"N".repeat(64), "pw").await;
    let cases = [
        json!({ "userName": "", "password": "pw" }),
        json!({ "userName": "n".repeat(65), "password": "pw" }),
        json!({ "userName": "someone", "password": "" }),
        json!({ "userName": "someone", "password": "p".repeat(1025) }),
        json!({ "userName": "someone", "password": "pw", "deviceInfo": "d".repeat(256) }),
    ];
    for input in cases {
        let answer = app.graphql(LOGIN, json!({ "input": input })).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{input}");
    }
    let ok = app
        .graphql(LOGIN, json!({ "input": { "userName": "n".repeat(64), "password": "pw", "deviceInfo": "d".repeat(255) } }))
        .await;
    assert_eq!(
        ok.data("login")["session"]["deviceInfo"]
            .as_str()
            .unwrap()
            .len(),
        255
    );
}

async fn long_user_agent_is_cut_not_refused(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("dave", "pw").await;
    let agent = "ü".repeat(600);
    let answer = app
        .graphql_with(
            LOGIN,
            json!({ "input": { "userName": "dave", "password": "pw" } }),
            &[("user-agent", &agent)],
        )
        .await;
    let session = &answer.data("login")["session"];
    assert_eq!(session["userAgent"].as_str().unwrap(), "ü".repeat(512));
    assert_eq!(session["deviceInfo"], Value::Null);
}

async fn forwarded_for_is_believed_only_from_trusted_proxies(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.trusted_proxies = vec!["10.0.0.0/8".parse().expect("a CIDR")]
    })
    .await;
    app.add_user("erin", "pw").await;
    let body = json!({ "query": LOGIN, "variables": { "input": { "userName": "erin", "password": "pw" } } });
    let xff = [("x-forwarded-for", "198.51.100.1, 192.0.2.44, 10.1.2.3")];
    let spoofed = app
        .post_json(body.clone(), &xff, "198.51.100.99:4000")
        .await;
    assert_eq!(
        spoofed.data("login")["session"]["ipAddress"],
        "198.51.100.99"
    );
    let proxied = app.post_json(body, &xff, "10.0.0.1:4000").await;
    assert_eq!(proxied.data("login")["session"]["ipAddress"], "192.0.2.44");
}

/// Proxies write the client's port beside its address, and brackets around
/// IPv6 ones: the address is what counts, so that clients behind such a
/// proxy are told apart (sessions, and the per-address throttle).
async fn forwarded_for_entries_with_ports_or_brackets_are_their_address(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.trusted_proxies = vec!["10.0.0.0/8".parse().expect("a CIDR")]
    })
    .await;
    app.add_user("erin", "pw").await;
    let body = json!({ "query": LOGIN, "variables": { "input": { "userName": "erin", "password": "pw" } } });
    for (forwarded_for, client) in [
        ("203.0.113.9:4711", "203.0.113.9"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("198.51.100.1, 192.0.2.44:5000, 10.1.2.3:80", "192.0.2.44"),
    ] {
        let answer = app
            .post_json(
                body.clone(),
                &[("x-forwarded-for", forwarded_for)],
                "10.0.0.1:4000",
            )
            .await;
        assert_eq!(
            answer.data("login")["session"]["ipAddress"],
            client,
            "X-Forwarded-For: {forwarded_for}"
        );
    }
}

both_backends!(
    forwarded_for_entries_with_ports_or_brackets_are_their_address,
    login_returns_every_field,
    wrong_password_and_unknown_user_answer_alike,
    disabled_user_cannot_log_in,
    three_logins_open_three_sessions,
    user_names_match_without_regard_to_case_only,
    input_bounds_are_enforced,
    long_user_agent_is_cut_not_refused,
    forwarded_for_is_believed_only_from_trusted_proxies,
);
