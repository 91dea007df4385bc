//! The second step of a login: a right password for an account with TOTP
//! opens no session; it answers `MFA_REQUIRED` with an `mfaToken` (256
//! random bits, 5 minutes, stored only as its SHA-256, bound to the login's
//! device label, refresh-token delivery and the password hash it verified),
//! and `completeLogin` with that token and a code opens the session at
//! `aal` 2.
//!
//! The token is used up by the session it opens, once (a compare-and-set),
//! and dies after [`MAX_WRONG_CODES`] wrong codes. The session opens only
//! while the password hash is still the one the first step verified and the
//! user is still active, as a one-step login's does: a password reset or a
//! disable between the two steps leaves the token worthless.

use chrono::TimeDelta;

use crate::core::accounts::mail_tokens::{self, token_hash};
use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::factors::factors_offered;
use crate::core::factors::proof::{self, SecondFactor};
use crate::core::security_events::Source;
use crate::core::sessions::{self, Delivery, IssuedTokens, SignIn, SignInMethod};
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};
use crate::store::factors::{self as factor_rows, NewChallenge};
use crate::store::passkeys as passkey_rows;
use crate::store::users::{self, UserRecord};
use crate::vocabulary::UserStatus;

/// How long an `mfaToken` may be used.
const LIFETIME: TimeDelta = TimeDelta::minutes(5);
/// Wrong codes after which an `mfaToken` is dead.
pub(crate) const MAX_WRONG_CODES: i32 = 5;

/// What a login's first step proved, for its second.
pub(crate) struct FirstStep<'a> {
    pub user: &'a UserRecord,
    pub verified_hash: &'a str,
    pub device_info: Option<&'a str>,
    pub delivery: Delivery,
}

/// Stores the second step of a login and returns the `MFA_REQUIRED` error
/// that carries its token.
pub(crate) async fn begin(app: &App, first: FirstStep<'_>) -> AppError {
    let token = mail_tokens::new_token();
    let now = app.clock.now();
    let challenge = NewChallenge {
        token_hash: &token.hash,
        user_id: &first.user.id,
        verified_hash: first.verified_hash,
        device_info: first.device_info,
        delivery: first.delivery.as_str(),
        failures: 0,
        created_at: now,
        expires_at: crate::core::clock::later(now, LIFETIME),
    };
    let stored = async {
        let mut conn = app.pool.get().await?;
        factor_rows::insert_challenge(&mut conn, &challenge).await?;
        Ok::<bool, AppError>(passkey_rows::count_of_user(&mut conn, &first.user.id).await? > 0)
    }
    .await;
    let has_passkey = match stored {
        Ok(has_passkey) => has_passkey,
        Err(error) => return error,
    };
    tracing::info!(user_id = %first.user.id, "login needs a second factor");
    AppError::MfaRequired {
        mfa_token: token.value,
        factors: factors_offered(has_passkey),
    }
}

/// What a client sends to finish a login.
pub(crate) struct CompleteLogin {
    pub mfa_token: Secret,
    pub factor: SecondFactor,
}

/// Longest `mfaToken` input looked at; longer is `BAD_USER_INPUT`.
const MAX_TOKEN_CHARS: usize = 256;

/// Opens the session of a login that answered `MFA_REQUIRED`, with its
/// device label and delivery; `INVALID_TOKEN` for a token that is made up,
/// expired, used or dead, `INVALID_CREDENTIALS` for a wrong code.
pub(crate) async fn complete_login(
    app: &App,
    request: CompleteLogin,
    client: &ClientInfo,
) -> Result<(IssuedTokens, Delivery), AppError> {
    let token = request.mfa_token.expose_secret().trim();
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return Err(AppError::BadUserInput(format!(
            "mfaToken must be 1 to {MAX_TOKEN_CHARS} characters"
        )));
    }
    request.factor.check_bounds()?;
    if !mail_tokens::looks_like_token(token) {
        return Err(AppError::InvalidToken);
    }
    let hash = token_hash(token);
    let (challenge, user) = {
        let mut conn = app.pool.get().await?;
        let challenge =
            factor_rows::find_challenge(&mut conn, &hash, MAX_WRONG_CODES, app.clock.now())
                .await?
                .ok_or(AppError::InvalidToken)?;
        let user = users::find_by_id(&mut conn, &challenge.user_id)
            .await?
            .ok_or(AppError::InvalidToken)?;
        (challenge, user)
    };
    match user.status {
        UserStatus::Active => {}
        UserStatus::Disabled => return Err(AppError::AccountDisabled),
        UserStatus::Unverified => return Err(AppError::EmailNotVerified),
    }
    let source = Source::request(client, challenge.device_info.as_deref());
    let device = client.device_cookie.usable();
    if let Err(error) = proof::prove(app, &user, &request.factor, client, device, &source).await {
        if matches!(error, AppError::InvalidCode) {
            let mut conn = app.pool.get().await?;
            factor_rows::count_challenge_failure(&mut conn, &hash).await?;
        }
        return Err(error);
    }
    {
        let mut conn = app.pool.get().await?;
        if !factor_rows::use_challenge(&mut conn, &hash, MAX_WRONG_CODES, app.clock.now()).await? {
            // Another request finished this login first (with another code).
            return Err(AppError::InvalidToken);
        }
    }
    let delivery = Delivery::parse(&challenge.delivery);
    let sign_in = SignIn {
        user,
        method: SignInMethod::PasswordAndCode {
            verified_hash: challenge.verified_hash,
        },
    };
    let issued = sessions::open(app, sign_in, challenge.device_info, client).await?;
    Ok((issued, delivery))
}
