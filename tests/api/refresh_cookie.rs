//! The refresh cookie: `refreshTokenDelivery: COOKIE`, `refreshToken`
//! without its argument, the cookie's attributes, clearing it when its
//! session ends, and the `Origin` rule against cross-site request forgery.

use authql_testkit::documents::{LOGIN, REFRESH};
use authql_testkit::{
    Answer, Backend, Builder, TestServer, access_token, both_backends, session_id,
};
use serde_json::{Value, json};

const APP: &str = "http://localhost:5173";

/// Login variables asking for the refresh token in a cookie.
fn cookie_login(name: &str) -> Value {
    json!({ "input": { "userName": name, "password": "pw", "refreshTokenDelivery": "COOKIE" } })
}

/// The `authql_refresh` of a `Set-Cookie`: its value and its attributes.
struct SetCookie {
    value: String,
    attributes: Vec<String>,
}

impl SetCookie {
    fn has(&self, attribute: &str) -> bool {
        self.attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute))
    }

    fn max_age(&self) -> i64 {
        self.attributes
            .iter()
            .find_map(|a| a.strip_prefix("Max-Age="))
            .and_then(|age| age.parse().ok())
            .expect("Max-Age")
    }

    fn is_clearing(&self) -> bool {
        self.value.is_empty() && self.max_age() == 0
    }
}

fn set_cookie(answer: &Answer) -> Option<SetCookie> {
    let all: Vec<&str> = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("authql_refresh="))
        .collect();
    assert!(all.len() <= 1, "one authql_refresh at most: {all:?}");
    let mut parts = all.first()?.split(';').map(|p| p.trim().to_owned());
    let value = parts
        .next()?
        .trim_start_matches("authql_refresh=")
        .to_owned();
    Some(SetCookie {
        value,
        attributes: parts.collect(),
    })
}

/// Logs in with the cookie delivery; the payload and the cookie's value.
async fn login_cookie(app: &TestServer, name: &str) -> (Value, String) {
    let answer = app
        .graphql_with(LOGIN, cookie_login(name), &[("origin", APP)])
        .await;
    let payload = answer.data("login").clone();
    let cookie = set_cookie(&answer).expect("login sets the cookie");
    (payload, cookie.value)
}

async fn refresh_with_cookie(app: &TestServer, cookie: &str, origin: Option<&str>) -> Answer {
    let cookie = format!("authql_refresh={cookie}");
    let mut headers = vec![("cookie", cookie.as_str()), ("host", "auth.example.com")];
    if let Some(origin) = origin {
        headers.push(("origin", origin));
    }
    app.graphql_with(REFRESH, json!({}), &headers).await
}

/// A server that lets the app's pages in.
fn server(backend: Backend) -> Builder {
    TestServer::builder()
        .backend(backend)
        .with_config(|c| c.browsers.allowed_origins = vec![APP.parse().expect("an origin")])
}

/// Starts it, with the user `cookie`.
async fn start(server: Builder) -> TestServer {
    let app = server.start().await;
    app.add_user("cookie", "pw").await;
    app
}

async fn cookie_login_sets_the_cookie_not_the_body(backend: Backend) {
    let app = start(server(backend)).await;
    let answer = app
        .graphql_with(LOGIN, cookie_login("cookie"), &[("origin", APP)])
        .await;
    let payload = answer.data("login").clone();
    assert_eq!(payload["refreshToken"], Value::Null);
    let cookie = set_cookie(&answer).expect("Set-Cookie: authql_refresh");
    assert!(cookie.value.len() > 20, "a token: {}", cookie.value);
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/graphql"] {
        assert!(
            cookie.has(attribute),
            "{attribute} in {:?}",
            cookie.attributes
        );
    }
    assert!(!cookie.attributes.iter().any(|a| a.starts_with("Domain=")));
    // Until the refresh token expires (REFRESH_TOKEN_TTL_SECS, 30 days).
    let age = cookie.max_age();
    assert!((2_591_990..=2_592_000).contains(&age), "Max-Age {age}");

    // The body delivery, the default, sets no cookie.
    let body = app.login("cookie", "pw").await;
    assert!(body["refreshToken"].is_string());
}

