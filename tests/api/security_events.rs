//! Security events and `mySecurityEvents`: what each flow records (sign-ins
//! with their methods, wrong passwords and codes for names that exist, every
//! end of a session, credential, address and factor changes, a refresh
//! token's reuse), where from, the newest-first paging with `before`, and
//! the deletion after `SECURITY_EVENT_RETENTION_DAYS`.

use std::time::Duration;

use authql::config::SignupMode;
use authql_testkit::documents::{
    CHANGE_EMAIL, CHANGE_PASSWORD, COMPLETE_LOGIN, DISABLE_TOTP, LOGOUT, LOGOUT_ALL, ME,
    MY_PASSKEYS, MY_SECURITY_EVENTS, REGENERATE_RECOVERY_CODES, REMOVE_PASSKEY,
    REQUEST_PASSWORD_RESET, RESET_PASSWORD, VERIFY_EMAIL,
};
use authql_testkit::{
    Answer, Backend, Flags, SoftAuthenticator, TestServer, access_token, both_backends,
    refresh_token, session_id,
};
use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::accounts::{MAIL_WAIT, add_user_with_email, call_bool, mail_to, token_of, with_mail};
use crate::factors::{first_step, user_with_totp};

/// The address the test kit's requests come from.
const CLIENT_IP: &str = "203.0.113.7";

async fn events_answer(server: &TestServer, token: &str, variables: Value) -> Answer {
    server
        .call(MY_SECURITY_EVENTS)
        .bearer(token)
        .variables(variables)
        .await
}

/// All of the caller's events, newest first.
async fn events(server: &TestServer, token: &str) -> Vec<Value> {
    let answer = events_answer(server, token, json!({ "first": 200 })).await;
    assert!(!answer.has_errors(), "{}", answer.text());
    answer
        .data("mySecurityEvents")
        .as_array()
        .expect("a list")
        .clone()
}

/// The kinds of the caller's events, newest first.
async fn kinds(server: &TestServer, token: &str) -> Vec<String> {
    events(server, token)
        .await
        .iter()
        .map(|event| event["kind"].as_str().expect("a kind").to_owned())
        .collect()
}

/// The newest of the caller's events of `kind`.
async fn newest(server: &TestServer, token: &str, kind: &str) -> Value {
    events(server, token)
        .await
        .into_iter()
        .find(|event| event["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event"))
}

/// How many events are stored, whoever's.
async fn stored_count(server: &TestServer) -> i64 {
    let mut conn = server.app.pool.get().await.expect("connection");
    authql::store::security_events::count_all(&mut conn)
        .await
        .expect("count")
}

/// Waits for `kind` among the caller's events: a wrong password's event is
/// written after the answer.
async fn wait_for_kind(server: &TestServer, token: &str, kind: &str, count: usize) {
    for _ in 0..400 {
        let found = kinds(server, token).await;
        if found.iter().filter(|k| *k == kind).count() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{count} {kind} events never came");
}

async fn sign_ins_failures_and_logouts_are_recorded(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("ada", "right-password").await;
    let first = server.login("ada", "right-password").await;
    let token = access_token(&first);

    let signed_in = newest(&server, &token, "SIGNED_IN").await;
    assert_eq!(signed_in["detail"], "pwd");
    assert_eq!(signed_in["ipAddress"], CLIENT_IP);
    assert_eq!(signed_in["deviceName"], "test device");
    assert_eq!(signed_in["sessionId"], session_id(&first).as_str());
    assert_eq!(signed_in["reason"], Value::Null);

    let before_failures = stored_count(&server).await;
    let wrong = server
        .login_answer("ada", "typed-secret-guess", Some("phone"))
        .await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    wait_for_kind(&server, &token, "SIGN_IN_FAILED", 1).await;
    let failed = newest(&server, &token, "SIGN_IN_FAILED").await;
    assert_eq!(failed["ipAddress"], CLIENT_IP);
    assert_eq!(failed["sessionId"], Value::Null);
    assert_eq!(failed["detail"], Value::Null, "nothing typed is kept");
    assert!(!failed.to_string().contains("typed-secret-guess"));

    let unknown = server.login_answer("nobody", "whatever", None).await;
    assert_eq!(unknown.code(), "INVALID_CREDENTIALS");
    // Give a (wrong) detached write the time the known name's took.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        stored_count(&server).await,
        before_failures + 1,
        "only the existing name's failure is stored"
    );

    let second = server.login("ada", "right-password").await;
    let third = server.login("ada", "right-password").await;
    let logout = server.graphql_as(&access_token(&second), LOGOUT).await;
    assert_eq!(logout.data("logout"), true);
    let ended = newest(&server, &token, "SESSION_ENDED").await;
    assert_eq!(ended["reason"], "LOGOUT");
    assert_eq!(ended["sessionId"], session_id(&second).as_str());
    assert_eq!(ended["deviceName"], "test device");
    assert_eq!(ended["ipAddress"], CLIENT_IP);

    let all = server
        .call(LOGOUT_ALL)
        .bearer(&access_token(&third))
        .variables(json!({ "exceptCurrent": true }))
        .await;
    assert_eq!(all.data("logoutAll"), 1);
    let list = events(&server, &access_token(&third)).await;
    let ended_all: Vec<&Value> = list
        .iter()
        .filter(|event| event["reason"] == "LOGOUT_ALL")
        .collect();
    assert_eq!(ended_all.len(), 1, "one event per session ended");
    assert_eq!(ended_all[0]["sessionId"], session_id(&first).as_str());
    assert_eq!(
        kinds(&server, &access_token(&third)).await,
        [
            "SESSION_ENDED",
            "SESSION_ENDED",
            "SIGNED_IN",
            "SIGNED_IN",
            "SIGN_IN_FAILED",
            "SIGNED_IN"
        ],
        "newest first"
    );
}

