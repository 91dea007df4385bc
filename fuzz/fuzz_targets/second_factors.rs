//! The second factors' inputs where they meet real state: a test-kit server
//! on SQLite with a user who has TOTP on (a session of theirs at `aal` 2,
//! their recovery codes) and a user with a secret enrolled and not yet
//! confirmed. Each input is one `completeLogin` (with the `mfaToken` of a
//! fresh login, or a made-up one), `reauthenticate` or `confirmTotp`, with
//! codes of any shape. No panic, HTTP 200, every GraphQL error carries a
//! contract code, a made-up `mfaToken` never opens a session, and a session
//! `completeLogin` opens is at `aal` 2.
//!
//! An input's first byte picks the operation (low three bits) and two
//! flags: [`REAL`] puts a right credential (a code of the step after the
//! last one accepted while the ±1 window takes it, else the current one,
//! which is then a replay; an unused recovery code; the password) in front
//! of the first fuzzed string, so that success, replay and spent codes are
//! all reached; [`BOTH`] adds the
//! other kind of credential, from the second string. The rest of the input,
//! split at the first 0xFF byte, is the two strings (lossy UTF-8).
#![no_main]

use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use authql::error::Code;
use authql_testkit::documents::{
    COMPLETE_LOGIN, CONFIRM_TOTP, ENROLL_TOTP, LOGIN, REAUTHENTICATE, REGENERATE_RECOVERY_CODES,
};
use authql_testkit::{Answer, TestServer, access_token};
use chrono::TimeDelta;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const PASSWORD: &str = "fuzz password 2";
/// The user with TOTP on, and the one whose enrolment is under way.
const WITH_TOTP: &str = "tess";
const ENROLLING: &str = "enzo";
const PEER: &str = "203.0.113.9:4000";
/// Flags of the first byte.
const REAL: u8 = 0x08;
const BOTH: u8 = 0x10;

/// What the harness knows and the inputs change: secrets (base32), the
/// sessions the codes are sent in, and the recovery codes not used yet.
struct State {
    totp_secret: String,
    /// The last time step accepted for the user with TOTP on, and for the
    /// user enrolling (None until a confirmation succeeds).
    totp_last_step: i64,
    pending_last_step: Option<i64>,
    totp_access: String,
    recovery_codes: Vec<String>,
    pending_secret: String,
    enrolling_access: String,
}

struct Target {
    runtime: tokio::runtime::Runtime,
    server: TestServer,
    state: Mutex<State>,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (server, state) = runtime.block_on(async {
            let server = TestServer::builder()
                .with_config(|c| {
                    c.password_hash_concurrency = 1;
                    // A login per input: the cheapest Argon2id there is.
                    c.argon2_cost.memory_kib = 8;
                    c.argon2_cost.iterations = 1;
                    // Wrong codes count as failed logins: without room
                    // for millions of them the throttle would answer every
                    // input after the fifth, and nothing else be reached.
                    c.login_max_failures = 1_000_000;
                    c.login_ip_max_failures = 1_000_000;
                    // One session and one enrolment for the whole run.
                    c.access_token_ttl = TimeDelta::days(1);
                    c.accounts.reauth_max_age = TimeDelta::days(1);
                })
                .start()
                .await;
            let state = setup(&server).await;
            (server, state)
        });
        Target {
            runtime,
            server,
            state: Mutex::new(state),
        }
    })
}

/// The two users: one with TOTP on, one enrolled and not confirmed.
async fn setup(server: &TestServer) -> State {
    server.add_user(WITH_TOTP, PASSWORD).await;
    let totp_access = access_token(&server.login(WITH_TOTP, PASSWORD).await);
    let totp_secret = enroll(server, &totp_access)
        .await
        .expect("enrollTotp of a fresh session");
    let now = server.now_unix();
    let confirmed = server
        .call(CONFIRM_TOTP)
        .variables(json!({ "code": code_of(&totp_secret, now) }))
        .bearer(&totp_access)
        .await;
    let recovery_codes = strings(confirmed.data("confirmTotp"));
    server.add_user(ENROLLING, PASSWORD).await;
    let enrolling_access = access_token(&server.login(ENROLLING, PASSWORD).await);
    let pending_secret = enroll(server, &enrolling_access)
        .await
        .expect("enrollTotp of a fresh session");
    State {
        totp_secret,
        totp_last_step: now / 30,
        pending_last_step: None,
        totp_access,
        recovery_codes,
        pending_secret,
        enrolling_access,
    }
}

