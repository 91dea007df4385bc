//! Accounts: sign-up in its three modes, verification by mail, password
//! recovery, invitations and a change of address, each followed through
//! the mails a real SMTP server (maildev, from the test kit) received.

use std::sync::Arc;
use std::time::Duration;

use authql::config::SignupMode;
use authql::secret::Secret;
use authql_testkit::documents::{
    ACCOUNT, CHANGE_EMAIL, REQUEST_EMAIL_VERIFICATION, REQUEST_PASSWORD_RESET, RESET_PASSWORD,
    SIGN_UP, VERIFY_EMAIL,
};
use authql_testkit::{
    Answer, Backend, MailServer, ReceivedMail, TEST_APP_URL, TestServer, access_token,
    both_backends, join_answers, session_id,
};
use serde_json::{Value, json};
use tokio::sync::Barrier;

/// How long a test waits for a mail: a bound on liveness on a loaded machine,
/// not a speed target (the benchmark has those).
pub(crate) const MAIL_WAIT: Duration = Duration::from_secs(30);

/// A server with mail on, in `mode`, and its SMTP server.
pub(crate) async fn with_mail(backend: Backend, mode: SignupMode) -> (MailServer, TestServer) {
    let mail = MailServer::start().await;
    let server = TestServer::builder()
        .backend(backend)
        .with_mail(&mail)
        .with_config(move |c| c.accounts.signup_mode = mode)
        .start()
        .await;
    (mail, server)
}

async fn sign_up(server: &TestServer, input: Value) -> Answer {
    server
        .call(SIGN_UP)
        .variables(json!({ "input": input }))
        .await
}

fn new_account(name: &str, email: &str) -> Value {
    json!({ "userName": name, "email": email, "password": "first-password" })
}

/// An active user with a verified address, as `authql user add --email` makes.
pub(crate) async fn add_user_with_email(server: &TestServer, name: &str, email: &str) -> String {
    authql::core::users::add_user(
        &server.app,
        name,
        &Secret::from("first-password"),
        "user",
        Some(email),
    )
    .await
    .expect("add user")
}

/// The one mail to `to` among `mails`.
pub(crate) fn mail_to<'a>(mails: &'a [ReceivedMail], to: &str) -> &'a ReceivedMail {
    let found: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
        .collect();
    assert_eq!(found.len(), 1, "one mail to {to}: {mails:#?}");
    found[0]
}

pub(crate) fn token_of(mail: &ReceivedMail, page: &str) -> String {
    let link = mail.link().expect("a link");
    assert!(
        link.starts_with(&format!("{TEST_APP_URL}/{page}#token=")),
        "{link}"
    );
    mail.token().expect("a token").to_owned()
}

pub(crate) async fn call_bool(server: &TestServer, document: &str, variables: Value) -> Answer {
    server.call(document).variables(variables).await
}

async fn open_sign_up_is_verified_by_mail(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Open).await;
    let answer = sign_up(&server, new_account("Nina", "Nina@Example.com")).await;
    assert_eq!(
        answer.data("signUp"),
        &json!({ "verificationSent": true, "auth": null })
    );
    let unverified = server.login_answer("nina", "first-password", None).await;
    assert_eq!(unverified.code(), "EMAIL_NOT_VERIFIED");
    let wrong = server.login_answer("nina", "wrong-password", None).await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");

    let mails = mail.wait_for(1, MAIL_WAIT).await;
    let verification = mail_to(&mails, "Nina@Example.com");
    assert!(verification.text.contains("Nina"), "{}", verification.text);
    let token = token_of(verification, "verify-email");
    let verified = call_bool(&server, VERIFY_EMAIL, json!({ "token": token })).await;
    assert_eq!(verified.data("verifyEmail"), true);
    let again = call_bool(&server, VERIFY_EMAIL, json!({ "token": token })).await;
    assert_eq!(again.code(), "INVALID_TOKEN", "a token is used once");

    let session = server.login("NINA", "first-password").await;
    let me = server.graphql_as(&access_token(&session), ACCOUNT).await;
    assert_eq!(me.data("me")["email"], "Nina@Example.com", "shown as given");
    assert_eq!(me.data("me")["emailVerified"], true);
    assert_eq!(me.data("me")["role"], "user");
}

