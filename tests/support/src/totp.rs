//! TOTP codes from an implementation independent of authql's: the npm
//! `otplib` (installed into `tests/totp/node_modules` by `.ci/run`) reads
//! the `otpauthUri` authql gave and computes the code an authenticator app
//! would show at a given time.

use std::path::PathBuf;
use std::process::Command;

/// What otplib read of an `otpauth://` URI, and the code it computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpReading {
    /// The label as an app shows it (`ISSUER:NAME`, decoded).
    pub label: String,
    /// The `issuer` parameter.
    pub issuer: String,
    pub code: String,
}

/// The code of `otpauth_uri` at `unix_secs`, by otplib.
pub fn totp_code(otpauth_uri: &str, unix_secs: i64) -> String {
    read_totp(otpauth_uri, unix_secs).code
}

/// What otplib reads of `otpauth_uri`, with its code at `unix_secs`.
pub fn read_totp(otpauth_uri: &str, unix_secs: i64) -> TotpReading {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../totp/code.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(otpauth_uri)
        .arg(unix_secs.to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot run node {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "otplib failed ({}): {}; run `npm ci` in tests/totp",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.trim_end_matches('\n').split('\t');
    let mut next = || fields.next().unwrap_or_default().to_owned();
    TotpReading {
        label: next(),
        issuer: next(),
        code: next(),
    }
}
