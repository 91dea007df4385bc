//! New-device alerts and `reportSignIn`: a sign-in from a device that is
//! not known mails the owner (none for the account's first sign-in, a
//! known `authql_device` cookie, or the same device name on the same
//! network, with client addresses through `TRUSTED_PROXIES` and
//! `X-Forwarded-For`), and the alert's link ends the reported session and
//! those opened since from the same device name and network, then holds
//! the right password to `PASSWORD_RESET_REQUIRED` until a reset. Mails
//! are read from a real SMTP server (maildev).

use std::sync::Arc;

use authql::config::SignupMode;
use authql_testkit::documents::{
    CHANGE_PASSWORD, LOGIN, MY_SECURITY_EVENTS, REPORT_SIGN_IN, REQUEST_PASSWORD_RESET,
    RESET_PASSWORD,
};
use authql_testkit::{
    Answer, Backend, Flags, MailServer, ReceivedMail, SoftAuthenticator, TEST_APP_URL, TestServer,
    access_token, both_backends, session_id,
};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::accounts::{MAIL_WAIT, add_user_with_email, call_bool, mail_to, token_of};
use crate::passkeys::{self, add_passkey};

const PASSWORD: &str = "first-password";
/// The proxy every request comes through.
const PROXY: &str = "10.0.0.1:4000";
const FIREFOX_ON_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_ON_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// A server with mail on that believes `X-Forwarded-For` from [`PROXY`].
async fn server_behind_proxy(backend: Backend) -> (MailServer, TestServer) {
    let mail = MailServer::start().await;
    let server = TestServer::builder()
        .backend(backend)
        .with_mail(&mail)
        .with_config(|c| {
            c.accounts.signup_mode = SignupMode::Closed;
            c.trusted_proxies = vec!["10.0.0.0/8".parse().expect("a CIDR")];
        })
        .start()
        .await;
    (mail, server)
}

/// Where a sign-in comes from: a browser (its User-Agent), a client
/// address, and the `authql_device` cookie it carries, if any.
struct Device<'a> {
    user_agent: &'a str,
    address: &'a str,
    cookie: Option<&'a str>,
}

/// A login with `password` from `device` (no `deviceInfo`: the device is
/// named from its User-Agent).
async fn login_from(
    server: &TestServer,
    name: &str,
    password: &str,
    device: &Device<'_>,
) -> Answer {
    let mut call = server
        .call(LOGIN)
        .variables(json!({ "input": { "userName": name, "password": password } }))
        .peer(PROXY)
        .header("user-agent", device.user_agent)
        .header("x-forwarded-for", device.address);
    if let Some(cookie) = device.cookie {
        call = call.header("cookie", &format!("authql_device={cookie}"));
    }
    call.await
}

/// Signs in from `device`; the session's tokens and the device cookie set.
async fn sign_in(server: &TestServer, name: &str, device: &Device<'_>) -> (Value, String) {
    let answer = login_from(server, name, PASSWORD, device).await;
    assert!(!answer.has_errors(), "{}", answer.body);
    let cookie = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("authql_device="))
        .and_then(|v| v.split(';').next())
        .expect("the device cookie")
        .to_owned();
    (answer.data("login").clone(), cookie)
}

/// The caller's events of `kind`, newest first.
async fn events_of(server: &TestServer, token: &str, kind: &str) -> Vec<Value> {
    let answer = server
        .call(MY_SECURITY_EVENTS)
        .bearer(token)
        .variables(json!({ "first": 200 }))
        .await;
    assert!(!answer.has_errors(), "{}", answer.text());
    answer
        .data("mySecurityEvents")
        .as_array()
        .expect("a list")
        .iter()
        .filter(|event| event["kind"] == kind)
        .cloned()
        .collect()
}

/// The alerts `mails` hold for `to`, oldest first.
fn alerts_to<'a>(mails: &'a [ReceivedMail], to: &str) -> Vec<&'a ReceivedMail> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
        .filter(|m| m.subject == "New sign-in to your account")
        .collect()
}

