//! The `authql_device` cookie and known devices: every sign-in sets it
//! (its attributes, the same id kept when sent back, junk replaced), and the
//! per-name lockout spares a device that had a successful sign-in of the
//! user (judged by its own failures), but no other device and no cross-site
//! request.

use authql_testkit::documents::{COMPLETE_LOGIN, CONFIRM_TOTP, ENROLL_TOTP, LOGIN};
use authql_testkit::{Answer, Backend, TestServer, access_token, both_backends, totp_code};
use chrono::TimeDelta;
use serde_json::{Value, json};

const PASSWORD: &str = "owner-password";
/// A peer other than the owner's (the test kit's default peer).
const STRANGER: &str = "198.51.100.66:40000";
/// 400 days, in seconds.
const FOUR_HUNDRED_DAYS: i64 = 400 * 24 * 60 * 60;

/// The `authql_device` of an answer's `Set-Cookie`: its value and attributes.
struct DeviceCookie {
    value: String,
    attributes: Vec<String>,
}

impl DeviceCookie {
    fn has(&self, attribute: &str) -> bool {
        self.attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute))
    }
}

fn device_cookie(answer: &Answer) -> Option<DeviceCookie> {
    let all: Vec<&str> = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("authql_device="))
        .collect();
    assert!(all.len() <= 1, "one authql_device at most: {all:?}");
    let mut parts = all.first()?.split(';').map(|p| p.trim().to_owned());
    let value = parts
        .next()?
        .trim_start_matches("authql_device=")
        .to_owned();
    Some(DeviceCookie {
        value,
        attributes: parts.collect(),
    })
}

fn login_input(name: &str, password: &str) -> Value {
    json!({ "input": { "userName": name, "password": password } })
}

/// A login that sends `device` as its `authql_device` cookie (none when
/// None), from `peer`, with extra headers.
async fn login_from_device(
    server: &TestServer,
    name: &str,
    password: &str,
    device: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut call = server
        .call(LOGIN)
        .variables(login_input(name, password))
        .headers(headers);
    if let Some(device) = device {
        call = call.header("cookie", &format!("theme=dark; authql_device={device}"));
    }
    call.await
}

/// Logs in with the right password from no known device; the device id the
/// sign-in set.
async fn sign_in_for_device(server: &TestServer, name: &str) -> String {
    let answer = login_from_device(server, name, PASSWORD, None, &[]).await;
    assert!(!answer.has_errors(), "{}", answer.body);
    device_cookie(&answer)
        .expect("a sign-in sets the device cookie")
        .value
}

/// `LOGIN_MAX_FAILURES` (5) wrong guesses for `name` from a stranger.
async fn strangers_guess(server: &TestServer, name: &str) {
    for _ in 0..5 {
        let answer = server
            .call(LOGIN)
            .variables(login_input(name, "guess"))
            .peer(STRANGER)
            .await;
        assert_eq!(answer.code(), "INVALID_CREDENTIALS", "{}", answer.body);
    }
}

async fn every_sign_in_sets_the_device_cookie(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("ada", PASSWORD).await;
    let answer = login_from_device(&server, "ada", PASSWORD, None, &[]).await;
    let cookie = device_cookie(&answer).expect("Set-Cookie: authql_device");
    assert_eq!(cookie.value.len(), 43, "256 random bits: {}", cookie.value);
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/graphql"] {
        assert!(
            cookie.has(attribute),
            "{attribute}: {:?}",
            cookie.attributes
        );
    }
    assert!(
        cookie.has(&format!("Max-Age={FOUR_HUNDRED_DAYS}")),
        "{:?}",
        cookie.attributes
    );
    assert!(!cookie.attributes.iter().any(|a| a.starts_with("Domain")));
    let other = device_cookie(&login_from_device(&server, "ada", PASSWORD, None, &[]).await)
        .expect("cookie");
    assert_ne!(
        other.value, cookie.value,
        "a device that brings none gets a new one"
    );

    // Whatever the refresh token's delivery: both cookies, the refresh one first.
    let with_refresh_cookie = server
        .call(LOGIN)
        .variables(json!({ "input": {
            "userName": "ada", "password": PASSWORD, "refreshTokenDelivery": "COOKIE"
        } }))
        .await;
    assert!(
        with_refresh_cookie
            .header("set-cookie")
            .starts_with("authql_refresh=")
    );
    assert!(device_cookie(&with_refresh_cookie).is_some());

    // A refresh is no sign-in, and a failed login sets nothing.
    let refreshed = server
        .refresh(
            answer.data("login")["refreshToken"]
                .as_str()
                .expect("token"),
        )
        .await;
    assert!(!refreshed.has_errors(), "{}", refreshed.body);
    assert!(device_cookie(&refreshed).is_none());
    let failed = login_from_device(&server, "ada", "wrong", None, &[]).await;
    assert!(device_cookie(&failed).is_none());

    // COOKIE_SECURE=false drops Secure, and only it.
    let plain = TestServer::start_with(backend, |c| c.browsers.cookie.secure = false).await;
    plain.add_user("ada", PASSWORD).await;
    let cookie = device_cookie(&login_from_device(&plain, "ada", PASSWORD, None, &[]).await)
        .expect("cookie");
    assert!(!cookie.has("Secure") && cookie.has("HttpOnly") && cookie.has("SameSite=Lax"));
}

