//! The `credential` JSON text of `finishPasskeyLogin` and
//! `finishPasskeyRegistration`, each with a fresh ceremony, on a test-kit
//! server (SQLite) where one user ("pia") has a passkey on the kit's
//! software authenticator and another ("rita0", then a new one after each
//! passkey added) is signed in with a fresh password session, so
//! registrations may begin. The input is either the
//! whole credential text, or a mutation of the authenticator's real answer
//! to that very ceremony, so that the checks behind the JSON (client data,
//! CBOR attestation, authenticator data, signature, counter) are reached.
//!
//! No panic, HTTP 200, every error carries one of the contract's codes for
//! the operation (never `INTERNAL_SERVER_ERROR` or `SERVICE_UNAVAILABLE`),
//! and `finishPasskeyLogin` opens a session only for an answer whose signed
//! parts (rawId, clientDataJSON, authenticatorData, signature, userHandle)
//! decode to the real answer's bytes, at the `aal` its flags earn.
//!
//! An input's first byte: bit 0 picks the operation (0 sign-in, 1
//! registration), bits 1-3 the [`Mode`], bit 4 has the authenticator answer
//! without user verification. For a mutation, the second byte picks the
//! field ([`LOGIN_FIELDS`], [`REGISTRATION_FIELDS`]), the next two are an
//! offset (little-endian), the rest is the payload. For `Mode::Whole`, the
//! rest of the input is the credential text (lossy UTF-8).
#![no_main]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use authql_testkit::documents::{
    BEGIN_PASSKEY_LOGIN, BEGIN_PASSKEY_REGISTRATION, FINISH_PASSKEY_LOGIN,
    FINISH_PASSKEY_REGISTRATION,
};
use authql_testkit::{Answer, Flags, SoftAuthenticator, TestServer, access_token};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chrono::TimeDelta;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const PASSWORD: &str = "fuzz password 3";
/// The user with a passkey, and the name of those who register them.
const SIGNS_IN: &str = "pia";
const REGISTERS: &str = "rita";
/// The test server's defaults: rp id `localhost`.
const ORIGIN: &str = "http://localhost:8080";
const PEER: &str = "203.0.113.17:4000";
const UNVERIFIED: u8 = 0x10;

/// The codes the contract's "Passkeys" section (and the guard of a signed-in
/// caller) gives these operations.
const LOGIN_CODES: &[&str] = &[
    "BAD_USER_INPUT",
    "INVALID_TOKEN",
    "INVALID_CREDENTIALS",
    "TOO_MANY_ATTEMPTS",
];
const REGISTRATION_CODES: &[&str] = &[
    "BAD_USER_INPUT",
    "INVALID_TOKEN",
    "REAUTHENTICATION_REQUIRED",
];

/// Where a mutation lands in an AuthenticationResponseJSON.
const LOGIN_FIELDS: &[&str] = &[
    "/response/clientDataJSON",
    "/response/authenticatorData",
    "/response/signature",
    "/response/userHandle",
    "/rawId",
    "/id",
    "/type",
    "/clientExtensionResults",
    "/authenticatorAttachment",
];
/// The fields of an assertion that the signature covers, or that pick the
/// credential and its user: change one and no session may open.
const SIGNED_FIELDS: &[&str] = &[
    "/response/clientDataJSON",
    "/response/authenticatorData",
    "/response/signature",
    "/response/userHandle",
    "/rawId",
];
/// Where a mutation lands in a RegistrationResponseJSON.
const REGISTRATION_FIELDS: &[&str] = &[
    "/response/clientDataJSON",
    "/response/attestationObject",
    "/response/authenticatorData",
    "/response/publicKey",
    "/response/publicKeyAlgorithm",
    "/response/transports",
    "/rawId",
    "/id",
    "/type",
    "/clientExtensionResults",
    "/authenticatorAttachment",
];

/// How the credential text is made (bits 1-3 of the first byte).
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// The rest of the input is the whole text.
    Whole,
    /// The field becomes the payload, as a string.
    Text,
    /// The field becomes the payload's bytes, base64url.
    Bytes,
    /// The field's bytes, overwritten at the offset by the payload.
    Overwrite,
    /// The field's bytes, with the payload inserted at the offset.
    Insert,
    /// The field's bytes cut at the offset, then the payload.
    Truncate,
    /// The field becomes the payload read as JSON (its text if it is not);
    /// an empty payload removes the field.
    Json,
    /// The answer's text with the payload inserted at the offset.
    Splice,
}

impl Mode {
    fn of(first: u8) -> Mode {
        match (first >> 1) & 0x07 {
            0 => Mode::Whole,
            1 => Mode::Text,
            2 => Mode::Bytes,
            3 => Mode::Overwrite,
            4 => Mode::Insert,
            5 => Mode::Truncate,
            6 => Mode::Json,
            _ => Mode::Splice,
        }
    }
}