async fn new_devices_are_alerted_and_known_ones_are_not(backend: Backend) {
    let (mail, server) = server_behind_proxy(backend).await;
    add_user_with_email(&server, "olga", "olga@example.com").await;
    let home = Device {
        user_agent: FIREFOX_ON_LINUX,
        address: "198.51.100.10",
        cookie: None,
    };
    // The account's first sign-in: no alert.
    let (first, home_cookie) = sign_in(&server, "olga", &home).await;
    let token = access_token(&first);
    // Its cookie, from another network and another browser: known.
    let travelling = Device {
        user_agent: CHROME_ON_WINDOWS,
        address: "192.0.2.10",
        cookie: Some(&home_cookie),
    };
    sign_in(&server, "olga", &travelling).await;
    // No cookie, the same device name on the same /24: known.
    let same_network = Device {
        address: "198.51.100.77",
        ..home
    };
    sign_in(&server, "olga", &same_network).await;
    assert!(
        events_of(&server, &token, "NEW_DEVICE_ALERT_SENT")
            .await
            .is_empty(),
        "no alert so far"
    );
    // No cookie, the same device name from another /24: new.
    let other_network = Device {
        address: "100.64.5.9",
        ..home
    };
    let (stranger, _) = sign_in(&server, "olga", &other_network).await;
    // No cookie, another device name on the home network: new.
    let other_browser = Device {
        user_agent: CHROME_ON_WINDOWS,
        ..home
    };
    sign_in(&server, "olga", &other_browser).await;

    let mails = mail.wait_for(2, MAIL_WAIT).await;
    let alerts = alerts_to(&mails, "olga@example.com");
    assert_eq!(alerts.len(), 2, "{mails:#?}");
    let about_stranger = alerts
        .iter()
        .find(|m| m.text.contains("100.64.5.9"))
        .expect("the alert for the other network");
    assert!(
        about_stranger.text.contains("\"Firefox on Linux\""),
        "{}",
        about_stranger.text
    );
    assert!(
        about_stranger.text.contains("Hello olga"),
        "{}",
        about_stranger.text
    );
    let link = about_stranger.link().expect("a link");
    assert!(
        link.starts_with(&format!("{TEST_APP_URL}/report-sign-in#token=")),
        "{link}"
    );
    assert!(
        alerts
            .iter()
            .any(|m| m.text.contains("\"Chrome on Windows\"") && m.text.contains("198.51.100.10")),
        "{alerts:#?}"
    );
    let sent = events_of(&server, &token, "NEW_DEVICE_ALERT_SENT").await;
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(
        sent.iter()
            .any(|event| event["sessionId"] == session_id(&stranger).as_str()
                && event["ipAddress"] == "100.64.5.9"
                && event["deviceName"] == "Firefox on Linux"),
        "{sent:#?}"
    );
    assert_eq!(mail.mails().await.len(), 2, "nothing else was sent");
}

async fn accounts_without_a_verified_address_get_no_alert(backend: Backend) {
    let (mail, server) = server_behind_proxy(backend).await;
    server.add_user("pia", PASSWORD).await;
    let home = Device {
        user_agent: FIREFOX_ON_LINUX,
        address: "198.51.100.10",
        cookie: None,
    };
    let (first, _) = sign_in(&server, "pia", &home).await;
    let elsewhere = Device {
        user_agent: CHROME_ON_WINDOWS,
        address: "100.64.5.9",
        cookie: None,
    };
    sign_in(&server, "pia", &elsewhere).await;
    let token = access_token(&first);
    assert!(
        events_of(&server, &token, "NEW_DEVICE_ALERT_SENT")
            .await
            .is_empty()
    );
    assert!(events_of(&server, &token, "SIGNED_IN").await.len() == 2);
    assert!(mail.mails().await.is_empty());
}