async fn password_changes_and_refresh_reuse_are_recorded(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("bo", "first-password").await;
    let other = server.login("bo", "first-password").await;
    let mine = server.login("bo", "first-password").await;
    let token = access_token(&mine);
    let changed = server
        .call(CHANGE_PASSWORD)
        .bearer(&token)
        .variables(json!({ "input": {
            "currentPassword": "first-password",
            "newPassword": "second-password",
        } }))
        .await;
    assert!(!changed.has_errors(), "{}", changed.text());
    let list = events(&server, &token).await;
    // One transaction, one instant: the ends after the change they follow.
    assert_eq!(list[0]["kind"], "SESSION_ENDED");
    assert_eq!(list[0]["reason"], "PASSWORD_CHANGED");
    assert_eq!(list[0]["sessionId"], session_id(&other).as_str());
    assert_eq!(list[1]["kind"], "PASSWORD_CHANGED");
    assert_eq!(list[1]["sessionId"], session_id(&mine).as_str());
    assert_eq!(list[1]["ipAddress"], CLIENT_IP);
    assert_eq!(list[0]["at"], list[1]["at"], "the same instant");

    // A refresh within the rules writes nothing; a reuse past the grace
    // window is recorded with the session's end.
    let count = list.len();
    let rotated = server.refresh(&refresh_token(&mine)).await;
    assert!(!rotated.has_errors(), "{}", rotated.text());
    let new_token = rotated.data("refreshToken")["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(events(&server, &new_token).await.len(), count);
    server.advance(TimeDelta::seconds(11));
    let reused = server.refresh(&refresh_token(&mine)).await;
    assert_eq!(reused.code(), "REFRESH_TOKEN_REUSED");
    let reader = access_token(&server.login("bo", "second-password").await);
    let list = events(&server, &reader).await;
    assert_eq!(list[1]["kind"], "SESSION_ENDED");
    assert_eq!(list[1]["reason"], "REFRESH_REUSE");
    assert_eq!(list[2]["kind"], "REFRESH_TOKEN_REUSED");
    assert_eq!(list[2]["sessionId"], session_id(&mine).as_str());
    assert_eq!(list[2]["ipAddress"], CLIENT_IP);
}

async fn factor_changes_and_codes_are_recorded(backend: Backend) {
    let server = TestServer::start(backend).await;
    let with_totp = user_with_totp(&server, "cy").await;
    let token = access_token(&with_totp.session);
    let enabled = newest(&server, &token, "TOTP_ENABLED").await;
    assert_eq!(
        enabled["sessionId"],
        session_id(&with_totp.session).as_str()
    );
    assert_eq!(enabled["ipAddress"], CLIENT_IP);

    let regenerated = server.call(REGENERATE_RECOVERY_CODES).bearer(&token).await;
    let codes: Vec<String> = regenerated
        .data("regenerateRecoveryCodes")
        .as_array()
        .expect("codes")
        .iter()
        .map(|code| code.as_str().expect("a code").to_owned())
        .collect();
    assert_eq!(
        kinds(&server, &token).await[0],
        "RECOVERY_CODES_REGENERATED"
    );

    let mfa_token = first_step(&server, "cy", "tablet").await;
    let wrong = crate::factors::complete(&server, &mfa_token, json!({ "code": "000000" })).await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    wait_for_kind(&server, &token, "SIGN_IN_FAILED", 1).await;
    let done = server
        .call(COMPLETE_LOGIN)
        .variables(json!({ "input": { "mfaToken": mfa_token, "recoveryCode": codes[0] } }))
        .await;
    assert!(!done.has_errors(), "{}", done.text());
    let list = events(&server, &token).await;
    assert_eq!(list[0]["kind"], "SIGNED_IN");
    assert_eq!(list[0]["detail"], "pwd otp mfa", "the session's amr");
    assert_eq!(list[0]["deviceName"], "tablet");
    assert_eq!(list[1]["kind"], "RECOVERY_CODE_USED");
    assert_eq!(list[1]["deviceName"], "tablet");
    assert_eq!(list[1]["sessionId"], Value::Null);

    let disabled = server.call(DISABLE_TOTP).bearer(&token).await;
    assert_eq!(disabled.data("disableTotp"), true, "{}", disabled.text());
    assert_eq!(kinds(&server, &token).await[0], "TOTP_DISABLED");
}

async fn passkeys_added_used_and_removed_are_recorded(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut authenticator = SoftAuthenticator::new();
    let token =
        crate::passkeys::user_with_passkey(&server, "di", &mut authenticator, Flags::VERIFIED)
            .await;
    assert_eq!(kinds(&server, &token).await[0], "PASSKEY_ADDED");
    let signed_in = crate::passkeys::sign_in(&server, &mut authenticator, Flags::VERIFIED).await;
    assert!(!signed_in.has_errors(), "{}", signed_in.text());
    let event = newest(&server, &token, "SIGNED_IN").await;
    let mut methods: Vec<&str> = event["detail"]
        .as_str()
        .expect("a detail")
        .split(' ')
        .collect();
    methods.sort_unstable();
    assert_eq!(methods, ["hwk", "mfa"]);
    assert_eq!(event["deviceName"], "passkey device");

    // Removing a passkey takes a recent sign-in at level 2: the passkey's.
    let token = access_token(signed_in.data("finishPasskeyLogin"));
    let listed = server.graphql_as(&token, MY_PASSKEYS).await;
    let id = listed.data("myPasskeys")[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let removed = server
        .call(REMOVE_PASSKEY)
        .bearer(&token)
        .variables(json!({ "id": id }))
        .await;
    assert_eq!(removed.data("removePasskey"), true, "{}", removed.text());
    assert_eq!(kinds(&server, &token).await[0], "PASSKEY_REMOVED");
}

async fn address_changes_and_resets_are_recorded(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    add_user_with_email(&server, "eve", "eve@example.com").await;
    let session = server.login("eve", "first-password").await;
    let token = access_token(&session);
    let asked = server
        .call(CHANGE_EMAIL)
        .bearer(&token)
        .variables(json!({ "newEmail": "eve.new@example.com" }))
        .await;
    assert_eq!(asked.data("changeEmail"), true);
    assert_eq!(
        kinds(&server, &token).await,
        ["SIGNED_IN"],
        "nothing changed until the link is followed"
    );
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    let link = token_of(mail_to(&mails, "eve.new@example.com"), "verify-email");
    let verified = call_bool(&server, VERIFY_EMAIL, json!({ "token": link })).await;
    assert_eq!(verified.data("verifyEmail"), true);
    let changed = newest(&server, &token, "EMAIL_CHANGED").await;
    assert_eq!(changed["ipAddress"], CLIENT_IP);

    let asked = call_bool(
        &server,
        REQUEST_PASSWORD_RESET,
        json!({ "email": "eve.new@example.com" }),
    )
    .await;
    assert_eq!(asked.data("requestPasswordReset"), true);
    let mails = mail.wait_for(3, MAIL_WAIT).await;
    let reset_link = mails
        .iter()
        .filter(|m| m.to.iter().any(|to| to == "eve.new@example.com"))
        .find_map(|m| m.link().filter(|l| l.contains("reset-password")).map(|_| m))
        .and_then(|m| m.token())
        .expect("a reset mail")
        .to_owned();
    let reset = call_bool(
        &server,
        RESET_PASSWORD,
        json!({ "input": { "token": reset_link, "newPassword": "second-password" } }),
    )
    .await;
    assert_eq!(reset.data("resetPassword"), true, "{}", reset.text());
    let reader = access_token(&server.login("eve", "second-password").await);
    let list = kinds(&server, &reader).await;
    assert_eq!(
        list[..4],
        [
            "SIGNED_IN",
            "SESSION_ENDED",
            "PASSWORD_RESET",
            "EMAIL_CHANGED"
        ],
        "{list:?}"
    );
}

async fn pages_are_newest_first_and_before_must_be_ones_own(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("fay", "pw").await;
    server.add_user("gus", "pw").await;
    for _ in 0..4 {
        server.login("fay", "pw").await;
    }
    let fay = access_token(&server.login("fay", "pw").await);
    let gus = access_token(&server.login("gus", "pw").await);
    let all = events(&server, &fay).await;
    assert_eq!(all.len(), 5);
    let ats: Vec<chrono::DateTime<chrono::FixedOffset>> = all
        .iter()
        .map(|e| {
            chrono::DateTime::parse_from_rfc3339(e["at"].as_str().expect("at")).expect("RFC 3339")
        })
        .collect();
    assert!(
        ats.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {ats:?}"
    );

    let page = events_answer(&server, &fay, json!({ "first": 2 })).await;
    let page = page
        .data("mySecurityEvents")
        .as_array()
        .expect("a list")
        .clone();
    assert_eq!(page, all[..2]);
    let before = page[1]["id"].as_str().expect("an id");
    let next = events_answer(&server, &fay, json!({ "first": 2, "before": before })).await;
    assert_eq!(
        next.data("mySecurityEvents").as_array().expect("a list")[..],
        all[2..4]
    );
    let last = all[4]["id"].as_str().expect("an id");
    let after_last = events_answer(&server, &fay, json!({ "before": last })).await;
    assert_eq!(after_last.data("mySecurityEvents"), &json!([]));

    let gus_event = events(&server, &gus).await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    for (variables, what) in [
        (json!({ "before": gus_event }), "another user's event"),
        (json!({ "before": "not-an-event" }), "no event"),
        (
            json!({ "before": "AAAAAAAAAAAAAAAAAAAAAA" }),
            "an unknown id",
        ),
        (json!({ "first": 0 }), "first 0"),
        (json!({ "first": 201 }), "first 201"),
        (json!({ "first": -1 }), "first -1"),
    ] {
        let answer = events_answer(&server, &fay, variables).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{what}");
    }
    let anonymous = server.call(MY_SECURITY_EVENTS).variables(json!({})).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    // What a sign-in costs the database now (its event is one INSERT in
    // the login's transaction), for the record.
    let before = server.app.pool.usage().statements;
    server.login("fay", "pw").await;
    let statements = server.app.pool.usage().statements - before;
    eprintln!("statements per password login with its event: {statements}");
    // `me` writes nothing.
    let count = stored_count(&server).await;
    for _ in 0..3 {
        server.graphql_as(&fay, ME).await;
    }
    assert_eq!(stored_count(&server).await, count);
}

async fn events_of_one_instant_keep_their_order(backend: Backend) {
    // A cap of one: each login ends the session before it, in the same
    // transaction and instant as its own sign-in.
    let server = TestServer::builder()
        .backend(backend)
        .with_config(|c| c.max_sessions_per_user = 1)
        .start()
        .await;
    server.add_user("hal", "pw").await;
    let first = server.login("hal", "pw").await;
    let second = server.login("hal", "pw").await;
    let list = events(&server, &access_token(&second)).await;
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["kind"], "SIGNED_IN");
    assert_eq!(list[0]["sessionId"], session_id(&second).as_str());
    assert_eq!(list[1]["kind"], "SESSION_ENDED");
    assert_eq!(list[1]["reason"], "EVICTED");
    assert_eq!(list[1]["sessionId"], session_id(&first).as_str());
    assert_eq!(list[0]["at"], list[1]["at"], "one instant");
    // Paging through that instant keeps the order.
    let before = list[0]["id"].as_str().expect("an id");
    let next = events_answer(
        &server,
        &access_token(&second),
        json!({ "first": 1, "before": before }),
    )
    .await;
    assert_eq!(next.data("mySecurityEvents")[0], list[1]);
}

async fn events_are_deleted_after_the_retention(backend: Backend) {
    let server = TestServer::builder()
        .backend(backend)
        .with_var("SECURITY_EVENT_RETENTION_DAYS", "30")
        .start()
        .await;
    server.add_user("ivy", "pw").await;
    let first = server.login("ivy", "pw").await;
    server.advance(TimeDelta::days(29));
    let report = authql::core::prune::prune_once(&server.app)
        .await
        .expect("prune");
    assert_eq!(report.security_events, 0, "kept within the retention");
    let second = server.login("ivy", "pw").await;
    assert_eq!(events(&server, &access_token(&second)).await.len(), 2);
    server.advance(TimeDelta::days(1) + TimeDelta::seconds(1));
    let report = authql::core::prune::prune_once(&server.app)
        .await
        .expect("prune");
    assert_eq!(report.security_events, 1, "the first sign-in's event");
    let third = server.login("ivy", "pw").await;
    let left: Vec<Value> = events(&server, &access_token(&third))
        .await
        .iter()
        .map(|event| event["sessionId"].clone())
        .collect();
    assert_eq!(
        left,
        [json!(session_id(&third)), json!(session_id(&second))],
        "{} is gone",
        session_id(&first)
    );
}

both_backends!(
    sign_ins_failures_and_logouts_are_recorded,
    password_changes_and_refresh_reuse_are_recorded,
    factor_changes_and_codes_are_recorded,
    passkeys_added_used_and_removed_are_recorded,
    address_changes_and_resets_are_recorded,
    pages_are_newest_first_and_before_must_be_ones_own,
    events_of_one_instant_keep_their_order,
    events_are_deleted_after_the_retention,
);