struct State {
    /// Holds pia's passkey; its counter moves on with every answer.
    authenticator: SoftAuthenticator,
    /// The password session (recent for the whole run) of the user who
    /// registers passkeys, who has none yet.
    registering_access: String,
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
                    c.argon2_cost.memory_kib = 8;
                    c.argon2_cost.iterations = 1;
                    // Every refused answer counts for the address: without
                    // room for millions the throttle would answer every
                    // input after the hundredth, and nothing else be reached.
                    c.login_max_failures = 1_000_000;
                    c.login_ip_max_failures = 1_000_000;
                    // One password session, recent, for the whole run.
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

/// pia with a passkey (registered with user verification), rita0 signed in.
async fn setup(server: &TestServer) -> State {
    server.add_user(SIGNS_IN, PASSWORD).await;
    let access = access_token(&server.login(SIGNS_IN, PASSWORD).await);
    let mut authenticator = SoftAuthenticator::new();
    let (challenge_id, options) = begin(server, BEGIN_PASSKEY_REGISTRATION, Some(&access)).await;
    let credential = authenticator
        .register(&options, ORIGIN, Flags::VERIFIED)
        .expect("a credential");
    let added = send(
        server,
        FINISH_PASSKEY_REGISTRATION,
        json!({ "input": { "challengeId": challenge_id, "credential": credential } }),
        Some(&access),
    )
    .await;
    assert!(!added.has_errors(), "pia's passkey: {}", added.text());
    State {
        authenticator,
        registering_access: new_registering_user(server).await,
    }
}

/// The password session of a new user without passkeys, who may begin
/// registrations.
async fn new_registering_user(server: &TestServer) -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("{REGISTERS}{}", COUNT.fetch_add(1, Ordering::Relaxed));
    server.add_user(&name, PASSWORD).await;
    access_token(&server.login(&name, PASSWORD).await)
}

/// A fresh ceremony: its `challengeId` and options.
async fn begin(server: &TestServer, document: &str, bearer: Option<&str>) -> (String, String) {
    let answer = send(server, document, json!({}), bearer).await;
    let field = if document == BEGIN_PASSKEY_LOGIN {
        "beginPasskeyLogin"
    } else {
        "beginPasskeyRegistration"
    };
    let begun = answer.data(field);
    (
        begun["challengeId"]
            .as_str()
            .expect("challengeId")
            .to_owned(),
        begun["options"].as_str().expect("options").to_owned(),
    )
}

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

/// What an input asks for, split from its bytes.
struct Input<'a> {
    registration: bool,
    mode: Mode,
    flags: Flags,
    field: u8,
    offset: usize,
    payload: &'a [u8],
}

impl<'a> Input<'a> {
    fn of(data: &'a [u8]) -> Option<Input<'a>> {
        let (&first, rest) = data.split_first()?;
        let mode = Mode::of(first);
        let flags = if first & UNVERIFIED != 0 {
            Flags::PRESENT
        } else {
            Flags::VERIFIED
        };
        let (field, offset, payload) = match (mode, rest) {
            (Mode::Whole, _) => (0, 0, rest),
            (_, [field, low, high, payload @ ..]) => (
                *field,
                usize::from(u16::from_le_bytes([*low, *high])),
                payload,
            ),
            (_, _) => (0, 0, &[][..]),
        };
        Some(Input {
            registration: first & 0x01 != 0,
            mode,
            flags,
            field,
            offset,
            payload,
        })
    }

    /// The credential text: the payload alone, or `real` mutated.
    fn credential(&self, real: &str) -> String {
        let fields = if self.registration {
            REGISTRATION_FIELDS
        } else {
            LOGIN_FIELDS
        };
        let pointer = fields[usize::from(self.field) % fields.len()];
        let text = || String::from_utf8_lossy(self.payload).into_owned();
        let mut answer: Value = serde_json::from_str(real).expect("the authenticator's JSON");
        let old = answer.pointer(pointer).cloned();
        let old_bytes = || old.as_ref().and_then(bytes_of).unwrap_or_default();
        let new = match self.mode {
            Mode::Whole => return text(),
            Mode::Splice => {
                let mut whole = real.to_owned();
                let mut at = self.offset.min(whole.len());
                while !whole.is_char_boundary(at) {
                    at -= 1;
                }
                whole.insert_str(at, &text());
                return whole;
            }
            Mode::Text => Some(Value::String(text())),
            Mode::Bytes => Some(base64url(self.payload)),
            Mode::Overwrite => {
                let mut bytes = old_bytes();
                let at = self.offset.min(bytes.len());
                let end = at + self.payload.len();
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                bytes[at..end].copy_from_slice(self.payload);
                Some(base64url(&bytes))
            }
            Mode::Insert => {
                let mut bytes = old_bytes();
                let at = self.offset.min(bytes.len());
                bytes.splice(at..at, self.payload.iter().copied());
                Some(base64url(&bytes))
            }
            Mode::Truncate => {
                let mut bytes = old_bytes();
                bytes.truncate(self.offset);
                bytes.extend_from_slice(self.payload);
                Some(base64url(&bytes))
            }
            Mode::Json if self.payload.is_empty() => None,
            Mode::Json => {
                Some(serde_json::from_slice(self.payload).unwrap_or_else(|_| Value::String(text())))
            }
        };
        set(&mut answer, pointer, new);
        answer.to_string()
    }
}

/// Sets (Some) or removes (None) the member at `pointer`.
fn set(document: &mut Value, pointer: &str, value: Option<Value>) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let Some(Value::Object(members)) = document.pointer_mut(parent) else {
        return;
    };
    match value {
        Some(value) => members.insert(key.to_owned(), value),
        None => members.remove(key),
    };
}

