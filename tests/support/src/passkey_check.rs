//! Passkey ceremonies verified by a relying party independent of authql's:
//! the npm `@simplewebauthn/server` (installed into
//! `tests/webauthn/node_modules` by `.ci/run`), run through
//! `tests/webauthn/verify.mjs`. It proves the kit's [`SoftAuthenticator`]
//! answers as a browser would, and gives a second opinion on an answer
//! authql accepted or refused.
//!
//! [`SoftAuthenticator`]: crate::SoftAuthenticator

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// What the relying party expects of a ceremony besides its challenge
/// (which comes from the options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    pub origin: &'a str,
    pub rp_id: &'a str,
    pub require_user_verification: bool,
}

/// A credential as a relying party stores it after a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// The credential id, base64url.
    pub id: String,
    /// The COSE public key, base64url.
    pub public_key: String,
    /// The signature counter last seen.
    pub counter: u32,
}

/// What @simplewebauthn/server found in a ceremony it verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The credential with its counter after this ceremony: what to store,
    /// and what to pass to the next authentication.
    pub credential: StoredPasskey,
    pub user_verified: bool,
    pub new_counter: u32,
    pub backed_up: bool,
}

/// @simplewebauthn/server refused the ceremony; its message says which
/// check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "@simplewebauthn/server refused: {}", self.0)
    }
}

impl std::error::Error for Refused {}

/// `verifyRegistrationResponse` of a RegistrationResponseJSON
/// (`response_json`) to the creation options `options_json`.
pub fn simplewebauthn_verify_registration(
    options_json: &str,
    response_json: &str,
    expected: Expected<'_>,
) -> Result<Verified, Refused> {
    run_verifier(&json!({
        "kind": "registration",
        "options": options_json,
        "response": response_json,
        "expectedOrigin": expected.origin,
        "expectedRPID": expected.rp_id,
        "requireUserVerification": expected.require_user_verification,
    }))
}

/// `verifyAuthenticationResponse` of an AuthenticationResponseJSON
/// (`response_json`) to the request options `options_json`, with the
/// credential a registration stored.
pub fn simplewebauthn_verify_authentication(
    options_json: &str,
    response_json: &str,
    expected: Expected<'_>,
    credential: &StoredPasskey,
) -> Result<Verified, Refused> {
    run_verifier(&json!({
        "kind": "authentication",
        "options": options_json,
        "response": response_json,
        "expectedOrigin": expected.origin,
        "expectedRPID": expected.rp_id,
        "requireUserVerification": expected.require_user_verification,
        "credential": {
            "id": credential.id,
            "publicKey": credential.public_key,
            "counter": credential.counter,
        },
    }))
}

fn run_verifier(input: &Value) -> Result<Verified, Refused> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../webauthn/verify.mjs");
    let mut child = Command::new("node")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node {}: {e}", script.display()));
    child
        .stdin
        .take()
        .expect("stdin was piped")
        .write_all(input.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("cannot write to {}: {e}", script.display()));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot wait for {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "@simplewebauthn/server failed ({}): {}; run `npm ci` in tests/webauthn",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let verdict: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{} printed no JSON ({e}): {}",
            script.display(),
            String::from_utf8_lossy(&output.stdout)
        )
    });
    if verdict["verified"] != true {
        return Err(Refused(
            verdict["error"]
                .as_str()
                .unwrap_or("not verified")
                .to_owned(),
        ));
    }
    Ok(Verified {
        credential: StoredPasskey {
            id: string(&verdict, "/credential/id"),
            public_key: string(&verdict, "/credential/publicKey"),
            counter: counter(&verdict, "/credential/counter"),
        },
        user_verified: verdict["userVerified"] == true,
        new_counter: counter(&verdict, "/newCounter"),
        backed_up: verdict["backedUp"] == true,
    })
}

fn string(verdict: &Value, pointer: &str) -> String {
    verdict
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("verify.mjs printed no string at {pointer}: {verdict}"))
        .to_owned()
}

fn counter(verdict: &Value, pointer: &str) -> u32 {
    verdict
        .pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|counter| u32::try_from(counter).ok())
        .unwrap_or_else(|| panic!("verify.mjs printed no u32 at {pointer}: {verdict}"))
}
