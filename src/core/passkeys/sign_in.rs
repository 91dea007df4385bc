//! Signing in with a passkey: `beginPasskeyLogin` gives request options
//! that list no credentials (the browser offers the user's discoverable
//! ones, so the options tell nothing about any account), and
//! `finishPasskeyLogin` verifies the assertion and opens a session at
//! `aal` 2 (`["hwk", "mfa"]`) when the authenticator verified its user, else
//! at `aal` 1 (`["hwk"]`).
//!
//! The assertion's check ([`verify`]) is shared with `reauthenticate`. It
//! holds a slot of the client address's throttle, and every failure (a
//! ceremony unknown, used or expired, an unknown credential, a user handle
//! that is not the credential's, a bad signature, origin or relying-party
//! id, a counter that went backwards, another user's passkey in
//! `reauthenticate`) counts there as a wrong password does. The counter is raised by a
//! compare-and-set in the transaction that opens the session, so of two
//! sign-ins racing with one assertion's counter only one opens.

use std::net::IpAddr;

use tokio::time::Instant;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{AuthenticationState, PublicKeyCredential, UserVerificationPolicy};

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::credentials::throttle;
use crate::core::input;
use crate::core::passkeys::ceremony::{self, Kind};
use crate::core::passkeys::registration::Begun;
use crate::core::passkeys::{MAX_CREDENTIAL_CHARS, credential_key, credential_of};
use crate::core::sessions::{self, Delivery, IssuedTokens, SignIn, SignInMethod};
use crate::error::AppError;
use crate::store::passkeys::{self as passkey_rows, PasskeyUse};
use crate::store::throttle::CheckEnd;
use crate::store::users;
use crate::vocabulary::UserStatus;

/// Starts a sign-in with a discoverable passkey.
pub(crate) fn begin(app: &App) -> Result<Begun, AppError> {
    let webauthn = &app.passkeys.webauthn;
    let library = |error: WebauthnError| {
        tracing::error!(%error, "cannot make passkey request options");
        AppError::Internal(crate::error::InternalCause::Invariant(
            "cannot make passkey request options",
        ))
    };
    let builder = webauthn
        .new_challenge_authenticate_builder(Vec::new(), Some(UserVerificationPolicy::Preferred))
        .map_err(library)?;
    let (options, state) = webauthn
        .generate_challenge_authenticate(builder)
        .map_err(library)?;
    let options_json = serde_json::to_string(&options.public_key).map_err(|_| {
        AppError::Internal(crate::error::InternalCause::Invariant(
            "passkey request options do not encode",
        ))
    })?;
    let challenge_id = ceremony::start(app, Kind::SignIn, None, state)?;
    Ok(Begun {
        challenge_id,
        options_json,
    })
}

/// An assertion that verified: whose passkey, the use to record, and
/// whether the authenticator verified its user.
pub(crate) struct Asserted {
    pub used: PasskeyUse,
    pub user_verified: bool,
}