async fn cookie_attributes_follow_the_settings(backend: Backend) {
    let app = start(server(backend).with_vars(&[
        ("COOKIE_SECURE", "false"),
        ("COOKIE_SAMESITE", "Strict"),
        ("COOKIE_DOMAIN", "example.com"),
        ("REFRESH_TOKEN_TTL_SECS", "3600"),
    ]))
    .await;
    let answer = app.graphql_with(LOGIN, cookie_login("cookie"), &[]).await;
    let cookie = set_cookie(&answer).expect("Set-Cookie");
    assert!(!cookie.has("Secure"), "{:?}", cookie.attributes);
    assert!(cookie.has("SameSite=Strict") && cookie.has("Domain=example.com"));
    assert!((3590..=3600).contains(&cookie.max_age()));
}

async fn the_cookie_refreshes_and_rotates(backend: Backend) {
    let app = start(server(backend)).await;
    let (login, first) = login_cookie(&app, "cookie").await;
    let answer = refresh_with_cookie(&app, &first, Some(APP)).await;
    let refreshed = answer.data("refreshToken").clone();
    assert_eq!(
        refreshed["refreshToken"],
        Value::Null,
        "answered in the cookie"
    );
    assert_eq!(refreshed["session"]["id"], login["session"]["id"]);
    assert!(app.is_live(&access_token(&refreshed)).await);
    let second = set_cookie(&answer).expect("a new cookie").value;
    assert_ne!(second, first, "the token rotated");

    // Two tabs: the used-up cookie within the grace window gets the same
    // next token, so both stay signed in on one chain.
    let other_tab = refresh_with_cookie(&app, &first, Some(APP)).await;
    assert_eq!(set_cookie(&other_tab).expect("cookie").value, second);
    let third = set_cookie(&refresh_with_cookie(&app, &second, None).await)
        .expect("cookie")
        .value;
    assert_ne!(third, second);

    // After the grace window, the used-up cookie is reuse: the session
    // ends and the cookie is cleared.
    app.advance(chrono::TimeDelta::seconds(11));
    let reused = refresh_with_cookie(&app, &first, Some(APP)).await;
    assert_eq!(reused.first_code(), Some("REFRESH_TOKEN_REUSED"));
    assert!(set_cookie(&reused).expect("cleared").is_clearing());
    let dead = refresh_with_cookie(&app, &third, Some(APP)).await;
    assert_eq!(dead.first_code(), Some("INVALID_REFRESH_TOKEN"));
    assert!(set_cookie(&dead).expect("cleared").is_clearing());
    assert!(!app.is_live(&access_token(&refreshed)).await);
}

async fn the_argument_wins_over_the_cookie(backend: Backend) {
    let app = start(server(backend)).await;
    let (_, cookie) = login_cookie(&app, "cookie").await;
    let body_login = app.login("cookie", "pw").await;
    let token = body_login["refreshToken"].as_str().expect("token");
    let header = format!("authql_refresh={cookie}");
    let answer = app
        .graphql_with(
            "mutation($t: String) { refreshToken(refreshToken: $t) { refreshToken session { id } } }",
            json!({ "t": token }),
            &[("cookie", header.as_str())],
        )
        .await;
    let refreshed = answer.data("refreshToken").clone();
    assert!(
        refreshed["refreshToken"].is_string(),
        "answered in the body"
    );
    assert_eq!(refreshed["session"]["id"], body_login["session"]["id"]);
    assert!(set_cookie(&answer).is_none(), "the cookie is left alone");
}