async fn a_device_keeps_its_id_and_junk_is_replaced(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("bo", PASSWORD).await;
    let device = sign_in_for_device(&server, "bo").await;
    let again = login_from_device(&server, "bo", PASSWORD, Some(&device), &[]).await;
    assert_eq!(device_cookie(&again).expect("set again").value, device);

    let long = "a".repeat(4000);
    let plus = format!("{}+", "a".repeat(42));
    for junk in ["", "abc", "%00%01", long.as_str(), plus.as_str()] {
        let answer = login_from_device(&server, "bo", PASSWORD, Some(junk), &[]).await;
        assert!(!answer.has_errors(), "junk is no error: {}", answer.body);
        let replaced = device_cookie(&answer).expect("a new cookie").value;
        assert_eq!(replaced.len(), 43);
        assert_ne!(replaced, device);
        assert_ne!(replaced, junk);
    }
}

async fn strangers_cannot_lock_out_a_known_device(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("cy", PASSWORD).await;
    let device = sign_in_for_device(&server, "cy").await;
    strangers_guess(&server, "cy").await;
    // Without the cookie, the right password is locked out as ever.
    let locked = login_from_device(&server, "cy", PASSWORD, None, &[]).await;
    assert_eq!(locked.code(), "TOO_MANY_ATTEMPTS", "{}", locked.body);
    // A cross-site request carrying it gains nothing.
    let cross_site = login_from_device(
        &server,
        "CY",
        PASSWORD,
        Some(&device),
        &[
            ("origin", "https://evil.example"),
            ("host", "auth.example.com"),
        ],
    )
    .await;
    assert_eq!(
        cross_site.code(),
        "TOO_MANY_ATTEMPTS",
        "{}",
        cross_site.body
    );
    // The owner's device gets in, and keeps its id.
    let owner = login_from_device(&server, "CY", PASSWORD, Some(&device), &[]).await;
    assert!(!owner.has_errors(), "{}", owner.body);
    assert_eq!(device_cookie(&owner).expect("cookie").value, device);
    assert!(server.is_live(&access_token(owner.data("login"))).await);
}

async fn a_known_device_is_locked_by_its_own_failures(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("di", PASSWORD).await;
    let device = sign_in_for_device(&server, "di").await;
    for _ in 0..5 {
        let answer = login_from_device(&server, "di", "wrong", Some(&device), &[]).await;
        assert_eq!(answer.code(), "INVALID_CREDENTIALS", "{}", answer.body);
    }
    let locked = login_from_device(&server, "di", PASSWORD, Some(&device), &[]).await;
    assert_eq!(locked.code(), "TOO_MANY_ATTEMPTS", "{}", locked.body);
    // Its failures counted for the name too.
    let name_locked = login_from_device(&server, "di", PASSWORD, None, &[]).await;
    assert_eq!(name_locked.code(), "TOO_MANY_ATTEMPTS");
    server.advance(TimeDelta::seconds(901));
    let later = login_from_device(&server, "di", PASSWORD, Some(&device), &[]).await;
    assert!(!later.has_errors(), "the window passed: {}", later.body);
}

async fn another_users_device_gives_no_exemption(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("eve", PASSWORD).await;
    server.add_user("fay", PASSWORD).await;
    let eves_device = sign_in_for_device(&server, "eve").await;
    strangers_guess(&server, "fay").await;
    let answer = login_from_device(&server, "fay", PASSWORD, Some(&eves_device), &[]).await;
    assert_eq!(answer.code(), "TOO_MANY_ATTEMPTS", "{}", answer.body);
    // A well-formed id that no sign-in set is no better.
    let made_up = "A".repeat(43);
    let answer = login_from_device(&server, "fay", PASSWORD, Some(&made_up), &[]).await;
    assert_eq!(answer.code(), "TOO_MANY_ATTEMPTS", "{}", answer.body);
}