async fn an_address_in_use_answers_the_same_and_tells_its_owner(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Open).await;
    add_user_with_email(&server, "olga", "olga@example.com").await;
    let answer = sign_up(&server, new_account("intruder", "OLGA@example.com")).await;
    assert_eq!(
        answer.data("signUp"),
        &json!({ "verificationSent": true, "auth": null }),
        "the answer does not tell that the address is in use"
    );
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    let notice = mail_to(&mails, "OLGA@example.com");
    assert!(notice.token().is_none(), "a notice carries no token");
    assert!(notice.text.contains("/forgot-password"), "{}", notice.text);
    let none = server
        .login_answer("intruder", "first-password", None)
        .await;
    assert_eq!(none.code(), "INVALID_CREDENTIALS", "nothing was created");

    let taken = sign_up(&server, new_account("OLGA", "other@example.com")).await;
    assert_eq!(taken.code(), "NAME_TAKEN", "names are taken in any case");
}

async fn sign_up_refusals_create_nothing(backend: Backend) {
    let (_mail, closed) = with_mail(backend, SignupMode::Closed).await;
    let refused = sign_up(&closed, new_account("pia", "pia@example.com")).await;
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(
        closed
            .login_answer("pia", "first-password", None)
            .await
            .code(),
        "INVALID_CREDENTIALS"
    );
    let invite_only = closed
        .second()
        .with_config(|c| c.accounts.signup_mode = SignupMode::Invite)
        .start()
        .await;
    let no_token = sign_up(&invite_only, new_account("pia", "pia@example.com")).await;
    assert_eq!(no_token.code(), "INVALID_TOKEN");

    let (_mail, open) = with_mail(backend, SignupMode::Open).await;
    for (input, why) in [
        (new_account("pia", "not-an-address"), "a malformed address"),
        (new_account("pia", "two@@example.com"), "two @"),
        (new_account("", "pia@example.com"), "an empty name"),
        (
            new_account("pia\u{200b}", "pia@example.com"),
            "a format character",
        ),
        (
            new_account(" pia", "pia@example.com"),
            "leading white space",
        ),
        (
            json!({ "userName": "pia", "email": "pia@example.com", "password": "" }),
            "an empty password",
        ),
        (
            json!({ "userName": "pia", "email": "pia@example.com", "password": "x".repeat(1025) }),
            "a password over 1024 bytes",
        ),
        (
            json!({ "userName": "pia", "email": "pia@example.com", "password": "pw", "deviceInfo": "d".repeat(256) }),
            "a device label over 255 characters",
        ),
    ] {
        let answer = sign_up(&open, input).await;
        assert_eq!(
            answer.first_code(),
            Some("BAD_USER_INPUT"),
            "{why}: {}",
            answer.text()
        );
    }
    let short = open
        .second()
        .with_config(|c| {
            c.accounts.signup_mode = SignupMode::Open;
            c.password_min_length = 12;
        })
        .start()
        .await;
    let answer = sign_up(
        &short,
        json!({ "userName": "pia", "email": "pia@example.com", "password": "eleven-char" }),
    )
    .await;
    assert_eq!(
        answer.code(),
        "BAD_USER_INPUT",
        "shorter than PASSWORD_MIN_LENGTH"
    );
    assert_eq!(
        open.login_answer("pia", "first-password", None)
            .await
            .code(),
        "INVALID_CREDENTIALS",
        "no refused sign-up created an account"
    );
}