async fn a_cross_site_refresh_changes_nothing(backend: Backend) {
    let app = start(server(backend)).await;
    let (login, cookie) = login_cookie(&app, "cookie").await;
    for origin in ["https://evil.example", "http://localhost:5174", "null"] {
        let forged = refresh_with_cookie(&app, &cookie, Some(origin)).await;
        assert_eq!(
            forged.first_code(),
            Some("INVALID_REFRESH_TOKEN"),
            "{origin}"
        );
        assert!(
            set_cookie(&forged).is_none(),
            "{origin}: the cookie is not touched"
        );
    }
    // The token was not used up: past the grace window it still rotates (a
    // used-up one would now be REFRESH_TOKEN_REUSED and end the session).
    app.advance(chrono::TimeDelta::seconds(11));
    let legit = refresh_with_cookie(&app, &cookie, Some(APP)).await;
    assert!(legit.body.get("errors").is_none(), "{}", legit.body);
    let first = set_cookie(&legit).expect("cookie").value;
    assert_ne!(first, cookie);
    assert!(app.is_live(&access_token(&login)).await);
    // The service's own origin (its Host) may use it, as may no Origin.
    let own = refresh_with_cookie(&app, &first, Some("http://auth.example.com")).await;
    let second = set_cookie(&own).expect("cookie").value;
    assert_ne!(second, first);
    let none = refresh_with_cookie(&app, &second, None).await;
    assert!(set_cookie(&none).is_some_and(|c| !c.is_clearing()));
}

/// Whether a cookie refresh with these headers is let through; keeps the
/// cookie current when it is.
async fn refresh_from(
    app: &TestServer,
    cookie: &mut String,
    origin: &str,
    host: &str,
    proto: Option<&str>,
) -> bool {
    let header = format!("authql_refresh={cookie}");
    let mut headers = vec![
        ("cookie", header.as_str()),
        ("host", host),
        ("origin", origin),
    ];
    if let Some(proto) = proto {
        headers.push(("x-forwarded-proto", proto));
    }
    let answer = app.graphql_with(REFRESH, json!({}), &headers).await;
    let used = answer.body.get("errors").is_none();
    if used {
        *cookie = set_cookie(&answer).expect("cookie").value;
    } else {
        assert_eq!(answer.first_code(), Some("INVALID_REFRESH_TOKEN"));
    }
    used
}

async fn our_own_origin_is_the_host_and_scheme_we_were_reached_by(backend: Backend) {
    // The test's peer is a trusted proxy here, which may say it took HTTPS.
    let app = start(server(backend).with_config(|c| {
        c.trusted_proxies = vec!["203.0.113.7/32".parse().expect("a CIDR")];
    }))
    .await;
    let (_, mut cookie) = login_cookie(&app, "cookie").await;
    let c = &mut cookie;
    let host = "auth.example.com";
    assert!(
        refresh_from(
            &app,
            c,
            "http://auth.example.com:8443",
            "auth.example.com:8443",
            None
        )
        .await
    );
    assert!(
        !refresh_from(
            &app,
            c,
            "http://auth.example.com",
            "auth.example.com:8443",
            None
        )
        .await
    );
    assert!(refresh_from(&app, c, "http://[::1]:8080", "[::1]:8080", None).await);
    assert!(refresh_from(&app, c, "https://auth.example.com", host, Some("https")).await);
    assert!(!refresh_from(&app, c, "https://auth.example.com", host, None).await);
    assert!(!refresh_from(&app, c, "http://auth.example.com", host, Some("https")).await);

    // From a peer that is not a trusted proxy, X-Forwarded-Proto is not believed.
    let untrusted = start(server(backend)).await;
    let (_, mut cookie) = login_cookie(&untrusted, "cookie").await;
    let https = "https://auth.example.com";
    assert!(!refresh_from(&untrusted, &mut cookie, https, host, Some("https")).await);
    assert!(
        refresh_from(
            &untrusted,
            &mut cookie,
            "http://auth.example.com",
            host,
            None
        )
        .await
    );
}