async fn racing_guesses_from_one_device_stay_within_the_limit(backend: Backend) {
    let first = TestServer::start_with(backend, |c| c.pool.max_size = 16).await;
    let second = first.second_server();
    first.add_user("gus", PASSWORD).await;
    let device = sign_in_for_device(&first, "gus").await;
    first.warm_pool(16).await;
    second.warm_pool(16).await;
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(12));
    let cookie = format!("authql_device={device}");
    let handles = (0..12)
        .map(|i| {
            let server = if i % 2 == 0 { &first } else { &second };
            server
                .call(LOGIN)
                .variables(login_input("gus", "wrong"))
                .header("cookie", &cookie)
                .spawn_after(start.clone())
        })
        .collect();
    let codes: Vec<String> = authql_testkit::join_answers(handles)
        .await
        .iter()
        .map(Answer::code)
        .collect();
    let checked = codes.iter().filter(|c| *c == "INVALID_CREDENTIALS").count();
    let refused = codes.iter().filter(|c| *c == "TOO_MANY_ATTEMPTS").count();
    assert_eq!(
        (checked, refused),
        (5, 7),
        "exactly LOGIN_MAX_FAILURES passwords were checked from the device: {codes:?}"
    );
    let answer = login_from_device(&first, "gus", PASSWORD, Some(&device), &[]).await;
    assert_eq!(answer.code(), "TOO_MANY_ATTEMPTS");
}

async fn the_second_step_sets_the_cookie_and_spares_the_device(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("hal", PASSWORD).await;
    let first = login_from_device(&server, "hal", PASSWORD, None, &[]).await;
    let device = device_cookie(&first).expect("cookie").value;
    let token = access_token(first.data("login"));
    let enrolled = server.call(ENROLL_TOTP).bearer(&token).await;
    let uri = enrolled.data("enrollTotp")["otpauthUri"]
        .as_str()
        .expect("a URI")
        .to_owned();
    let code = totp_code(&uri, server.now_unix());
    let confirmed = server
        .call(CONFIRM_TOTP)
        .bearer(&token)
        .variables(json!({ "code": code }))
        .await;
    assert!(!confirmed.has_errors(), "{}", confirmed.body);
    strangers_guess(&server, "hal").await;

    let step = login_from_device(&server, "hal", PASSWORD, Some(&device), &[]).await;
    assert_eq!(step.code(), "MFA_REQUIRED", "{}", step.body);
    let mfa_token = step.body["errors"][0]["extensions"]["mfaToken"]
        .as_str()
        .expect("mfaToken")
        .to_owned();
    server.advance(TimeDelta::seconds(30));
    let code = totp_code(&uri, server.now_unix());
    let completed = server
        .call(COMPLETE_LOGIN)
        .variables(json!({ "input": { "mfaToken": mfa_token, "code": code } }))
        .header("cookie", &format!("authql_device={device}"))
        .await;
    assert!(!completed.has_errors(), "{}", completed.body);
    assert_eq!(device_cookie(&completed).expect("cookie").value, device);
}

async fn devices_unseen_for_400_days_are_forgotten(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("ivy", PASSWORD).await;
    let old_device = sign_in_for_device(&server, "ivy").await;
    server.advance(TimeDelta::days(200));
    let recent_device = sign_in_for_device(&server, "ivy").await;
    server.advance(TimeDelta::days(201));
    let report = authql::core::prune::prune_once(&server.app)
        .await
        .expect("prune");
    assert_eq!(report.known_devices, 1, "{report:?}");
    strangers_guess(&server, "ivy").await;
    let forgotten = login_from_device(&server, "ivy", PASSWORD, Some(&old_device), &[]).await;
    assert_eq!(forgotten.code(), "TOO_MANY_ATTEMPTS", "{}", forgotten.body);
    let known = login_from_device(&server, "ivy", PASSWORD, Some(&recent_device), &[]).await;
    assert!(!known.has_errors(), "{}", known.body);
}

both_backends!(every_sign_in_sets_the_device_cookie);
both_backends!(devices_unseen_for_400_days_are_forgotten);
both_backends!(a_device_keeps_its_id_and_junk_is_replaced);
both_backends!(strangers_cannot_lock_out_a_known_device);
both_backends!(a_known_device_is_locked_by_its_own_failures);
both_backends!(another_users_device_gives_no_exemption);
both_backends!(racing_guesses_from_one_device_stay_within_the_limit);
both_backends!(the_second_step_sets_the_cookie_and_spares_the_device);