async fn sign_ups_per_client_address_are_limited(backend: Backend) {
    let (_mail, server) = with_mail(backend, SignupMode::Open).await;
    for n in 0..10 {
        let answer = sign_up(
            &server,
            new_account(&format!("u{n}"), &format!("u{n}@example.com")),
        )
        .await;
        assert!(!answer.has_errors(), "sign-up {n}: {}", answer.text());
    }
    let eleventh = sign_up(&server, new_account("u10", "u10@example.com")).await;
    assert_eq!(eleventh.code(), "TOO_MANY_ATTEMPTS", "{}", eleventh.text());
    let retry_after = eleventh.body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    // Pruning (which forgets login counters after their 15 minutes) keeps
    // the sign-ups' hour.
    server.advance(chrono::TimeDelta::minutes(20));
    if let Err(error) = authql::core::prune::prune_once(&server.app).await {
        panic!("prune: {}", error.detail());
    }
    let still = sign_up(&server, new_account("u10", "u10@example.com")).await;
    assert_eq!(
        still.code(),
        "TOO_MANY_ATTEMPTS",
        "pruned within the hour: {}",
        still.text()
    );
    let elsewhere = server
        .call(SIGN_UP)
        .variables(json!({ "input": new_account("u10", "u10@example.com") }))
        .peer("198.51.100.20:4000")
        .await;
    assert!(
        !elsewhere.has_errors(),
        "another address: {}",
        elsewhere.text()
    );
    server.advance(chrono::TimeDelta::minutes(41));
    let later = sign_up(&server, new_account("u11", "u11@example.com")).await;
    assert!(!later.has_errors(), "a new window: {}", later.text());
}

async fn an_invitation_is_accepted_once_in_any_mode(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    assert!(
        authql::core::users::invite(&server.app, "Quinn@Example.com", "editor")
            .await
            .expect("invite")
    );
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    let token = token_of(mail_to(&mails, "quinn@example.com"), "accept-invite");
    server.add_user("taken", "password").await;
    let accept = |name: &str, email: &str| json!({ "userName": name, "email": email, "password": "first-password", "inviteToken": token });

    let wrong_address = sign_up(&server, accept("quinn", "someone@example.com")).await;
    assert_eq!(wrong_address.code(), "BAD_USER_INPUT");
    let name_taken = sign_up(&server, accept("TAKEN", "quinn@example.com")).await;
    assert_eq!(name_taken.code(), "NAME_TAKEN");

    let accepted = sign_up(&server, accept("quinn", "quinn@EXAMPLE.com")).await;
    let payload = accepted.data("signUp");
    assert_eq!(payload["verificationSent"], false, "{}", accepted.text());
    let auth = &payload["auth"];
    assert_eq!(auth["user"]["role"], "editor", "the invitation's role");
    assert_eq!(auth["user"]["emailVerified"], true);
    assert_eq!(auth["session"]["current"], true);
    assert!(
        server.is_live(&access_token(auth)).await,
        "signed in at once"
    );

    let again = sign_up(&server, accept("quinn2", "quinn@example.com")).await;
    assert_eq!(again.code(), "INVALID_TOKEN", "an invitation is used up");
    let made_up = sign_up(
        &server,
        json!({ "userName": "r", "email": "r@example.com", "password": "pw", "inviteToken": "A".repeat(43) }),
    )
    .await;
    assert_eq!(made_up.code(), "INVALID_TOKEN");
    server.advance(chrono::TimeDelta::minutes(2));
    assert!(
        authql::core::users::invite(&server.app, "late@example.com", "user")
            .await
            .unwrap()
    );
    let mails = mail.wait_for(2, MAIL_WAIT).await;
    let late = token_of(mail_to(&mails, "late@example.com"), "accept-invite");
    server.advance(chrono::TimeDelta::days(7) + chrono::TimeDelta::seconds(1));
    let expired = sign_up(
        &server,
        json!({ "userName": "late", "email": "late@example.com", "password": "pw", "inviteToken": late }),
    )
    .await;
    assert_eq!(expired.code(), "INVALID_TOKEN", "invitations last 7 days");
}

