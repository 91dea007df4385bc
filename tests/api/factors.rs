//! Second factors and assurance: TOTP enrolment with codes computed by
//! otplib (an implementation independent of ours), the login's second step,
//! recovery codes, replay refusal, the throttle, recent authentication and
//! `reauthenticate`, and races between replicas on one code.

use std::sync::Arc;

use authql::config::JwtSecretSource;
use authql::secret::Secret;
use authql_testkit::documents::{
    ASSURANCE, CHANGE_PASSWORD, COMPLETE_LOGIN, CONFIRM_TOTP, DISABLE_TOTP, ENROLL_TOTP, LOGIN, ME,
    REAUTHENTICATE, REGENERATE_RECOVERY_CODES,
};
use authql_testkit::{
    Answer, Backend, TestServer, access_token, both_backends, join_answers, read_totp, session_id,
    totp_code,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::mail::{Logs, with_captured_logs};

const PASSWORD: &str = "first-password";

/// One TOTP step: codes of the next step are new to the replay rule.
pub(crate) fn next_step(server: &TestServer) {
    server.advance(TimeDelta::seconds(30));
}

/// The claims of a JWT, unverified (other tests check signatures).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

pub(crate) async fn call(
    server: &TestServer,
    token: &str,
    document: &str,
    variables: Value,
) -> Answer {
    server
        .call(document)
        .bearer(token)
        .variables(variables)
        .await
}

/// A user whose TOTP is on, with its otpauth URI, its recovery codes and
/// the session that turned it on (at aal 2).
pub(crate) struct WithTotp {
    pub(crate) uri: String,
    pub(crate) recovery_codes: Vec<String>,
    pub(crate) session: Value,
}

/// Adds `name` and turns TOTP on through a fresh session.
pub(crate) async fn user_with_totp(server: &TestServer, name: &str) -> WithTotp {
    server.add_user(name, PASSWORD).await;
    let session = server.login(name, PASSWORD).await;
    let token = access_token(&session);
    let enrolled = call(server, &token, ENROLL_TOTP, json!({})).await;
    let uri = enrolled.data("enrollTotp")["otpauthUri"]
        .as_str()
        .expect("a URI")
        .to_owned();
    let code = totp_code(&uri, server.now_unix());
    let confirmed = call(server, &token, CONFIRM_TOTP, json!({ "code": code })).await;
    let recovery_codes = confirmed
        .data("confirmTotp")
        .as_array()
        .expect("recovery codes")
        .iter()
        .map(|code| code.as_str().expect("a code").to_owned())
        .collect();
    WithTotp {
        uri,
        recovery_codes,
        session,
    }
}

/// Logs in with the right password of an account with TOTP on: the
/// `mfaToken` of its `MFA_REQUIRED`.
pub(crate) async fn first_step(server: &TestServer, name: &str, device: &str) -> String {
    let answer = server.login_answer(name, PASSWORD, Some(device)).await;
    assert_eq!(answer.code(), "MFA_REQUIRED", "{}", answer.text());
    answer.body["errors"][0]["extensions"]["mfaToken"]
        .as_str()
        .expect("an mfaToken")
        .to_owned()
}

pub(crate) async fn complete(server: &TestServer, mfa_token: &str, factor: Value) -> Answer {
    let mut input = json!({ "mfaToken": mfa_token });
    if let (Some(input), Some(factor)) = (input.as_object_mut(), factor.as_object()) {
        input.extend(factor.clone());
    }
    server
        .call(COMPLETE_LOGIN)
        .variables(json!({ "input": input }))
        .await
}

fn amr_of(session: &Value) -> Vec<String> {
    let mut amr: Vec<String> = session["amr"]
        .as_array()
        .expect("amr")
        .iter()
        .map(|name| name.as_str().expect("a name").to_owned())
        .collect();
    amr.sort();
    amr
}

fn extensions(answer: &Answer) -> &Value {
    &answer.body["errors"][0]["extensions"]
}

async fn totp_turns_on_with_a_code_from_another_implementation(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("ana:b", PASSWORD).await;
    let other = server.login("ana:b", PASSWORD).await;
    let session = server.login("ana:b", PASSWORD).await;
    let token = access_token(&session);
    assert_eq!(session["session"]["id"], session_id(&session));
    let before = claims(&token);
    assert_eq!(before["aal"], 1);
    assert_eq!(before["amr"], json!(["pwd"]));

    let enrolled = call(&server, &token, ENROLL_TOTP, json!({})).await;
    let enrolment = enrolled.data("enrollTotp");
    let secret = enrolment["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32 without padding");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    let uri = enrolment["otpauthUri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/authql:ana%3Ab?secret=") && uri.ends_with("&issuer=authql"),
        "{uri}"
    );
    let reading = read_totp(uri, server.now_unix());
    assert_eq!(reading.label, "authql:ana:b", "the app shows ISSUER:NAME");
    assert_eq!(reading.issuer, "authql");

    let wrong = format!(
        "{:06}",
        (reading.code.parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let refused = call(&server, &token, CONFIRM_TOTP, json!({ "code": wrong })).await;
    assert_eq!(refused.code(), "INVALID_CREDENTIALS");
    let status = call(&server, &token, ASSURANCE, json!({})).await;
    assert_eq!(
        status.data("me")["mfa"]["totp"],
        false,
        "not on after a wrong code"
    );

    let confirmed = call(
        &server,
        &token,
        CONFIRM_TOTP,
        json!({ "code": reading.code }),
    )
    .await;
    let codes = confirmed.data("confirmTotp").as_array().unwrap().clone();
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::BTreeSet<_> = codes.iter().map(|c| c.to_string()).collect();
    assert_eq!(distinct.len(), 10);

    let status = call(&server, &token, ASSURANCE, json!({})).await;
    assert_eq!(
        status.data("me")["mfa"],
        json!({ "totp": true, "recoveryCodesLeft": 10 })
    );
    let sessions = status.data("mySessions").as_array().unwrap().clone();
    let this = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(this["aal"], 2, "confirmTotp raises the calling session");
    assert_eq!(amr_of(this), ["mfa", "otp", "pwd"]);
    let that = sessions.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(that["id"], session_id(&other));
    assert_eq!(that["aal"], 1, "other sessions stay as they were");
    assert_eq!(amr_of(that), ["pwd"]);

    // The old token keeps its claims; /auth/verify shows the session now,
    // and so does a token issued after the raise.
    assert_eq!(claims(&token)["aal"], 1);
    let verify = server
        .request(
            "GET",
            "/auth/verify",
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(verify.status, 200);
    assert_eq!(verify.header("x-auth-aal"), "2");
    assert_eq!(verify.body["aal"], 2);
    let refreshed = server
        .refresh(session["refreshToken"].as_str().unwrap())
        .await;
    let new_claims = claims(
        refreshed.data("refreshToken")["accessToken"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(new_claims["aal"], 2);
    let mut amr: Vec<_> = new_claims["amr"].as_array().unwrap().clone();
    amr.sort_by_key(|v| v.to_string());
    assert_eq!(amr, [json!("mfa"), json!("otp"), json!("pwd")]);
    assert!(new_claims["auth_time"].as_i64().unwrap() >= before["auth_time"].as_i64().unwrap());

    let stored: Option<String> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = server.app.pool.get().await.unwrap();
        authql::with_conn!(&mut conn, |c| {
            authql::store::schema::users::table
                .select(authql::store::schema::users::totp_secret)
                .first::<Option<String>>(c)
                .await
        })
        .unwrap()
    };
    let stored = stored.expect("a stored secret");
    assert!(!stored.contains(secret), "the secret is sealed at rest");
    let stored_codes: Vec<String> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = server.app.pool.get().await.unwrap();
        authql::with_conn!(&mut conn, |c| {
            authql::store::schema::recovery_codes::table
                .select(authql::store::schema::recovery_codes::code_hash)
                .load::<String>(c)
                .await
        })
        .unwrap()
    };
    assert_eq!(stored_codes.len(), 10);
    for code in &codes {
        let bare = code.as_str().unwrap().replace('-', "");
        assert!(
            stored_codes
                .iter()
                .all(|hash| !hash.contains(&bare) && hash.len() == 64),
            "recovery codes are kept only hashed"
        );
    }
}

async fn login_with_totp_takes_a_second_step(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ana = user_with_totp(&server, "ana").await;
    let user_id = ana.session["user"]["id"].as_str().unwrap().to_owned();
    let open_before = server.open_session_count(&user_id).await;

    let answer = server
        .login_answer("ana", PASSWORD, Some("Ana's laptop"))
        .await;
    assert_eq!(answer.code(), "MFA_REQUIRED");
    let ext = extensions(&answer);
    assert_eq!(ext["factors"], json!(["TOTP", "RECOVERY_CODE"]));
    let mfa_token = ext["mfaToken"].as_str().unwrap().to_owned();
    assert!(answer.body["data"].is_null(), "{}", answer.text());
    assert_eq!(
        server.open_session_count(&user_id).await,
        open_before,
        "no session yet"
    );
    let wrong_password = server.login_answer("ana", "wrong-password", None).await;
    assert_eq!(
        wrong_password.code(),
        "INVALID_CREDENTIALS",
        "no second step for a wrong password"
    );

    for (factor, why) in [
        (json!({}), "neither"),
        (json!({ "code": "123456", "recoveryCode": "abcd" }), "both"),
        (json!({ "code": "" }), "empty"),
        (json!({ "code": "1".repeat(65) }), "over-long"),
    ] {
        let refused = complete(&server, &mfa_token, factor).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{why}");
    }
    let made_up = complete(&server, &"x".repeat(43), json!({ "code": "123456" })).await;
    assert_eq!(made_up.code(), "INVALID_TOKEN");

    next_step(&server);
    let code = totp_code(&ana.uri, server.now_unix());
    let done = complete(&server, &mfa_token, json!({ "code": code })).await;
    let payload = done.data("completeLogin");
    assert_eq!(payload["session"]["aal"], 2);
    assert_eq!(amr_of(&payload["session"]), ["mfa", "otp", "pwd"]);
    assert_eq!(
        payload["session"]["deviceInfo"], "Ana's laptop",
        "bound to the login's device label"
    );
    assert!(
        payload["refreshToken"].is_string(),
        "the login's BODY delivery"
    );
    let token_claims = claims(payload["accessToken"].as_str().unwrap());
    assert_eq!(token_claims["aal"], 2);
    assert!(
        server
            .is_live(payload["accessToken"].as_str().unwrap())
            .await
    );
    assert_eq!(server.open_session_count(&user_id).await, open_before + 1);

    let again = complete(&server, &mfa_token, json!({ "code": code })).await;
    assert_eq!(
        again.code(),
        "INVALID_TOKEN",
        "an mfaToken is used up by its session"
    );

    // The same code (and any older one) with a new login: refused.
    let second = first_step(&server, "ana", "tablet").await;
    let replay = complete(&server, &second, json!({ "code": code })).await;
    assert_eq!(
        replay.code(),
        "INVALID_CREDENTIALS",
        "a code is accepted once"
    );
    let message = replay.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("code"),
        "a message about the code: {message}"
    );
    let older = totp_code(&ana.uri, server.now_unix() - 30);
    let older = complete(&server, &second, json!({ "code": older })).await;
    assert_eq!(
        older.code(),
        "INVALID_CREDENTIALS",
        "a step before the last accepted"
    );
    // The window is the step before, the current one and the one after:
    // two steps ahead is refused, the next step's code is taken.
    let too_far = totp_code(&ana.uri, server.now_unix() + 60);
    let too_far = complete(&server, &second, json!({ "code": too_far })).await;
    assert_eq!(too_far.code(), "INVALID_CREDENTIALS", "two steps ahead");
    let ahead = totp_code(&ana.uri, server.now_unix() + 30);
    let fresh = complete(&server, &second, json!({ "code": ahead })).await;
    assert_eq!(
        fresh.data("completeLogin")["session"]["deviceInfo"],
        "tablet"
    );
    next_step(&server);

    // The cookie delivery goes through the second step.
    let cookie_login = server
        .call(LOGIN)
        .variables(json!({ "input": {
            "userName": "ana", "password": PASSWORD, "refreshTokenDelivery": "COOKIE"
        } }))
        .await;
    assert_eq!(cookie_login.code(), "MFA_REQUIRED");
    let cookie_token = extensions(&cookie_login)["mfaToken"]
        .as_str()
        .unwrap()
        .to_owned();
    next_step(&server);
    let code = totp_code(&ana.uri, server.now_unix());
    let with_cookie = complete(&server, &cookie_token, json!({ "code": code })).await;
    assert!(with_cookie.data("completeLogin")["refreshToken"].is_null());
    assert!(
        with_cookie
            .header("set-cookie")
            .starts_with("authql_refresh="),
        "{}",
        with_cookie.header("set-cookie")
    );

    // Expired after 5 minutes.
    let late = first_step(&server, "ana", "late").await;
    server.advance(TimeDelta::seconds(301));
    let code = totp_code(&ana.uri, server.now_unix());
    let expired = complete(&server, &late, json!({ "code": code })).await;
    assert_eq!(expired.code(), "INVALID_TOKEN");
}

async fn wrong_codes_count_as_failed_logins_and_kill_the_token(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.login_max_failures = 8).await;
    let ana = user_with_totp(&server, "ana").await;
    let mfa_token = first_step(&server, "ana", "laptop").await;
    next_step(&server);
    let right = totp_code(&ana.uri, server.now_unix());
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    for attempt in 1..=5 {
        let refused = complete(&server, &mfa_token, json!({ "code": wrong })).await;
        assert_eq!(
            refused.code(),
            "INVALID_CREDENTIALS",
            "wrong code {attempt}"
        );
    }
    let dead = complete(&server, &mfa_token, json!({ "code": right })).await;
    assert_eq!(dead.code(), "INVALID_TOKEN", "dead after five wrong codes");

    // The right password does not clear the name's failures while TOTP is
    // on (else each login would buy five more guesses at the code).
    let second = first_step(&server, "ana", "laptop").await;
    for attempt in 6..=8 {
        let refused = complete(
            &server,
            &second,
            json!({ "recoveryCode": "aaaa-bbbb-cccc-dddd" }),
        )
        .await;
        assert_eq!(
            refused.code(),
            "INVALID_CREDENTIALS",
            "wrong code {attempt}"
        );
    }
    let locked = complete(&server, &second, json!({ "code": right })).await;
    assert_eq!(
        locked.code(),
        "TOO_MANY_ATTEMPTS",
        "eight failures for the name"
    );
    let login = server.login_answer("ana", PASSWORD, None).await;
    assert_eq!(
        login.code(),
        "TOO_MANY_ATTEMPTS",
        "wrong codes count as failed logins"
    );
    assert!(extensions(&login)["retryAfter"].as_u64().unwrap() > 0);
}

async fn recovery_codes_are_each_used_once_and_regenerated_as_a_set(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ana = user_with_totp(&server, "ana").await;
    let code = &ana.recovery_codes[3];
    let first = first_step(&server, "ana", "phone").await;
    let typed = code.to_uppercase().replace('-', " ");
    let done = complete(&server, &first, json!({ "recoveryCode": typed })).await;
    let payload = done.data("completeLogin").clone();
    assert_eq!(payload["session"]["aal"], 2);
    assert_eq!(amr_of(&payload["session"]), ["mfa", "otp", "pwd"]);

    let second = first_step(&server, "ana", "phone").await;
    let reused = complete(&server, &second, json!({ "recoveryCode": code })).await;
    assert_eq!(reused.code(), "INVALID_CREDENTIALS", "each code once");
    let token = access_token(&payload);
    let status = call(&server, &token, ASSURANCE, json!({})).await;
    assert_eq!(status.data("me")["mfa"]["recoveryCodesLeft"], 9);

    let renewed = call(&server, &token, REGENERATE_RECOVERY_CODES, json!({})).await;
    let new_codes = renewed
        .data("regenerateRecoveryCodes")
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(new_codes.len(), 10);
    assert!(
        new_codes
            .iter()
            .all(|c| !ana.recovery_codes.contains(&c.as_str().unwrap().to_owned()))
    );
    let old_unused = complete(
        &server,
        &second,
        json!({ "recoveryCode": ana.recovery_codes[0] }),
    )
    .await;
    assert_eq!(
        old_unused.code(),
        "INVALID_CREDENTIALS",
        "the old set is gone"
    );
    let new_one = complete(&server, &second, json!({ "recoveryCode": new_codes[0] })).await;
    assert_eq!(new_one.data("completeLogin")["session"]["aal"], 2);
    let status = call(&server, &token, ASSURANCE, json!({})).await;
    assert_eq!(status.data("me")["mfa"]["recoveryCodesLeft"], 9);
}

async fn recent_authentication_and_reauthenticate(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("ana", PASSWORD).await;
    let first = server.login("ana", PASSWORD).await;
    let old_token = access_token(&first);
    server.advance(TimeDelta::seconds(301));

    let stale = call(&server, &old_token, ENROLL_TOTP, json!({})).await;
    assert_eq!(stale.code(), "REAUTHENTICATION_REQUIRED");
    assert_eq!(extensions(&stale)["requiredAal"], 1);
    assert_eq!(extensions(&stale)["maxAgeSecs"], 300);

    let wrong = call(
        &server,
        &old_token,
        REAUTHENTICATE,
        json!({ "input": { "password": "nope-nope-nope" } }),
    )
    .await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    let both = call(
        &server,
        &old_token,
        REAUTHENTICATE,
        json!({ "input": { "password": PASSWORD, "code": "123456" } }),
    )
    .await;
    assert_eq!(both.code(), "BAD_USER_INPUT");
    let code_without_totp = call(
        &server,
        &old_token,
        REAUTHENTICATE,
        json!({ "input": { "code": "123456" } }),
    )
    .await;
    assert_eq!(code_without_totp.code(), "INVALID_CREDENTIALS");
    let before = server.now_unix();
    let reauth = call(
        &server,
        &old_token,
        REAUTHENTICATE,
        json!({ "input": { "password": PASSWORD } }),
    )
    .await;
    let payload = reauth.data("reauthenticate").clone();
    assert_eq!(payload["session"]["id"], session_id(&first));
    assert_eq!(payload["session"]["aal"], 1);
    assert_eq!(amr_of(&payload["session"]), ["pwd"]);
    let new_token = payload["accessToken"].as_str().unwrap().to_owned();
    assert!(claims(&new_token)["auth_time"].as_i64().unwrap() >= before);
    assert!(payload["expiresIn"].as_i64().unwrap() > 0);

    // A second session, opened before TOTP is on: it stays at aal 1.
    let before_totp = server.login("ana", PASSWORD).await;
    // The first session passes now, whatever token it sends: the row decides.
    let enrolled = call(&server, &old_token, ENROLL_TOTP, json!({})).await;
    let uri = enrolled.data("enrollTotp")["otpauthUri"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = totp_code(&uri, server.now_unix());
    call(&server, &new_token, CONFIRM_TOTP, json!({ "code": code }))
        .await
        .data("confirmTotp");

    // A session opened before TOTP was on (aal 1): the password alone no
    // longer re-authenticates, nor changes the password, nor turns TOTP off.
    let stolen = server.login_answer("ana", PASSWORD, None).await;
    assert_eq!(stolen.code(), "MFA_REQUIRED");
    let aal1 = &access_token(&before_totp);
    for (document, variables) in [
        (DISABLE_TOTP, json!({})),
        (REGENERATE_RECOVERY_CODES, json!({})),
        (ENROLL_TOTP, json!({})),
    ] {
        let refused = call(&server, aal1, document, variables).await;
        assert_eq!(refused.code(), "REAUTHENTICATION_REQUIRED", "{document}");
        assert_eq!(extensions(&refused)["requiredAal"], 2, "{document}");
    }
    let by_password = call(
        &server,
        aal1,
        REAUTHENTICATE,
        json!({ "input": { "password": PASSWORD } }),
    )
    .await;
    assert_eq!(
        by_password.code(),
        "REAUTHENTICATION_REQUIRED",
        "a stolen session plus the password is not enough"
    );
    assert_eq!(extensions(&by_password)["requiredAal"], 2);
    let change = call(
        &server,
        aal1,
        CHANGE_PASSWORD,
        json!({ "input": { "currentPassword": PASSWORD, "newPassword": "second-password" } }),
    )
    .await;
    assert_eq!(change.code(), "REAUTHENTICATION_REQUIRED");
    assert_eq!(extensions(&change)["requiredAal"], 2);

    next_step(&server);
    let code = totp_code(&uri, server.now_unix());
    let raised = call(
        &server,
        aal1,
        REAUTHENTICATE,
        json!({ "input": { "code": code } }),
    )
    .await;
    let raised = raised.data("reauthenticate");
    assert_eq!(raised["session"]["aal"], 2);
    assert_eq!(amr_of(&raised["session"]), ["mfa", "otp", "pwd"]);

    // Recent at aal 2, then too old again.
    server.advance(TimeDelta::seconds(301));
    let too_old = call(&server, aal1, DISABLE_TOTP, json!({})).await;
    assert_eq!(too_old.code(), "REAUTHENTICATION_REQUIRED");
    assert_eq!(extensions(&too_old)["requiredAal"], 2);
    next_step(&server);
    let code = totp_code(&uri, server.now_unix());
    call(
        &server,
        aal1,
        REAUTHENTICATE,
        json!({ "input": { "code": code } }),
    )
    .await
    .data("reauthenticate");
    let changed = call(
        &server,
        aal1,
        CHANGE_PASSWORD,
        json!({ "input": { "currentPassword": PASSWORD, "newPassword": "second-password", "endOtherSessions": false } }),
    )
    .await;
    assert_eq!(changed.data("changePassword"), 0);
    let off = call(&server, aal1, DISABLE_TOTP, json!({})).await;
    assert_eq!(off.data("disableTotp"), true);
    let status = call(&server, aal1, ASSURANCE, json!({})).await;
    assert_eq!(
        status.data("me")["mfa"],
        json!({ "totp": false, "recoveryCodesLeft": 0 })
    );
    let plain = server.login("ana", "second-password").await;
    assert_eq!(plain["session"]["id"].as_str().map(str::len), Some(22));
    assert!(
        server.is_live(&access_token(&plain)).await,
        "TOTP off: one step again"
    );
}

async fn a_change_between_the_steps_leaves_the_token_worthless(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ana = user_with_totp(&server, "ana").await;
    let pending = first_step(&server, "ana", "old").await;
    // The owner, at aal 2 and recent, changes the password meanwhile.
    let token = access_token(&ana.session);
    let changed = call(
        &server,
        &token,
        CHANGE_PASSWORD,
        json!({ "input": { "currentPassword": PASSWORD, "newPassword": "second-password" } }),
    )
    .await;
    assert_eq!(changed.data("changePassword"), 0);
    next_step(&server);
    let code = totp_code(&ana.uri, server.now_unix());
    let refused = complete(&server, &pending, json!({ "code": code })).await;
    assert_eq!(
        refused.code(),
        "INVALID_CREDENTIALS",
        "the password it proved is gone"
    );

    let disabled_after = server.login_answer("ana", "second-password", None).await;
    let mfa_token = extensions(&disabled_after)["mfaToken"]
        .as_str()
        .unwrap()
        .to_owned();
    authql::core::users::disable_user(&server.app.pool, "ana")
        .await
        .unwrap();
    next_step(&server);
    let code = totp_code(&ana.uri, server.now_unix());
    let disabled = complete(&server, &mfa_token, json!({ "code": code })).await;
    assert_eq!(disabled.code(), "ACCOUNT_DISABLED");
}

async fn another_jwt_secret_opens_no_totp_secret(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ana = user_with_totp(&server, "ana").await;
    let rotated = server
        .second()
        .with_config(|c| {
            c.jwt_secret =
                JwtSecretSource::Given(Secret::from("another-secret-another-secret-0123456789"))
        })
        .serve();
    let mfa_token = first_step(&rotated, "ana", "laptop").await;
    next_step(&server);
    let code = totp_code(&ana.uri, server.now_unix());
    let refused = complete(&rotated, &mfa_token, json!({ "code": code })).await;
    assert_eq!(
        refused.code(),
        "INVALID_CREDENTIALS",
        "a copy of the rows alone makes no code"
    );
    let recovered = complete(
        &rotated,
        &mfa_token,
        json!({ "recoveryCode": ana.recovery_codes[0] }),
    )
    .await;
    assert_eq!(
        recovered.data("completeLogin")["session"]["aal"],
        2,
        "recovery codes still work"
    );
}

async fn one_code_through_two_replicas_at_once_opens_one_session(backend: Backend) {
    let server = TestServer::start(backend).await;
    let replica = server.second_server();
    let ana = user_with_totp(&server, "ana").await;
    for factor in ["code", "recoveryCode"] {
        let tokens = [
            first_step(&server, "ana", "one").await,
            first_step(&replica, "ana", "two").await,
        ];
        next_step(&server);
        let value = match factor {
            "code" => totp_code(&ana.uri, server.now_unix()),
            _ => ana.recovery_codes[5].clone(),
        };
        let start = Arc::new(Barrier::new(2));
        let handles = [(&server, &tokens[0]), (&replica, &tokens[1])]
            .into_iter()
            .map(|(on, mfa_token)| {
                on.call(COMPLETE_LOGIN)
                    .variables(json!({ "input": { "mfaToken": mfa_token, factor: value } }))
                    .spawn_after(start.clone())
            })
            .collect();
        let answers = join_answers(handles).await;
        let opened = answers.iter().filter(|a| !a.has_errors()).count();
        let refused: Vec<_> = answers.iter().filter_map(|a| a.first_code()).collect();
        assert_eq!(opened, 1, "{factor}: one session: {answers:?}");
        assert_eq!(refused, ["INVALID_CREDENTIALS"], "{factor}");
    }
}

async fn a_refused_second_step_leaves_open_sessions_alone(backend: Backend) {
    // A failed second step changes nothing for the sessions already open.
    let server = TestServer::start(backend).await;
    let ana = user_with_totp(&server, "ana").await;
    let token = access_token(&ana.session);
    let mfa_token = first_step(&server, "ana", "x").await;
    let refused = complete(&server, &mfa_token, json!({ "code": "000000" })).await;
    assert!(refused.has_errors());
    let me = call(&server, &token, ME, json!({})).await;
    assert_eq!(me.data("me")["userName"], "ana");
}

/// Code-checking fields count as password-checking ones: two in one
/// request (aliases, or completeLogin beside confirmTotp) run nothing.
async fn several_code_fields_in_one_request_are_refused_whole(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ana = user_with_totp(&server, "ana").await;
    let mfa_token = first_step(&server, "ana", "laptop").await;
    next_step(&server);
    let code = totp_code(&ana.uri, server.now_unix());
    let field = |alias: &str| {
        format!(
            "{alias}: completeLogin(input: {{mfaToken: \"{mfa_token}\", code: \"{code}\"}}) {{ accessToken }}"
        )
    };
    for document in [
        format!("mutation {{ {} {} }}", field("a"), field("b")),
        format!(
            "mutation {{ {} confirmTotp(code: \"{code}\") }}",
            field("a")
        ),
        format!(
            "mutation {{ {} reauthenticate(input: {{code: \"{code}\"}}) {{ accessToken }} }}",
            field("a")
        ),
    ] {
        let refused = server.graphql(&document, json!({})).await;
        assert_eq!(refused.code(), "GRAPHQL_VALIDATION_FAILED", "{document}");
        assert!(refused.body["data"].is_null());
    }
    let one = complete(&server, &mfa_token, json!({ "code": code })).await;
    assert_eq!(
        one.data("completeLogin")["session"]["aal"],
        2,
        "nothing ran: neither the token nor the code was used"
    );
}

/// Nothing secret of a second factor reaches the log, at the most verbose
/// level: not the mfaToken, the codes, the recovery codes or the secret.
async fn second_factor_secrets_stay_out_of_the_log(backend: Backend, logs: Logs) {
    let server = TestServer::start(backend).await;
    let ana = user_with_totp(&server, "ana").await;
    let mfa_token = first_step(&server, "ana", "laptop").await;
    next_step(&server);
    let wrong = complete(&server, &mfa_token, json!({ "code": "000000" })).await;
    assert!(wrong.has_errors());
    let code = totp_code(&ana.uri, server.now_unix());
    let done = complete(&server, &mfa_token, json!({ "code": code })).await;
    let token = access_token(done.data("completeLogin"));
    let second = first_step(&server, "ana", "phone").await;
    complete(
        &server,
        &second,
        json!({ "recoveryCode": ana.recovery_codes[1] }),
    )
    .await
    .data("completeLogin");
    let renewed = call(&server, &token, REGENERATE_RECOVERY_CODES, json!({})).await;
    let new_codes = renewed.data("regenerateRecoveryCodes").clone();
    let secret = ana
        .uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logged.contains("second factor refused"),
        "the log is captured: {logged}"
    );
    let mut secrets = vec![mfa_token, second, code, secret.to_owned()];
    secrets.extend(ana.recovery_codes.iter().cloned());
    secrets.extend(
        new_codes
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned()),
    );
    for secret in secrets {
        assert!(!logged.contains(&secret), "the log shows {secret:?}");
    }
}

mod second_factor_secrets_stay_out_of_the_log {
    use super::*;

    #[test]
    fn sqlite() {
        with_captured_logs(|logs| second_factor_secrets_stay_out_of_the_log(Backend::Sqlite, logs));
    }

    #[test]
    fn mysql() {
        if authql_testkit::mysql_server_url().is_some() {
            with_captured_logs(|logs| {
                second_factor_secrets_stay_out_of_the_log(Backend::Mysql, logs)
            });
        }
    }
}

both_backends!(
    totp_turns_on_with_a_code_from_another_implementation,
    login_with_totp_takes_a_second_step,
    wrong_codes_count_as_failed_logins_and_kill_the_token,
    recovery_codes_are_each_used_once_and_regenerated_as_a_set,
    recent_authentication_and_reauthenticate,
    a_change_between_the_steps_leaves_the_token_worthless,
    another_jwt_secret_opens_no_totp_secret,
    one_code_through_two_replicas_at_once_opens_one_session,
    a_refused_second_step_leaves_open_sessions_alone,
    several_code_fields_in_one_request_are_refused_whole,
);