/// A fresh secret enrolled in `access`'s session; None when refused.
async fn enroll(server: &TestServer, access: &str) -> Option<String> {
    let answer = server.call(ENROLL_TOTP).bearer(access).await;
    answer.body["data"]["enrollTotp"]["secret"]
        .as_str()
        .map(str::to_owned)
}

/// The code of a base32 secret at `unix_secs`, by totp-rs (RFC 6238:
/// SHA-1, 6 digits, 30 s).
fn code_of(secret_base32: &str, unix_secs: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).expect("base32 secret");
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret)
        .build_noncompliant()
        .generate(u64::try_from(unix_secs).expect("after 1970"))
        .to_string()
}

fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|code| code.as_str().map(str::to_owned))
        .collect()
}

/// The right credential an input put in front of its fuzzed text.
#[derive(Clone, Copy)]
enum Real {
    Nothing,
    /// A code of the user with TOTP on, or of the enrolment, for `step`.
    Code(Secrets, i64),
    /// The first unused recovery code.
    RecoveryCode,
    Password,
}

#[derive(Clone, Copy)]
enum Secrets {
    OfTotpUser,
    OfEnrolment,
}

impl State {
    /// The step whose code is the right one to send now: the first after
    /// the last accepted, if the ±1 window still takes it; else the
    /// current one (a replay, refused), so that both are reached.
    fn next_step(&self, which: Secrets, now: i64) -> i64 {
        let current = now / 30;
        let last = match which {
            Secrets::OfTotpUser => Some(self.totp_last_step),
            Secrets::OfEnrolment => self.pending_last_step,
        };
        match last {
            Some(last) if last <= current => current.max(last + 1),
            _ => current,
        }
    }

    /// The text of `real`, None for nothing.
    fn text_of(&self, real: Real) -> Option<String> {
        match real {
            Real::Nothing => None,
            Real::Code(Secrets::OfTotpUser, step) => Some(code_of(&self.totp_secret, step * 30)),
            Real::Code(Secrets::OfEnrolment, step) => {
                Some(code_of(&self.pending_secret, step * 30))
            }
            Real::RecoveryCode => self.recovery_codes.first().cloned(),
            Real::Password => Some(PASSWORD.to_owned()),
        }
    }

    /// Records what an input that succeeded used up.
    fn used(&mut self, real: Real) {
        match real {
            Real::Code(Secrets::OfTotpUser, step) => self.totp_last_step = step,
            Real::Code(Secrets::OfEnrolment, step) => self.pending_last_step = Some(step),
            Real::RecoveryCode if !self.recovery_codes.is_empty() => {
                self.recovery_codes.remove(0);
            }
            _ => {}
        }
    }
}