async fn a_report_ends_the_reported_device_and_locks_the_password(backend: Backend) {
    let (mail, server) = server_behind_proxy(backend).await;
    let user_id = add_user_with_email(&server, "vera", "vera@example.com").await;
    let owner_device = Device {
        user_agent: FIREFOX_ON_LINUX,
        address: "198.51.100.10",
        cookie: None,
    };
    let (owner, _) = sign_in(&server, "vera", &owner_device).await;
    let mut authenticator = SoftAuthenticator::new();
    add_passkey(
        &server,
        &access_token(&owner),
        &mut authenticator,
        Flags::VERIFIED,
    )
    .await;
    let attacker = Device {
        user_agent: CHROME_ON_WINDOWS,
        address: "100.64.5.9",
        cookie: None,
    };
    let (reported, _) = sign_in(&server, "vera", &attacker).await;
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    let token = token_of(mail_to(&mails, "vera@example.com"), "report-sign-in");
    // Opened since, from the same device name and network: ended with it.
    let same_attacker = Device {
        address: "100.64.5.200",
        ..attacker
    };
    let (later, _) = sign_in(&server, "vera", &same_attacker).await;
    // The same device name on another network: not the reported device.
    let elsewhere = Device {
        address: "100.65.0.1",
        ..attacker
    };
    let (other_network, _) = sign_in(&server, "vera", &elsewhere).await;

    // Two replicas, one token, at once: one report.
    let second = server.second_server();
    let start = Arc::new(Barrier::new(2));
    let calls = [&server, &second].map(|replica| {
        replica
            .call(REPORT_SIGN_IN)
            .variables(json!({ "token": token }))
            .spawn_after(start.clone())
    });
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.expect("the call"));
    }
    let reported_once = answers
        .iter()
        .filter(|a| !a.has_errors() && a.data("reportSignIn") == true)
        .count();
    assert_eq!(reported_once, 1, "{answers:#?}");
    assert!(
        answers
            .iter()
            .any(|a| a.has_errors() && a.code() == "INVALID_TOKEN"),
        "{answers:#?}"
    );

    for ended in [&reported, &later] {
        assert!(!server.is_live(&access_token(ended)).await);
        let stored = server.stored_session(&session_id(ended)).await;
        assert_eq!(
            stored.end_reason.map(authql::vocabulary::EndReason::as_str),
            Some("reported_by_user")
        );
    }
    assert!(
        server.is_live(&access_token(&owner)).await,
        "older sessions stay open"
    );
    assert!(
        server.is_live(&access_token(&other_network)).await,
        "another network is not the reported device"
    );
    assert_eq!(server.open_session_count(&user_id).await, 2);

    // The right password is held until a reset; a wrong one is wrong.
    let right = login_from(&server, "vera", PASSWORD, &owner_device).await;
    assert_eq!(right.code(), "PASSWORD_RESET_REQUIRED", "{}", right.body);
    let wrong = login_from(&server, "vera", "a-guess", &owner_device).await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    let on_second = login_from(&second, "vera", PASSWORD, &attacker).await;
    assert_eq!(on_second.code(), "PASSWORD_RESET_REQUIRED");
    let change = server
        .call(CHANGE_PASSWORD)
        .bearer(&access_token(&owner))
        .variables(json!({ "input": {
            "currentPassword": PASSWORD, "newPassword": "changed-password" } }))
        .await;
    assert_eq!(change.code(), "PASSWORD_RESET_REQUIRED", "{}", change.body);
    // A passkey's sign-in waits for the reset too.
    let by_passkey = passkeys::sign_in(&server, &mut authenticator, Flags::VERIFIED).await;
    assert_eq!(
        by_passkey.code(),
        "PASSWORD_RESET_REQUIRED",
        "{}",
        by_passkey.body
    );

    let owner_token = access_token(&owner);
    let reports = events_of(&server, &owner_token, "SIGN_IN_REPORTED").await;
    assert_eq!(reports.len(), 1, "{reports:#?}");
    let ends = events_of(&server, &owner_token, "SESSION_ENDED").await;
    let reported_ends: Vec<_> = ends
        .iter()
        .filter(|event| event["reason"] == "REPORTED_BY_USER")
        .collect();
    assert_eq!(reported_ends.len(), 2, "{ends:#?}");

    for junk in ["", "not-a-token", &"A".repeat(43)] {
        let refused = call_bool(&server, REPORT_SIGN_IN, json!({ "token": junk })).await;
        assert_eq!(refused.code(), "INVALID_TOKEN", "{junk:?}");
    }

    // The reset lifts the lock.
    mail.clear().await;
    let asked = call_bool(
        &server,
        REQUEST_PASSWORD_RESET,
        json!({ "email": "vera@example.com" }),
    )
    .await;
    assert_eq!(asked.data("requestPasswordReset"), true);
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    let reset_token = token_of(mail_to(&mails, "vera@example.com"), "reset-password");
    let reset = call_bool(
        &server,
        RESET_PASSWORD,
        json!({ "input": { "token": reset_token, "newPassword": "second-password" } }),
    )
    .await;
    assert_eq!(reset.data("resetPassword"), true, "{}", reset.body);
    let after = login_from(&server, "vera", "second-password", &owner_device).await;
    assert!(!after.has_errors(), "{}", after.body);
    let by_passkey = passkeys::sign_in(&server, &mut authenticator, Flags::VERIFIED).await;
    assert!(!by_passkey.has_errors(), "{}", by_passkey.body);
}

both_backends!(new_devices_are_alerted_and_known_ones_are_not);
both_backends!(accounts_without_a_verified_address_get_no_alert);
both_backends!(a_report_ends_the_reported_device_and_locks_the_password);