async fn no_cookie_and_no_argument_is_invalid(backend: Backend) {
    let app = start(server(backend)).await;
    let answer = app.graphql_with(REFRESH, json!({}), &[]).await;
    assert_eq!(answer.first_code(), Some("INVALID_REFRESH_TOKEN"));
    let made_up = refresh_with_cookie(&app, "not-a-token", None).await;
    assert_eq!(made_up.first_code(), Some("INVALID_REFRESH_TOKEN"));
}

async fn ending_the_callers_session_clears_the_cookie(backend: Backend) {
    let app = start(server(backend)).await;
    let ends = |query: &'static str, clears: bool| (query, clears);
    let cases = [
        ends("mutation { logout }", true),
        ends("mutation { logoutAll }", true),
        ends("mutation { logoutAll(exceptCurrent: true) }", false),
        ends("mutation($id: ID!) { logoutSession(sessionId: $id) }", true),
        ends(
            "mutation($other: ID!) { logoutSession(sessionId: $other) }",
            false,
        ),
        ends(
            "mutation { changePassword(input: {currentPassword: \"pw\", newPassword: \"pw\"}) }",
            false,
        ),
    ];
    for (query, clears) in cases {
        let (login, cookie) = login_cookie(&app, "cookie").await;
        let other = app.login("cookie", "pw").await;
        let bearer = format!("Bearer {}", access_token(&login));
        let header = format!("authql_refresh={cookie}");
        let answer = app
            .graphql_with(
                query,
                json!({ "id": session_id(&login), "other": session_id(&other) }),
                &[
                    ("authorization", bearer.as_str()),
                    ("cookie", header.as_str()),
                ],
            )
            .await;
        assert!(
            answer.body.get("errors").is_none(),
            "{query}: {}",
            answer.body
        );
        let cleared = set_cookie(&answer).is_some_and(|c| c.is_clearing());
        assert_eq!(cleared, clears, "{query}");
        // A cleared cookie's session is really over; a kept one still refreshes.
        let next = refresh_with_cookie(&app, &cookie, None).await;
        assert_eq!(next.body.get("errors").is_none(), !clears, "{query}");
    }
}

both_backends!(
    cookie_login_sets_the_cookie_not_the_body,
    cookie_attributes_follow_the_settings,
    the_cookie_refreshes_and_rotates,
    the_argument_wins_over_the_cookie,
    a_cross_site_refresh_changes_nothing,
    our_own_origin_is_the_host_and_scheme_we_were_reached_by,
    no_cookie_and_no_argument_is_invalid,
    ending_the_callers_session_clears_the_cookie,
);

#[test]
fn samesite_none_needs_a_secure_cookie() {
    let config = |vars: &[(&str, &str)]| {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        authql::config::Config::from_lookup(|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    };
    let refused =
        config(&[("COOKIE_SAMESITE", "None"), ("COOKIE_SECURE", "false")]).expect_err("refused");
    assert_eq!(refused.variable, "COOKIE_SAMESITE");
    assert!(config(&[("COOKIE_SAMESITE", "None")]).is_ok());
    assert_eq!(
        config(&[("COOKIE_SAMESITE", "Sometimes")])
            .expect_err("refused")
            .variable,
        "COOKIE_SAMESITE"
    );
    assert_eq!(
        config(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com/login")])
            .expect_err("refused")
            .variable,
        "CORS_ALLOWED_ORIGINS"
    );
    assert_eq!(
        config(&[("CORS_ALLOWED_ORIGINS", "*")])
            .expect_err("refused")
            .variable,
        "CORS_ALLOWED_ORIGINS"
    );
    assert_eq!(
        config(&[("COOKIE_DOMAIN", "a b")])
            .expect_err("refused")
            .variable,
        "COOKIE_DOMAIN"
    );
}