/// What an input sends, and what its answer may be.
enum Operation {
    /// `completeLogin` after a fresh login of the user with TOTP on.
    CompleteLogin(Value),
    /// `completeLogin` with a made-up `mfaToken`: never a session.
    MadeUpToken(Value),
    Reauthenticate(Value),
    ConfirmTotp(String),
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (a, b) = match rest.iter().position(|&byte| byte == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let (real, both) = (first & REAL != 0, first & BOTH != 0);
    let target = target();
    let server = &target.server;
    let mut state = target.state.lock().expect("state");
    let now = server.now_unix();
    let operation_kind = first & 0x07;
    let real = match (real, operation_kind) {
        (false, _) | (true, 2 | 3) => Real::Nothing,
        (true, 0 | 4) => Real::Code(
            Secrets::OfTotpUser,
            state.next_step(Secrets::OfTotpUser, now),
        ),
        (true, 1 | 5) => Real::RecoveryCode,
        (true, 6) => Real::Password,
        (true, _) => Real::Code(
            Secrets::OfEnrolment,
            state.next_step(Secrets::OfEnrolment, now),
        ),
    };
    let first_text = match state.text_of(real) {
        Some(prefix) => format!("{prefix}{a}"),
        None => a.to_string(),
    };
    // The credential of the input's kind, and the other kind when BOTH.
    let factor = |kind: &str| {
        let mut input = json!({ kind: first_text });
        if both {
            let other = if kind == "code" {
                "recoveryCode"
            } else {
                "code"
            };
            input[other] = json!(b);
        }
        input
    };
    let operation = match operation_kind {
        0 => Operation::CompleteLogin(factor("code")),
        1 => Operation::CompleteLogin(factor("recoveryCode")),
        2 => Operation::MadeUpToken(json!({ "mfaToken": a, "code": b })),
        3 => Operation::CompleteLogin(if both {
            json!({ "code": null, "recoveryCode": null })
        } else {
            json!({})
        }),
        4 => Operation::Reauthenticate(factor("code")),
        5 => Operation::Reauthenticate(factor("recoveryCode")),
        6 => Operation::Reauthenticate(factor("password")),
        _ => Operation::ConfirmTotp(first_text.clone()),
    };
    target.runtime.block_on(async {
        match operation {
            Operation::CompleteLogin(mut input) => {
                let login = server
                    .call(LOGIN)
                    .variables(json!({ "input": { "userName": WITH_TOTP, "password": PASSWORD } }))
                    .peer(PEER)
                    .await;
                check(&login, data);
                let Some(token) = login.body["errors"][0]["extensions"]["mfaToken"].as_str() else {
                    panic!(
                        "no mfaToken for a right password with TOTP on: {}",
                        login.body
                    );
                };
                input["mfaToken"] = json!(token);
                let answer = send(server, COMPLETE_LOGIN, json!({ "input": input }), None).await;
                check(&answer, data);
                if let Some(session) = answer.body["data"]["completeLogin"]["session"].as_object() {
                    assert_eq!(session["aal"], 2, "completeLogin opened {}", answer.body);
                    state.used(real);
                }
            }
            Operation::MadeUpToken(input) => {
                let answer = send(server, COMPLETE_LOGIN, json!({ "input": input }), None).await;
                check(&answer, data);
                assert!(
                    answer.body["data"]["completeLogin"].is_null(),
                    "a made-up mfaToken opened a session: {}",
                    answer.body
                );
            }
            Operation::Reauthenticate(input) => {
                let access = state.totp_access.clone();
                let answer = send(
                    server,
                    REAUTHENTICATE,
                    json!({ "input": input }),
                    Some(&access),
                )
                .await;
                check(&answer, data);
                if answer.body["data"]["reauthenticate"].is_object() {
                    state.used(real);
                }
            }
            Operation::ConfirmTotp(code) => {
                let access = state.enrolling_access.clone();
                let answer =
                    send(server, CONFIRM_TOTP, json!({ "code": code }), Some(&access)).await;
                check(&answer, data);
                // Turned on: enrol again, so that later inputs still meet
                // an enrolment under way.
                if answer.body["data"]["confirmTotp"].is_array() {
                    state.used(real);
                    if let Some(secret) = enroll(server, &access).await {
                        state.pending_secret = secret;
                    }
                }
            }
        }
        if state.recovery_codes.is_empty() {
            let access = state.totp_access.clone();
            let answer = send(server, REGENERATE_RECOVERY_CODES, json!({}), Some(&access)).await;
            check(&answer, data);
            state.recovery_codes = strings(&answer.body["data"]["regenerateRecoveryCodes"]);
        }
    });
});

async fn send(
    server: &TestServer,
    document: &str,
    variables: Value,
    bearer: Option<&str>,
) -> Answer {
    let mut call = server.call(document).variables(variables).peer(PEER);
    if let Some(token) = bearer {
        call = call.bearer(token);
    }
    call.await
}

/// HTTP 200, and every GraphQL error with a contract code.
fn check(answer: &Answer, data: &[u8]) {
    assert_eq!(
        answer.status.as_u16(),
        200,
        "HTTP {} for {:?}: {}",
        answer.status,
        String::from_utf8_lossy(data),
        answer.text()
    );
    for error in answer.body["errors"].as_array().into_iter().flatten() {
        let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
        assert!(
            Code::from_str(code).is_ok(),
            "error without a contract code: {error} for {:?}",
            String::from_utf8_lossy(data)
        );
    }
}