/// Spends the ceremony and verifies the assertion `credential_json`
/// against the stored passkey it names (one of `expected_user`'s, when
/// given), in a slot of the client address's throttle, where every
/// failure counts: a ceremony that is not one (`INVALID_TOKEN`) as a
/// passkey that does not verify (`INVALID_CREDENTIALS`). Nothing is
/// recorded yet: the caller records the use.
pub(crate) async fn verify(
    app: &App,
    challenge_id: &str,
    credential_json: &str,
    expected_user: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<Asserted, AppError> {
    if credential_json.len() > MAX_CREDENTIAL_CHARS {
        return Err(AppError::BadUserInput(format!(
            "credential must be at most {MAX_CREDENTIAL_CHARS} characters"
        )));
    }
    let answer: PublicKeyCredential = serde_json::from_str(credential_json).map_err(|_| {
        AppError::BadUserInput("credential is not an AuthenticationResponseJSON".into())
    })?;
    let deadline = Instant::now() + app.config.password_check_wait;
    let slot = throttle::begin_address_check(app, ip, deadline).await?;
    let result = async {
        let spent = ceremony::spend::<AuthenticationState>(app, Kind::SignIn, challenge_id).await?;
        let asserted = check(app, &answer, spent.state).await?;
        match expected_user {
            Some(user_id) if user_id != asserted.used.user_id => {
                tracing::info!(%user_id, "passkey refused: another user's");
                Err(AppError::InvalidPasskey)
            }
            _ => Ok(asserted),
        }
    }
    .await;
    let end = match &result {
        Ok(_) => CheckEnd::Succeeded,
        Err(AppError::InvalidPasskey | AppError::InvalidToken) => CheckEnd::Failed,
        Err(_) => CheckEnd::Abandoned,
    };
    throttle::end_check(app, slot, end).await;
    if matches!(result, Err(AppError::InvalidPasskey)) {
        tracing::info!(ip = ?ip, "passkey refused");
    }
    result
}

/// The checks of [`verify`], once the ceremony is spent.
async fn check(
    app: &App,
    answer: &PublicKeyCredential,
    mut state: AuthenticationState,
) -> Result<Asserted, AppError> {
    let key = credential_key(answer.get_credential_id());
    let row = {
        let mut conn = app.pool.get().await?;
        passkey_rows::find_by_credential(&mut conn, &key)
            .await?
            .ok_or(AppError::InvalidPasskey)?
    };
    // A discoverable credential names its user; it must be the passkey's.
    if answer.get_user_unique_id() != Some(row.user_id.as_bytes()) {
        return Err(AppError::InvalidPasskey);
    }
    state.set_allowed_credentials(vec![credential_of(&row)?]);
    match app
        .passkeys
        .webauthn
        .authenticate_credential(answer, &state)
    {
        Ok(result) => Ok(Asserted {
            used: PasskeyUse {
                passkey_id: row.id,
                user_id: row.user_id,
                sign_count: i64::from(result.counter()),
                backed_up: result.backup_state(),
            },
            user_verified: result.user_verified(),
        }),
        Err(WebauthnError::CredentialPossibleCompromise) => {
            tracing::warn!(
                user_id = %row.user_id,
                passkey_id = %row.id,
                "passkey refused: its signature counter went backwards (a cloned authenticator?)"
            );
            let mut conn = app.pool.get().await?;
            passkey_rows::record_counter_refused(&mut conn, &row.id, app.clock.now()).await?;
            Err(AppError::InvalidPasskey)
        }
        Err(error) => {
            tracing::info!(user_id = %row.user_id, %error, "passkey assertion does not verify");
            Err(AppError::InvalidPasskey)
        }
    }
}

/// What a client sends to finish a passkey sign-in.
pub(crate) struct Finish {
    pub challenge_id: String,
    pub credential_json: String,
    pub device_info: Option<String>,
    pub delivery: Delivery,
}

/// Verifies the assertion and opens the session; a disabled or unverified
/// account gets the code its password login would (after the passkey
/// verified, so the answer tells a stranger nothing).
pub(crate) async fn finish(
    app: &App,
    request: Finish,
    client: &ClientInfo,
) -> Result<(IssuedTokens, Delivery), AppError> {
    input::check_device_info(request.device_info.as_deref())?;
    let asserted = verify(
        app,
        &request.challenge_id,
        &request.credential_json,
        None,
        client.ip_address,
    )
    .await?;
    let user = {
        let mut conn = app.pool.get().await?;
        users::find_by_id(&mut conn, &asserted.used.user_id)
            .await?
            .ok_or(AppError::InvalidPasskey)?
    };
    match user.status {
        UserStatus::Active => {}
        UserStatus::Disabled => return Err(AppError::AccountDisabled),
        UserStatus::Unverified => return Err(AppError::EmailNotVerified),
    }
    let sign_in = SignIn {
        user,
        method: SignInMethod::Passkey {
            used: asserted.used,
            user_verified: asserted.user_verified,
        },
    };
    let issued = sessions::open(app, sign_in, request.device_info, client).await?;
    Ok((issued, request.delivery))
}
