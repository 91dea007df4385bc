//! Passkeys: registration and discoverable sign-in with the kit's software
//! authenticator (itself proved against @simplewebauthn/server in
//! `passkey_kit`), authql's options and the authenticator's answers checked
//! by @simplewebauthn/server too, and every refusal of the contract's
//! "Passkeys" section: origin, relying-party id, another key, another
//! user's handle, an unknown credential, a replayed or expired ceremony, a
//! counter going backwards, the address throttle, and recent
//! authentication. The server's defaults: rp id `localhost`, origin
//! `http://localhost:8080`.

use authql_testkit::documents::{
    ASSURANCE, BEGIN_PASSKEY_LOGIN, BEGIN_PASSKEY_REGISTRATION, CONFIRM_TOTP, ENROLL_TOTP,
    FINISH_PASSKEY_LOGIN, FINISH_PASSKEY_REGISTRATION, LOGIN, MY_PASSKEYS, REAUTHENTICATE,
    REMOVE_PASSKEY, RENAME_PASSKEY,
};
use authql_testkit::{
    Answer, AuthenticatorError, Backend, Expected, Flags, SoftAuthenticator, Tampering, TestServer,
    access_token, both_backends, simplewebauthn_verify_authentication,
    simplewebauthn_verify_registration, totp_code,
};
use chrono::TimeDelta;
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost:8080";
const PASSWORD: &str = "first-password";

pub(crate) async fn call(
    server: &TestServer,
    token: Option<&str>,
    document: &str,
    variables: Value,
) -> Answer {
    let call = server.call(document).variables(variables);
    match token {
        Some(token) => call.bearer(token).await,
        None => call.await,
    }
}

/// A ceremony begun: its id and its options (JSON text).
pub(crate) struct Ceremony {
    challenge_id: String,
    options: String,
}

pub(crate) fn ceremony(answer: &Answer, field: &str) -> Ceremony {
    let begun = answer.data(field);
    Ceremony {
        challenge_id: begun["challengeId"]
            .as_str()
            .expect("challengeId")
            .to_owned(),
        options: begun["options"].as_str().expect("options").to_owned(),
    }
}

async fn begin_registration(server: &TestServer, token: &str) -> Answer {
    call(server, Some(token), BEGIN_PASSKEY_REGISTRATION, json!({})).await
}

async fn finish_registration(
    server: &TestServer,
    token: &str,
    begun: &Ceremony,
    credential: &str,
    label: Option<&str>,
) -> Answer {
    let input =
        json!({ "challengeId": begun.challenge_id, "credential": credential, "label": label });
    call(
        server,
        Some(token),
        FINISH_PASSKEY_REGISTRATION,
        json!({ "input": input }),
    )
    .await
}

pub(crate) async fn begin_login(server: &TestServer) -> Ceremony {
    ceremony(
        &call(server, None, BEGIN_PASSKEY_LOGIN, json!({})).await,
        "beginPasskeyLogin",
    )
}

pub(crate) async fn finish_login(
    server: &TestServer,
    begun: &Ceremony,
    credential: &str,
) -> Answer {
    let input = json!({ "challengeId": begun.challenge_id, "credential": credential, "deviceInfo": "passkey device" });
    call(
        server,
        None,
        FINISH_PASSKEY_LOGIN,
        json!({ "input": input }),
    )
    .await
}

/// A sign-in with `authenticator`'s passkey, from a fresh ceremony.
pub(crate) async fn sign_in(
    server: &TestServer,
    authenticator: &mut SoftAuthenticator,
    flags: Flags,
) -> Answer {
    let begun = begin_login(server).await;
    let answer = authenticator
        .sign_in(&begun.options, ORIGIN, flags)
        .expect("an assertion");
    finish_login(server, &begun, &answer).await
}

/// A user signed in with a password, who then adds a passkey on
/// `authenticator`; returns the password session's access token.
pub(crate) async fn user_with_passkey(
    server: &TestServer,
    name: &str,
    authenticator: &mut SoftAuthenticator,
    flags: Flags,
) -> String {
    server.add_user(name, PASSWORD).await;
    let token = access_token(&server.login(name, PASSWORD).await);
    add_passkey(server, &token, authenticator, flags).await;
    token
}