async fn a_reset_ends_every_session_and_clears_the_throttle(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    let user_id = add_user_with_email(&server, "rosa", "rosa@example.com").await;
    let sessions = [
        server.login("rosa", "first-password").await,
        server.login("rosa", "first-password").await,
    ];
    for _ in 0..5 {
        server.login_answer("rosa", "guess", None).await;
    }
    assert_eq!(
        server
            .login_answer("rosa", "first-password", None)
            .await
            .code(),
        "TOO_MANY_ATTEMPTS",
        "locked out before the reset"
    );
    let asked = call_bool(
        &server,
        REQUEST_PASSWORD_RESET,
        json!({ "email": "ROSA@example.com" }),
    )
    .await;
    assert_eq!(asked.data("requestPasswordReset"), true);
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    let token = token_of(mail_to(&mails, "rosa@example.com"), "reset-password");

    let short = server
        .second()
        .with_config(|c| c.password_min_length = 12)
        .start()
        .await;
    let refused = short
        .call(RESET_PASSWORD)
        .variables(json!({ "input": { "token": token, "newPassword": "short" } }))
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    let reset = call_bool(
        &server,
        RESET_PASSWORD,
        json!({ "input": { "token": token, "newPassword": "second-password" } }),
    )
    .await;
    assert_eq!(
        reset.data("resetPassword"),
        true,
        "the token was still usable"
    );
    for session in &sessions {
        assert!(!server.is_live(&access_token(session)).await);
        let stored = server.stored_session(&session_id(session)).await;
        assert_eq!(
            stored.end_reason.map(authql::vocabulary::EndReason::as_str),
            Some("password_reset")
        );
    }
    assert_eq!(server.open_session_count(&user_id).await, 0);
    assert_eq!(
        server
            .login_answer("rosa", "first-password", None)
            .await
            .code(),
        "INVALID_CREDENTIALS",
        "the throttle was cleared, and the old password is gone"
    );
    server.login("rosa", "second-password").await;
    let again = call_bool(
        &server,
        RESET_PASSWORD,
        json!({ "input": { "token": token, "newPassword": "third-password" } }),
    )
    .await;
    assert_eq!(again.code(), "INVALID_TOKEN");
}

async fn every_reset_token_of_the_account_is_used_up_by_one_reset(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    add_user_with_email(&server, "sara", "sara@example.com").await;
    call_bool(
        &server,
        REQUEST_PASSWORD_RESET,
        json!({ "email": "sara@example.com" }),
    )
    .await;
    mail.wait_for(1, MAIL_WAIT).await;
    server.advance(chrono::TimeDelta::seconds(61));
    call_bool(
        &server,
        REQUEST_PASSWORD_RESET,
        json!({ "email": "sara@example.com" }),
    )
    .await;
    let mails = mail.wait_for(2, MAIL_WAIT).await;
    let tokens: Vec<String> = mails
        .iter()
        .map(|m| token_of(m, "reset-password"))
        .collect();
    let first = call_bool(
        &server,
        RESET_PASSWORD,
        json!({ "input": { "token": tokens[1], "newPassword": "second-password" } }),
    )
    .await;
    assert_eq!(first.data("resetPassword"), true);
    let other = call_bool(
        &server,
        RESET_PASSWORD,
        json!({ "input": { "token": tokens[0], "newPassword": "third-password" } }),
    )
    .await;
    assert_eq!(other.code(), "INVALID_TOKEN");
    server.advance(chrono::TimeDelta::seconds(61));
    call_bool(
        &server,
        REQUEST_PASSWORD_RESET,
        json!({ "email": "sara@example.com" }),
    )
    .await;
    let mails = mail.wait_for(3, MAIL_WAIT).await;
    let late = token_of(&mails[2], "reset-password");
    server.advance(chrono::TimeDelta::minutes(31));
    let expired = call_bool(
        &server,
        RESET_PASSWORD,
        json!({ "input": { "token": late, "newPassword": "fourth-password" } }),
    )
    .await;
    assert_eq!(
        expired.code(),
        "INVALID_TOKEN",
        "a reset link lasts 30 minutes"
    );
}