fn base64url(bytes: &[u8]) -> Value {
    Value::String(URL_SAFE_NO_PAD.encode(bytes))
}

/// The bytes a field holds as the server reads them (webauthn-rs's
/// `Base64UrlSafeData`: base64 URL-safe or standard, padded or not, or an
/// array of bytes); None when it holds none.
fn bytes_of(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(text) => [URL_SAFE_NO_PAD, URL_SAFE, STANDARD, STANDARD_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok()),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_u64().and_then(|byte| u8::try_from(byte).ok()))
            .collect(),
        _ => None,
    }
}

/// True when `sent` is not the real assertion: not JSON, or one of its
/// signed fields holds other bytes than `real`'s.
fn forged(sent: &str, real: &str) -> bool {
    let (Ok(sent), Ok(real)) = (
        serde_json::from_str::<Value>(sent),
        serde_json::from_str::<Value>(real),
    ) else {
        return true;
    };
    SIGNED_FIELDS.iter().any(|pointer| {
        let held = |answer: &Value| answer.pointer(pointer).and_then(bytes_of);
        held(&sent).is_none() || held(&sent) != held(&real)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::of(data) else {
        return;
    };
    let target = target();
    let server = &target.server;
    let mut state = target.state.lock().expect("state");
    target.runtime.block_on(async {
        if input.registration {
            let access = state.registering_access.clone();
            let (challenge_id, options) =
                begin(server, BEGIN_PASSKEY_REGISTRATION, Some(&access)).await;
            // A new authenticator each time, holding nothing the options
            // exclude.
            let real = SoftAuthenticator::new()
                .register(&options, ORIGIN, input.flags)
                .expect("a credential");
            let credential = input.credential(&real);
            let answer = send(
                server,
                FINISH_PASSKEY_REGISTRATION,
                json!({ "input": { "challengeId": challenge_id, "credential": credential } }),
                Some(&access),
            )
            .await;
            check(&answer, REGISTRATION_CODES, &credential);
            let added = &answer.body["data"]["finishPasskeyRegistration"];
            assert!(
                !matches!(input.mode, Mode::Whole) || added.is_null(),
                "a passkey added by an answer made without the ceremony: {credential}\n{}",
                answer.text()
            );
            // Added: the user now has a second factor, and a password
            // session may begin no more registrations (nor remove the
            // passkey); the next ones are another new user's.
            if added.is_object() {
                state.registering_access = new_registering_user(server).await;
            }
        } else {
            let (challenge_id, options) = begin(server, BEGIN_PASSKEY_LOGIN, None).await;
            let real = state
                .authenticator
                .sign_in(&options, ORIGIN, input.flags)
                .expect("an assertion");
            let credential = input.credential(&real);
            let answer = send(
                server,
                FINISH_PASSKEY_LOGIN,
                json!({ "input": { "challengeId": challenge_id, "credential": credential } }),
                None,
            )
            .await;
            check(&answer, LOGIN_CODES, &credential);
            if let Some(session) = answer.body["data"]["finishPasskeyLogin"]["session"].as_object()
            {
                assert!(
                    !forged(&credential, &real),
                    "a session for an answer that is not the authenticator's: {credential}\nreal: {real}\n{}",
                    answer.text()
                );
                let aal = if input.flags.user_verified { 2 } else { 1 };
                assert_eq!(session["aal"], aal, "{}", answer.text());
            }
        }
    });
});

/// HTTP 200, and every GraphQL error with one of `codes`.
fn check(answer: &Answer, codes: &[&str], credential: &str) {
    assert_eq!(
        answer.status.as_u16(),
        200,
        "HTTP {} for {credential:?}: {}",
        answer.status,
        answer.text()
    );
    for error in answer.body["errors"].as_array().into_iter().flatten() {
        let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
        assert!(codes.contains(&code), "{code} for {credential:?}: {error}");
    }
}