/// Adds a passkey on `authenticator` in the session of `token` (signed in
/// recently enough).
pub(crate) async fn add_passkey(
    server: &TestServer,
    token: &str,
    authenticator: &mut SoftAuthenticator,
    flags: Flags,
) {
    let begun = ceremony(
        &begin_registration(server, token).await,
        "beginPasskeyRegistration",
    );
    let credential = authenticator
        .register(&begun.options, ORIGIN, flags)
        .expect("a credential");
    let added = finish_registration(server, token, &begun, &credential, Some("Laptop")).await;
    assert!(!added.has_errors(), "{}", added.text());
}

/// The error code of a sign-in with `authenticator`'s passkey.
async fn code_of_sign_in(
    server: &TestServer,
    authenticator: &mut SoftAuthenticator,
    flags: Flags,
) -> String {
    sign_in(server, authenticator, flags)
        .await
        .code()
        .to_owned()
}

/// `reauthenticate`'s input with a passkey's answer to a fresh ceremony.
async fn passkey_proof(server: &TestServer, authenticator: &mut SoftAuthenticator) -> Value {
    let begun = begin_login(server).await;
    let answer = authenticator
        .sign_in(&begun.options, ORIGIN, Flags::VERIFIED)
        .expect("an assertion");
    json!({ "passkey": { "challengeId": begun.challenge_id, "credential": answer } })
}

fn sorted_amr(session: &Value) -> Vec<String> {
    let mut amr: Vec<String> = session["amr"]
        .as_array()
        .expect("amr")
        .iter()
        .map(|method| method.as_str().expect("a method").to_owned())
        .collect();
    amr.sort();
    amr
}

async fn a_passkey_registers_and_signs_in_without_a_password(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("pia", PASSWORD).await;
    let token = access_token(&server.login("pia", PASSWORD).await);
    let begun = ceremony(
        &begin_registration(&server, &token).await,
        "beginPasskeyRegistration",
    );
    let options: Value = serde_json::from_str(&begun.options).expect("options JSON");
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], "pia");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "preferred"
    );
    assert_eq!(options["attestation"], "none");
    assert_eq!(options["excludeCredentials"], json!([]));

    let mut authenticator = SoftAuthenticator::new();
    let credential = authenticator
        .register(&begun.options, ORIGIN, Flags::VERIFIED)
        .expect("a credential");
    // An independent relying party accepts our options and this answer.
    let expected = Expected {
        origin: ORIGIN,
        rp_id: "localhost",
        require_user_verification: true,
    };
    let independent = simplewebauthn_verify_registration(&begun.options, &credential, expected)
        .expect("simplewebauthn verifies the registration");
    let added = finish_registration(&server, &token, &begun, &credential, Some(" Laptop ")).await;
    let passkey = added.data("finishPasskeyRegistration");
    assert_eq!(passkey["label"], "Laptop");
    assert_eq!(passkey["backedUp"], false);
    assert_eq!(passkey["lastUsedAt"], Value::Null);
    let listed = call(&server, Some(&token), MY_PASSKEYS, json!({})).await;
    assert_eq!(listed.data("myPasskeys").as_array().map(Vec::len), Some(1));
    assert_eq!(listed.data("me")["mfa"]["passkeys"], 1);

    // Sign-in: no user name, no credential list.
    let login = begin_login(&server).await;
    let request: Value = serde_json::from_str(&login.options).expect("options JSON");
    assert_eq!(request["rpId"], "localhost");
    assert_eq!(request["userVerification"], "preferred");
    assert!(
        request["allowCredentials"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{request}"
    );
    let assertion = authenticator
        .sign_in(&login.options, ORIGIN, Flags::VERIFIED)
        .expect("an assertion");
    simplewebauthn_verify_authentication(
        &login.options,
        &assertion,
        expected,
        &independent.credential,
    )
    .expect("simplewebauthn verifies the assertion");
    let signed_in = finish_login(&server, &login, &assertion).await;
    let payload = signed_in.data("finishPasskeyLogin");
    assert_eq!(payload["user"]["userName"], "pia");
    // A passkey's sign-in sets the device cookie, as every sign-in does.
    let device_cookie = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("authql_device="))
        .map(str::to_owned);
    assert!(
        device_cookie.is_some_and(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax")),
        "{:?}",
        signed_in.headers
    );
    assert_eq!(payload["session"]["aal"], 2);
    assert_eq!(payload["session"]["deviceInfo"], "passkey device");
    assert_eq!(sorted_amr(&payload["session"]), ["hwk", "mfa"]);
    let listed = call(
        &server,
        Some(&access_token(payload)),
        MY_PASSKEYS,
        json!({}),
    )
    .await;
    assert!(
        listed.data("myPasskeys")[0]["lastUsedAt"].is_string(),
        "{}",
        listed.text()
    );

    // With a passkey, the password session (aal 1) is no longer enough to
    // add another; the passkey's session is, and the options exclude the
    // credential the authenticator holds.
    let refused = begin_registration(&server, &token).await;
    assert_eq!(refused.code(), "REAUTHENTICATION_REQUIRED");
    assert_eq!(refused.body["errors"][0]["extensions"]["requiredAal"], 2);
    let again = ceremony(
        &begin_registration(&server, &access_token(payload)).await,
        "beginPasskeyRegistration",
    );
    let excluded: Value = serde_json::from_str(&again.options).expect("options JSON");
    assert_eq!(
        excluded["excludeCredentials"][0]["id"],
        authenticator.credential_ids()[0].as_str()
    );
    assert!(matches!(
        authenticator.register(&again.options, ORIGIN, Flags::VERIFIED),
        Err(AuthenticatorError::InvalidState)
    ));
}