async fn two_resets_with_one_token_succeed_once(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    add_user_with_email(&server, "tess", "tess@example.com").await;
    call_bool(
        &server,
        REQUEST_PASSWORD_RESET,
        json!({ "email": "tess@example.com" }),
    )
    .await;
    let token = token_of(&mail.wait_for(1, MAIL_WAIT).await[0], "reset-password");
    let replica = server.second_server();
    let start = Arc::new(Barrier::new(2));
    let handles = ["password-one", "password-two"]
        .iter()
        .zip([&server, &replica])
        .map(|(password, on)| {
            on.call(RESET_PASSWORD)
                .variables(json!({ "input": { "token": token, "newPassword": password } }))
                .spawn_after(start.clone())
        })
        .collect();
    let answers = join_answers(handles).await;
    let won: Vec<_> = answers.iter().filter(|a| !a.has_errors()).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    let lost = answers.iter().find(|a| a.has_errors()).expect("a loser");
    assert_eq!(lost.code(), "INVALID_TOKEN");
}

/// A flood of resets for one known address makes one write, not one per
/// request: the rest would be refused by the per-address limit anyway, and
/// waiting writes must not pile up in the replica's memory. Its mail still
/// goes, once.
async fn a_flood_of_resets_for_one_address_writes_once(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    add_user_with_email(&server, "flo", "flo@example.com").await;
    let before = crate::operations::scrape_metrics(&server).await["authql_db_statements_total"];
    const REQUESTS: usize = 200;
    let start = Arc::new(Barrier::new(REQUESTS));
    let handles = (0..REQUESTS)
        .map(|_| {
            server
                .call(REQUEST_PASSWORD_RESET)
                .variables(json!({ "email": "flo@example.com" }))
                .spawn_after(start.clone())
        })
        .collect();
    for answer in join_answers(handles).await {
        assert_eq!(answer.data("requestPasswordReset"), true);
    }
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let statements =
        crate::operations::scrape_metrics(&server).await["authql_db_statements_total"] - before;
    // One lookup per request, one write, and the sender's few reads.
    assert!(
        statements < (REQUESTS + 40) as f64,
        "{statements} statements for {REQUESTS} requests"
    );
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(mail.mails().await.len(), 1, "one mail, after the flood too");
}

async fn only_verified_active_accounts_get_a_reset_mail(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Open).await;
    sign_up(&server, new_account("uma", "uma@example.com")).await;
    add_user_with_email(&server, "vic", "vic@example.com").await;
    authql::core::users::disable_user(&server.app.pool, "vic")
        .await
        .unwrap();
    add_user_with_email(&server, "wes", "wes@example.com").await;
    for email in [
        "uma@example.com",
        "vic@example.com",
        "nobody@example.com",
        "wes@example.com",
    ] {
        let answer = call_bool(&server, REQUEST_PASSWORD_RESET, json!({ "email": email })).await;
        assert_eq!(answer.data("requestPasswordReset"), true, "{email}");
    }
    let malformed = call_bool(&server, REQUEST_PASSWORD_RESET, json!({ "email": "nope" })).await;
    assert_eq!(malformed.code(), "BAD_USER_INPUT");
    let mails = mail.wait_for(2, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = if mails.len() == 2 {
        mail.mails().await
    } else {
        mails
    };
    let resets: Vec<_> = mails
        .iter()
        .filter(|m| {
            m.token()
                .is_some_and(|_| m.link().unwrap().contains("/reset-password"))
        })
        .collect();
    assert_eq!(resets.len(), 1, "{mails:#?}");
    assert_eq!(resets[0].to, vec!["wes@example.com".to_owned()]);
}

