//! TOTP turned on through the API, as a user turns it on, and what the
//! `completeLogin` scenario asks of such an account each round: fresh
//! recovery codes, and one `mfaToken` per code from a login that answers
//! `MFA_REQUIRED`.
//!
//! The code that confirms TOTP is computed here from the secret
//! `enrollTotp` answered (RFC 6238: HMAC-SHA-1, 6 digits, 30 s), as an
//! authenticator app would: each account confirms once, so the server's
//! refusal of a step already used never meets it.

use std::time::{SystemTime, UNIX_EPOCH};

use authql_testkit::documents::{CONFIRM_TOTP, ENROLL_TOTP, REFRESH, REGENERATE_RECOVERY_CODES};
use serde::Deserialize;

use crate::client::{self, Connection, Failure, GqlRequest};
use crate::scenarios::login_request;

/// An account with TOTP on, and the refresh token of the session that
/// turned it on (at `aal` 2 from then on, so it may regenerate the codes).
pub struct Enrolled {
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionTokens {
    access_token: String,
    refresh_token: String,
}

#[derive(Deserialize)]
struct LoggedIn {
    login: SessionTokens,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Refreshed {
    refresh_token: SessionTokens,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Enrollment {
    enroll_totp: TotpEnrollment,
}

#[derive(Deserialize)]
struct TotpEnrollment {
    secret: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Confirmed {
    confirm_totp: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Regenerated {
    regenerate_recovery_codes: Vec<String>,
}

/// Logs in (one step: TOTP is off), enrols a TOTP secret and confirms it
/// with the code of the current step.
pub async fn enrol(
    connection: &mut Connection,
    user_name: &str,
    password: &str,
) -> Result<Enrolled, Failure> {
    let request = login_request(user_name, password).map_err(setup_failure)?;
    let session = client::data::<LoggedIn>(&connection.post(&request).await?)?.login;
    let bearer = Some(session.access_token.as_str());
    let enrol = GqlRequest::new(ENROLL_TOTP, None, bearer).map_err(setup_failure)?;
    let secret = client::data::<Enrollment>(&connection.post(&enrol).await?)?
        .enroll_totp
        .secret;
    let variables = serde_json::json!({ "code": code_now(&secret)? });
    let confirm = GqlRequest::new(CONFIRM_TOTP, Some(variables), bearer).map_err(setup_failure)?;
    let codes = client::data::<Confirmed>(&connection.post(&confirm).await?)?.confirm_totp;
    if codes.is_empty() {
        return Err("confirmTotp answered no recovery codes".to_owned());
    }
    Ok(Enrolled {
        refresh_token: session.refresh_token,
    })
}

/// Ten new recovery codes (the old ones stop working): the session is
/// refreshed first, since its access token may have expired since an
/// earlier round.
pub async fn fresh_recovery_codes(
    connection: &mut Connection,
    enrolled: &mut Enrolled,
) -> Result<Vec<String>, Failure> {
    let variables = serde_json::json!({ "token": enrolled.refresh_token });
    let refresh = GqlRequest::new(REFRESH, Some(variables), None).map_err(setup_failure)?;
    let session = client::data::<Refreshed>(&connection.post(&refresh).await?)?.refresh_token;
    enrolled.refresh_token = session.refresh_token;
    let regenerate = GqlRequest::new(REGENERATE_RECOVERY_CODES, None, Some(&session.access_token))
        .map_err(setup_failure)?;
    let body = connection.post(&regenerate).await?;
    Ok(client::data::<Regenerated>(&body)?.regenerate_recovery_codes)
}

/// The `mfaToken` of a login of an account with TOTP on.
pub async fn mfa_token(
    connection: &mut Connection,
    user_name: &str,
    password: &str,
) -> Result<String, Failure> {
    let request = login_request(user_name, password).map_err(setup_failure)?;
    let body = connection.post(&request).await?;
    mfa_token_of(&body)
}

/// A login's answer: `MFA_REQUIRED` and its `extensions.mfaToken`.
#[derive(Deserialize)]
struct MfaAnswer {
    errors: Vec<MfaError>,
}

#[derive(Deserialize)]
struct MfaError {
    extensions: MfaExtensions,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MfaExtensions {
    code: String,
    mfa_token: Option<String>,
}

fn mfa_token_of(body: &[u8]) -> Result<String, Failure> {
    let answer: MfaAnswer = match serde_json::from_slice(body) {
        Ok(answer) => answer,
        // A session (TOTP off), or an answer of another shape.
        Err(_) => return Err("login did not answer MFA_REQUIRED".to_owned()),
    };
    let extensions = answer
        .errors
        .into_iter()
        .next()
        .ok_or("login answered no error")?
        .extensions;
    match (extensions.code.as_str(), extensions.mfa_token) {
        ("MFA_REQUIRED", Some(token)) => Ok(token),
        ("MFA_REQUIRED", None) => Err("MFA_REQUIRED without an mfaToken".to_owned()),
        (code, _) => Err(format!("GraphQL {code}")),
    }
}

/// The code of a base32 secret at the current step.
fn code_now(secret_base32: &str) -> Result<String, Failure> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32)
        .map_err(|_| "enrollTotp answered a secret that is not base32".to_owned())?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970".to_owned())?
        .as_secs();
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret)
        .build_noncompliant();
    Ok(totp.generate(now).to_string())
}

fn setup_failure(error: crate::BoxError) -> Failure {
    format!("cannot build a setup request: {error}")
}