async fn without_user_verification_a_passkey_is_one_factor(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut authenticator = SoftAuthenticator::new();
    user_with_passkey(&server, "una", &mut authenticator, Flags::PRESENT).await;
    let signed_in = sign_in(&server, &mut authenticator, Flags::PRESENT).await;
    let session = &signed_in.data("finishPasskeyLogin")["session"];
    assert_eq!(session["aal"], 1);
    assert_eq!(sorted_amr(session), ["hwk"]);
    // A key that verifies its user this time counts for two.
    let verified = sign_in(&server, &mut authenticator, Flags::VERIFIED).await;
    assert_eq!(verified.data("finishPasskeyLogin")["session"]["aal"], 2);
}

async fn assertions_that_do_not_verify_are_invalid_credentials(backend: Backend) {
    let server = TestServer::builder()
        .backend(backend)
        .with_config(|c| c.login_ip_max_failures = 7)
        .start()
        .await;
    let mut authenticator = SoftAuthenticator::new();
    user_with_passkey(&server, "vic", &mut authenticator, Flags::VERIFIED).await;
    let mut other = SoftAuthenticator::new();
    user_with_passkey(&server, "wes", &mut other, Flags::VERIFIED).await;

    // Another origin.
    let begun = begin_login(&server).await;
    let answer = authenticator
        .sign_in(&begun.options, "http://evil.test:8080", Flags::VERIFIED)
        .unwrap();
    assert_eq!(
        finish_login(&server, &begun, &answer).await.code(),
        "INVALID_CREDENTIALS"
    );
    // Another relying party's id in the authenticator data.
    let mut elsewhere = authenticator.clone();
    elsewhere.tampering = Tampering {
        rp_id: Some("evil.test".into()),
        ..Tampering::default()
    };
    assert_eq!(
        code_of_sign_in(&server, &mut elsewhere, Flags::VERIFIED).await,
        "INVALID_CREDENTIALS"
    );
    // Another key for the same credential id.
    let mut impostor = authenticator.with_wrong_keys();
    assert_eq!(
        code_of_sign_in(&server, &mut impostor, Flags::VERIFIED).await,
        "INVALID_CREDENTIALS"
    );
    // Another user's handle on this credential.
    let mut handle = authenticator.clone();
    let wes_id = call(
        &server,
        None,
        LOGIN,
        json!({ "input": { "userName": "wes", "password": PASSWORD } }),
    )
    .await
    .data("login")["user"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    handle.tampering = Tampering {
        user_handle: Some(base64_url(wes_id.as_bytes())),
        ..Tampering::default()
    };
    assert_eq!(
        sign_in(&server, &mut handle, Flags::VERIFIED).await.code(),
        "INVALID_CREDENTIALS"
    );
    // A credential this server never registered.
    let mut stranger = SoftAuthenticator::new();
    let foreign = json!({
        "rp": { "id": "localhost", "name": "elsewhere" },
        "user": { "id": base64_url(b"someone"), "name": "someone", "displayName": "someone" },
        "challenge": base64_url(b"0123456789abcdef0123456789abcdef"),
        "pubKeyCredParams": [{ "type": "public-key", "alg": -7 }],
    })
    .to_string();
    stranger
        .register(&foreign, ORIGIN, Flags::VERIFIED)
        .expect("a credential");
    assert_eq!(
        code_of_sign_in(&server, &mut stranger, Flags::VERIFIED).await,
        "INVALID_CREDENTIALS"
    );
    // No one touched the authenticator (user presence not asserted).
    let absent = Flags {
        user_present: false,
        user_verified: false,
        ..Flags::VERIFIED
    };
    assert_eq!(
        code_of_sign_in(&server, &mut authenticator, absent).await,
        "INVALID_CREDENTIALS"
    );
    // Six failures from this address so far; a seventh fills the window,
    // and then the right passkey is refused too.
    let begun = begin_login(&server).await;
    let answer = authenticator
        .sign_in(&begun.options, "http://evil.test:8080", Flags::VERIFIED)
        .unwrap();
    assert_eq!(
        finish_login(&server, &begun, &answer).await.code(),
        "INVALID_CREDENTIALS"
    );
    let throttled = sign_in(&server, &mut authenticator, Flags::VERIFIED).await;
    assert_eq!(
        throttled.code(),
        "TOO_MANY_ATTEMPTS",
        "{}",
        throttled.text()
    );
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn a_ceremony_is_used_once_on_any_replica_and_expires(backend: Backend) {
    let server = TestServer::start(backend).await;
    let replica = server.second_server();
    let mut authenticator = SoftAuthenticator::new();
    user_with_passkey(&server, "xia", &mut authenticator, Flags::VERIFIED).await;

    // Begun on one replica, finished on the other; then replayed on either.
    let begun = begin_login(&server).await;
    let answer = authenticator
        .sign_in(&begun.options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let finished = finish_login(&replica, &begun, &answer).await;
    assert_eq!(
        finished.data("finishPasskeyLogin")["user"]["userName"],
        "xia"
    );
    assert_eq!(
        finish_login(&server, &begun, &answer).await.code(),
        "INVALID_TOKEN"
    );
    assert_eq!(
        finish_login(&replica, &begun, &answer).await.code(),
        "INVALID_TOKEN"
    );

    // Made up, and one of the other kind (a registration's).
    let made_up = Ceremony {
        challenge_id: "not-a-ceremony".into(),
        options: String::new(),
    };
    assert_eq!(
        finish_login(&server, &made_up, &answer).await.code(),
        "INVALID_TOKEN"
    );
    let passkey_session = access_token(finished.data("finishPasskeyLogin"));
    let registration = ceremony(
        &begin_registration(&server, &passkey_session).await,
        "beginPasskeyRegistration",
    );
    let begun = begin_login(&server).await;
    let answer = authenticator
        .sign_in(&begun.options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let crossed = Ceremony {
        challenge_id: registration.challenge_id.clone(),
        options: String::new(),
    };
    assert_eq!(
        finish_login(&server, &crossed, &answer).await.code(),
        "INVALID_TOKEN"
    );
    // A registration ceremony is its user's alone.
    let mut second = SoftAuthenticator::new();
    let credential = second
        .register(&registration.options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    server.add_user("yan", PASSWORD).await;
    let yan = access_token(&server.login("yan", PASSWORD).await);
    let stolen = finish_registration(&server, &yan, &registration, &credential, None).await;
    assert_eq!(stolen.code(), "INVALID_TOKEN");
    // The sign-in begun above still works: a failed finish spends only its own.
    assert!(!finish_login(&server, &begun, &answer).await.has_errors());
    // Past its five minutes.
    let begun = begin_login(&server).await;
    let answer = authenticator
        .sign_in(&begun.options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    server.advance(TimeDelta::seconds(301));
    assert_eq!(
        finish_login(&server, &begun, &answer).await.code(),
        "INVALID_TOKEN"
    );
}

async fn a_counter_that_goes_backwards_is_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut authenticator = SoftAuthenticator::new();
    user_with_passkey(&server, "zed", &mut authenticator, Flags::VERIFIED).await;
    let mut cloned = authenticator.clone();
    assert!(
        !sign_in(&server, &mut authenticator, Flags::VERIFIED)
            .await
            .has_errors()
    );
    assert!(
        !sign_in(&server, &mut authenticator, Flags::VERIFIED)
            .await
            .has_errors()
    );
    // The copy is behind the original: refused, and the original still works.
    let refused = sign_in(&server, &mut cloned, Flags::VERIFIED).await;
    assert_eq!(refused.code(), "INVALID_CREDENTIALS");
    let id = authenticator.credential_ids()[0].clone();
    authenticator.set_counter(&id, 0);
    assert_eq!(
        code_of_sign_in(&server, &mut authenticator, Flags::VERIFIED).await,
        "INVALID_CREDENTIALS"
    );
    authenticator.set_counter(&id, 10);
    assert!(
        !sign_in(&server, &mut authenticator, Flags::VERIFIED)
            .await
            .has_errors()
    );

    // Two sign-ins racing with one counter value: one session opens.
    let first = begin_login(&server).await;
    let second = begin_login(&server).await;
    let mut twin = authenticator.clone();
    let answer_one = authenticator
        .sign_in(&first.options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let answer_two = twin
        .sign_in(&second.options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let (one, two) = tokio::join!(
        finish_login(&server, &first, &answer_one),
        finish_login(&server, &second, &answer_two)
    );
    let opened = [&one, &two]
        .iter()
        .filter(|answer| !answer.has_errors())
        .count();
    assert_eq!(opened, 1, "{} / {}", one.text(), two.text());
}

async fn a_disabled_account_gets_its_login_code(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut authenticator = SoftAuthenticator::new();
    user_with_passkey(&server, "amy", &mut authenticator, Flags::VERIFIED).await;
    authql::core::users::disable_user(&server.app.pool, "amy")
        .await
        .expect("disable");
    assert_eq!(
        code_of_sign_in(&server, &mut authenticator, Flags::VERIFIED).await,
        "ACCOUNT_DISABLED"
    );
    // It tells a stranger nothing: a wrong key is still INVALID_CREDENTIALS.
    let mut impostor = authenticator.with_wrong_keys();
    assert_eq!(
        code_of_sign_in(&server, &mut impostor, Flags::VERIFIED).await,
        "INVALID_CREDENTIALS"
    );
    authql::core::users::enable_user(&server.app.pool, "amy")
        .await
        .expect("enable");
    assert!(
        !sign_in(&server, &mut authenticator, Flags::VERIFIED)
            .await
            .has_errors()
    );
}

async fn reauthenticate(server: &TestServer, token: &str, input: Value) -> Answer {
    call(
        server,
        Some(token),
        REAUTHENTICATE,
        json!({ "input": input }),
    )
    .await
}

async fn passkeys_reauthenticate_and_guard_their_own_removal(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut authenticator = SoftAuthenticator::new();
    user_with_passkey(&server, "bea", &mut authenticator, Flags::VERIFIED).await;
    let mut other = SoftAuthenticator::new();
    user_with_passkey(&server, "cal", &mut other, Flags::VERIFIED).await;
    // A password session of an account with a passkey: aal 1, and the
    // password alone does not re-authenticate it.
    let token = access_token(&server.login("bea", PASSWORD).await);
    let listed = call(&server, Some(&token), MY_PASSKEYS, json!({})).await;
    let passkey_id = listed.data("myPasskeys")[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let removal = call(
        &server,
        Some(&token),
        REMOVE_PASSKEY,
        json!({ "id": passkey_id }),
    )
    .await;
    assert_eq!(removal.code(), "REAUTHENTICATION_REQUIRED");
    let by_password = reauthenticate(&server, &token, json!({ "password": PASSWORD })).await;
    assert_eq!(by_password.code(), "REAUTHENTICATION_REQUIRED");
    assert_eq!(
        by_password.body["errors"][0]["extensions"]["requiredAal"],
        2
    );

    // Another user's passkey proves nothing here.
    let input = passkey_proof(&server, &mut other).await;
    assert_eq!(
        reauthenticate(&server, &token, input).await.code(),
        "INVALID_CREDENTIALS"
    );

    let input = passkey_proof(&server, &mut authenticator).await;
    let raised = reauthenticate(&server, &token, input).await;
    let session = &raised.data("reauthenticate")["session"];
    assert_eq!(session["aal"], 2);
    assert_eq!(sorted_amr(session), ["hwk", "mfa", "pwd"]);
    let assurance = call(&server, Some(&token), ASSURANCE, json!({})).await;
    assert_eq!(assurance.data("me")["mfa"]["totp"], false);

    // Renaming needs no recent authentication; bad labels and other users'
    // ids are refused.
    let renamed = call(
        &server,
        Some(&token),
        RENAME_PASSKEY,
        json!({ "id": passkey_id, "label": "Phone" }),
    )
    .await;
    assert_eq!(renamed.data("renamePasskey")["label"], "Phone");
    for label in ["", "   ", &"x".repeat(65), "tab\there"] {
        let bad = call(
            &server,
            Some(&token),
            RENAME_PASSKEY,
            json!({ "id": passkey_id, "label": label }),
        )
        .await;
        assert_eq!(bad.code(), "BAD_USER_INPUT", "{label:?}");
    }
    let cal = access_token(&server.login("cal", PASSWORD).await);
    let theirs = call(
        &server,
        Some(&cal),
        RENAME_PASSKEY,
        json!({ "id": passkey_id, "label": "Mine" }),
    )
    .await;
    assert_eq!(theirs.code(), "NOT_FOUND");

    let removed = call(
        &server,
        Some(&token),
        REMOVE_PASSKEY,
        json!({ "id": passkey_id }),
    )
    .await;
    assert_eq!(removed.data("removePasskey"), true);
    let again = call(
        &server,
        Some(&token),
        REMOVE_PASSKEY,
        json!({ "id": passkey_id }),
    )
    .await;
    assert_eq!(again.code(), "NOT_FOUND");
    let listed = call(&server, Some(&token), MY_PASSKEYS, json!({})).await;
    assert_eq!(listed.data("me")["mfa"]["passkeys"], 0);
    // The removed passkey signs in no more.
    assert_eq!(
        code_of_sign_in(&server, &mut authenticator, Flags::VERIFIED).await,
        "INVALID_CREDENTIALS"
    );
}

async fn registration_answers_that_do_not_verify_are_bad_user_input(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.add_user("dee", PASSWORD).await;
    let token = access_token(&server.login("dee", PASSWORD).await);
    let mut authenticator = SoftAuthenticator::new();

    let begun = ceremony(
        &begin_registration(&server, &token).await,
        "beginPasskeyRegistration",
    );
    let wrong_origin = authenticator
        .register(&begun.options, "http://evil.test:8080", Flags::VERIFIED)
        .unwrap();
    assert_eq!(
        finish_registration(&server, &token, &begun, &wrong_origin, None)
            .await
            .code(),
        "BAD_USER_INPUT"
    );

    let begun = ceremony(
        &begin_registration(&server, &token).await,
        "beginPasskeyRegistration",
    );
    assert_eq!(
        finish_registration(&server, &token, &begun, "{not json", None)
            .await
            .code(),
        "BAD_USER_INPUT"
    );
    let credential = authenticator
        .register(&begun.options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let bad_label = finish_registration(&server, &token, &begun, &credential, Some("")).await;
    assert_eq!(bad_label.code(), "BAD_USER_INPUT");

    let begun = ceremony(
        &begin_registration(&server, &token).await,
        "beginPasskeyRegistration",
    );
    let credential = authenticator
        .register(&begun.options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let added = finish_registration(&server, &token, &begun, &credential, None).await;
    assert_eq!(added.data("finishPasskeyRegistration")["label"], "Passkey");
    // The same answer again: its ceremony is spent.
    let replayed = finish_registration(&server, &token, &begun, &credential, None).await;
    assert_eq!(replayed.code(), "INVALID_TOKEN");
    // Nothing half-written: one passkey, and a failed answer left none.
    let listed = call(&server, Some(&token), MY_PASSKEYS, json!({})).await;
    assert_eq!(listed.data("myPasskeys").as_array().map(Vec::len), Some(1));
}

async fn a_code_raises_a_passkey_session_and_mfa_required_offers_the_passkey(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut authenticator = SoftAuthenticator::new();
    user_with_passkey(&server, "eve", &mut authenticator, Flags::PRESENT).await;
    // Signed in by a passkey without user verification: aal 1, and TOTP
    // cannot be enrolled from here; a verified passkey's session can.
    let one = sign_in(&server, &mut authenticator, Flags::PRESENT).await;
    let one_token = access_token(one.data("finishPasskeyLogin"));
    let refused = call(&server, Some(&one_token), ENROLL_TOTP, json!({})).await;
    assert_eq!(refused.code(), "REAUTHENTICATION_REQUIRED");
    let two = sign_in(&server, &mut authenticator, Flags::VERIFIED).await;
    let token = access_token(two.data("finishPasskeyLogin"));
    let enrolled = call(&server, Some(&token), ENROLL_TOTP, json!({})).await;
    let uri = enrolled.data("enrollTotp")["otpauthUri"]
        .as_str()
        .expect("a URI")
        .to_owned();
    let code = totp_code(&uri, server.now_unix());
    let confirmed = call(&server, Some(&token), CONFIRM_TOTP, json!({ "code": code })).await;
    assert!(!confirmed.has_errors(), "{}", confirmed.text());

    // A code proved in the aal 1 passkey session raises it to aal 2.
    server.advance(TimeDelta::seconds(30));
    let code = totp_code(&uri, server.now_unix());
    let raised = reauthenticate(&server, &one_token, json!({ "code": code })).await;
    let session = &raised.data("reauthenticate")["session"];
    assert_eq!(session["aal"], 2);
    assert_eq!(sorted_amr(session), ["hwk", "mfa", "otp"]);

    // The password's first step names the passkey among the factors.
    let login = server.login_answer("eve", PASSWORD, None).await;
    assert_eq!(login.code(), "MFA_REQUIRED");
    let factors = &login.body["errors"][0]["extensions"]["factors"];
    assert_eq!(factors, &json!(["TOTP", "RECOVERY_CODE", "PASSKEY"]));
}

both_backends!(
    a_passkey_registers_and_signs_in_without_a_password,
    without_user_verification_a_passkey_is_one_factor,
    assertions_that_do_not_verify_are_invalid_credentials,
    a_ceremony_is_used_once_on_any_replica_and_expires,
    a_counter_that_goes_backwards_is_refused,
    a_disabled_account_gets_its_login_code,
    passkeys_reauthenticate_and_guard_their_own_removal,
    registration_answers_that_do_not_verify_are_bad_user_input,
    a_code_raises_a_passkey_session_and_mfa_required_offers_the_passkey,
);