async fn a_new_verification_link_goes_to_unverified_accounts_only(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Open).await;
    sign_up(&server, new_account("xena", "xena@example.com")).await;
    let first = token_of(&mail.wait_for(1, MAIL_WAIT).await[0], "verify-email");
    server.advance(chrono::TimeDelta::seconds(61));
    let again = call_bool(
        &server,
        REQUEST_EMAIL_VERIFICATION,
        json!({ "email": "XENA@example.com" }),
    )
    .await;
    assert_eq!(again.data("requestEmailVerification"), true);
    let mails = mail.wait_for(2, MAIL_WAIT).await;
    let second = token_of(&mails[1], "verify-email");
    assert_ne!(first, second);
    let verified = call_bool(&server, VERIFY_EMAIL, json!({ "token": second })).await;
    assert_eq!(verified.data("verifyEmail"), true);
    server.login("xena", "first-password").await;
    server.advance(chrono::TimeDelta::seconds(61));
    let verified_already = call_bool(
        &server,
        REQUEST_EMAIL_VERIFICATION,
        json!({ "email": "xena@example.com" }),
    )
    .await;
    assert_eq!(verified_already.data("requestEmailVerification"), true);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        mail.mails().await.len(),
        2,
        "a verified account gets no link"
    );
}

async fn mail_to_one_address_is_limited_per_kind(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    add_user_with_email(&server, "yara", "yara@example.com").await;
    for _ in 0..3 {
        let answer = call_bool(
            &server,
            REQUEST_PASSWORD_RESET,
            json!({ "email": "yara@example.com" }),
        )
        .await;
        assert_eq!(answer.data("requestPasswordReset"), true);
    }
    mail.wait_for(1, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(mail.mails().await.len(), 1, "one a minute");
    // A minute apart, each mail in the outbox before the next request (as
    // for a person asking again): the mail is written after the answer, and
    // two writes racing could land in either order.
    for sent_before in 1..=6 {
        server.advance(chrono::TimeDelta::seconds(61));
        call_bool(
            &server,
            REQUEST_PASSWORD_RESET,
            json!({ "email": "yara@example.com" }),
        )
        .await;
        if sent_before < 5 {
            mail.wait_for(sent_before + 1, MAIL_WAIT).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = mail.mails().await;
    assert_eq!(all.len(), 5, "five an hour: {:#?}", server.outbox().await);
}

async fn mail_operations_need_smtp(backend: Backend) {
    let server = TestServer::start(backend).await;
    let session = server.login_answer("nobody", "pw", None).await;
    assert_eq!(session.code(), "INVALID_CREDENTIALS");
    for (document, variables, field) in [
        (
            REQUEST_PASSWORD_RESET,
            json!({ "email": "a@example.com" }),
            "requestPasswordReset",
        ),
        (
            REQUEST_EMAIL_VERIFICATION,
            json!({ "email": "a@example.com" }),
            "requestEmailVerification",
        ),
    ] {
        let answer = call_bool(&server, document, variables).await;
        assert_eq!(answer.code(), "FORBIDDEN", "{field}");
    }
    server.add_user("zoe", "password").await;
    let zoe = server.login("zoe", "password").await;
    let change = server
        .call(CHANGE_EMAIL)
        .bearer(&access_token(&zoe))
        .variables(json!({ "newEmail": "zoe@example.com" }))
        .await;
    assert_eq!(change.code(), "FORBIDDEN");
}

async fn a_changed_address_is_verified_then_the_old_one_told(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    add_user_with_email(&server, "abe", "abe@example.com").await;
    add_user_with_email(&server, "bea", "bea@example.com").await;
    let abe = server.login("abe", "first-password").await;
    let change = |to: &str| {
        server
            .call(CHANGE_EMAIL)
            .bearer(&access_token(&abe))
            .variables(json!({ "newEmail": to }))
    };
    assert_eq!(change("not-an-address").await.code(), "BAD_USER_INPUT");
    let in_use = change("BEA@example.com").await;
    assert_eq!(
        in_use.data("changeEmail"),
        true,
        "the same answer for an address in use"
    );
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    assert!(
        mail_to(&mails, "bea@example.com").token().is_none(),
        "a notice"
    );

    let asked = change("Abe.New@example.com").await;
    assert_eq!(asked.data("changeEmail"), true);
    let mails = mail.wait_for(2, MAIL_WAIT).await;
    let token = token_of(mail_to(&mails, "abe.new@example.com"), "verify-email");
    let me = server.graphql_as(&access_token(&abe), ACCOUNT).await;
    assert_eq!(
        me.data("me")["email"],
        "abe@example.com",
        "unchanged until verified"
    );
    let verified = call_bool(&server, VERIFY_EMAIL, json!({ "token": token })).await;
    assert_eq!(verified.data("verifyEmail"), true);
    let me = server.graphql_as(&access_token(&abe), ACCOUNT).await;
    assert_eq!(me.data("me")["email"], "Abe.New@example.com");
    assert_eq!(me.data("me")["emailVerified"], true);
    let mails = mail.wait_for(3, MAIL_WAIT).await;
    let told = mail_to(&mails, "abe@example.com");
    assert!(told.text.contains("abe@example.com"), "{}", told.text);

    server.advance(chrono::TimeDelta::seconds(301));
    let session = server.login("abe", "first-password").await;
    let stale = server
        .call(CHANGE_EMAIL)
        .bearer(&access_token(&abe))
        .variables(json!({ "newEmail": "abe3@example.com" }))
        .await;
    assert_eq!(stale.code(), "REAUTHENTICATION_REQUIRED");
    let extensions = &stale.body["errors"][0]["extensions"];
    assert_eq!(extensions["requiredAal"], 1);
    assert_eq!(extensions["maxAgeSecs"], 300);
    let fresh = server
        .call(CHANGE_EMAIL)
        .bearer(&access_token(&session))
        .variables(json!({ "newEmail": "abe3@example.com" }))
        .await;
    assert_eq!(fresh.data("changeEmail"), true, "a fresh session may");
}

async fn unverified_accounts_are_deleted_after_seven_days(backend: Backend) {
    let (_mail, server) = with_mail(backend, SignupMode::Open).await;
    sign_up(&server, new_account("cleo", "cleo@example.com")).await;
    server.advance(chrono::TimeDelta::days(6));
    authql::core::prune::prune_once(&server.app).await.unwrap();
    let taken = sign_up(&server, new_account("cleo", "other@example.com")).await;
    assert_eq!(taken.code(), "NAME_TAKEN", "still there after 6 days");
    server.advance(chrono::TimeDelta::days(1) + chrono::TimeDelta::seconds(1));
    let report = authql::core::prune::prune_once(&server.app).await.unwrap();
    assert_eq!(report.unverified_accounts, 1);
    let again = sign_up(&server, new_account("cleo", "cleo@example.com")).await;
    assert_eq!(
        again.data("signUp")["verificationSent"],
        true,
        "name and address are free again: {}",
        again.text()
    );
}

async fn a_waiting_mail_holds_no_usable_link(backend: Backend) {
    let (mut mail, server) = with_mail(backend, SignupMode::Open).await;
    mail.stop();
    sign_up(&server, new_account("dora", "dora@example.com")).await;
    let waiting = server.outbox().await;
    assert_eq!(waiting.len(), 1);
    for needle in ["verify-email", "dora@example.com", "dora", TEST_APP_URL] {
        assert!(
            !waiting[0].sealed.contains(needle),
            "{needle} in {}",
            waiting[0].sealed
        );
    }
    mail.start_again().await;
    let token = token_of(&mail.wait_for(1, MAIL_WAIT).await[0], "verify-email");
    for row in server.outbox().await {
        assert!(!row.sealed.contains(&token), "no token at rest");
    }
    let verified = call_bool(&server, VERIFY_EMAIL, json!({ "token": token })).await;
    assert_eq!(verified.data("verifyEmail"), true);
}

async fn operators_add_verified_addresses_and_invite(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Closed).await;
    let url = server.db.url_text.clone();
    let run =
        |args: &'static [&'static str], stdin: &'static str, env: Vec<(&'static str, String)>| {
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                crate::cli::authql(&url, args, stdin, &env)
            })
        };
    let (ok, _, stderr) = run(
        &["user", "add", "kim", "--email", "Kim@Example.com"],
        "kim-password\n",
        vec![],
    )
    .await
    .unwrap();
    assert!(ok, "{stderr}");
    let kim = server.login("kim", "kim-password").await;
    let me = server.graphql_as(&access_token(&kim), ACCOUNT).await;
    assert_eq!(me.data("me")["email"], "Kim@Example.com");
    assert_eq!(
        me.data("me")["emailVerified"],
        true,
        "an operator's address is verified"
    );
    let (ok, _, stderr) = run(
        &["user", "add", "kit", "--email", "KIM@example.com"],
        "kit-password\n",
        vec![],
    )
    .await
    .unwrap();
    assert!(
        !ok && stderr.lines().count() == 1 && stderr.contains("KIM@example.com"),
        "{stderr}"
    );
    let (ok, _, stderr) = run(
        &["user", "add", "kit", "--email", "no-at-sign"],
        "kit-password\n",
        vec![],
    )
    .await
    .unwrap();
    assert!(!ok && stderr.lines().count() == 1, "{stderr}");

    let (ok, _, stderr) = run(&["user", "invite", "lea@example.com"], "", vec![])
        .await
        .unwrap();
    assert!(!ok && stderr.contains("mail is not configured"), "{stderr}");
    let mail_env = vec![
        ("SMTP_URL", mail.smtp_url()),
        ("PUBLIC_APP_URL", TEST_APP_URL.to_owned()),
        ("JWT_SECRET", authql_testkit::TEST_JWT_SECRET.to_owned()),
    ];
    let (ok, stdout, stderr) = run(
        &["user", "invite", "lea@example.com", "--role", "editor"],
        "",
        mail_env,
    )
    .await
    .unwrap();
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("queued an invitation to lea@example.com"),
        "{stdout}"
    );
    // The running server's sender opens the command's sealed mail.
    let mails = mail.wait_for(1, MAIL_WAIT).await;
    let token = token_of(mail_to(&mails, "lea@example.com"), "accept-invite");
    let accepted = sign_up(
        &server,
        json!({ "userName": "lea", "email": "lea@example.com", "password": "lea-password", "inviteToken": token }),
    )
    .await;
    assert_eq!(
        accepted.data("signUp")["auth"]["user"]["role"],
        "editor",
        "{}",
        accepted.text()
    );
}

both_backends!(
    a_flood_of_resets_for_one_address_writes_once,
    open_sign_up_is_verified_by_mail,
    an_address_in_use_answers_the_same_and_tells_its_owner,
    sign_up_refusals_create_nothing,
    sign_ups_per_client_address_are_limited,
    an_invitation_is_accepted_once_in_any_mode,
    a_reset_ends_every_session_and_clears_the_throttle,
    every_reset_token_of_the_account_is_used_up_by_one_reset,
    two_resets_with_one_token_succeed_once,
    only_verified_active_accounts_get_a_reset_mail,
    a_new_verification_link_goes_to_unverified_accounts_only,
    mail_to_one_address_is_limited_per_kind,
    mail_operations_need_smtp,
    a_changed_address_is_verified_then_the_old_one_told,
    unverified_accounts_are_deleted_after_seven_days,
    a_waiting_mail_holds_no_usable_link,
    operators_add_verified_addresses_and_invite,
);
