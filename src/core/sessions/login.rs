//! Login: check a user name and password, then open a new session for the
//! device through the sessions service (`crate::core::sessions::open`).
//!
//! The check and the session are apart by a hash (or two, with a rehash)
//! that waits its turn in a queue anyone can lengthen, so the session opens
//! only while the stored hash is still the one checked and the user still
//! active: a password change or a disable that commits meanwhile is never
//! outlived by a session opened with what it replaced.

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::factors::second_step::{self, FirstStep};
use crate::core::metrics::LoginOutcome;
use crate::core::sessions::{self, Delivery, IssuedTokens, SignIn, SignInMethod};
use crate::core::{credentials, input};
use crate::error::{AppError, InternalCause};
use crate::secret::{ExposeSecret, Secret};
use crate::store::users;
use crate::vocabulary::UserStatus;

/// What a client sends to log in.
#[derive(Debug)]
pub(crate) struct LoginRequest {
    pub user_name: String,
    pub password: Secret,
    pub device_info: Option<String>,
    /// Where the refresh token goes; kept for a second step.
    pub delivery: Delivery,
}

/// Checks the credentials and opens a session. Unknown user names cost the
/// same work as wrong passwords and get the same answer.
pub(crate) async fn login(
    app: &App,
    request: LoginRequest,
    client: &ClientInfo,
) -> Result<IssuedTokens, AppError> {
    let result = check_and_open(app, request, client).await;
    let outcome = match &result {
        Ok(_) => LoginOutcome::Ok,
        Err(error) => LoginOutcome::Failed(error.code()),
    };
    app.metrics.login(outcome);
    result
}

async fn check_and_open(
    app: &App,
    request: LoginRequest,
    client: &ClientInfo,
) -> Result<IssuedTokens, AppError> {
    input::check_user_name(&request.user_name)?;
    input::check_password(request.password.expose_secret())?;
    input::check_device_info(request.device_info.as_deref())?;
    let user_name_key = input::fold_user_name(&request.user_name);

    let credentials::Checked {
        user,
        verification,
        verified_hash,
    } = credentials::check(
        app,
        &user_name_key,
        &request.password,
        client,
        client.device_cookie.usable(),
    )
    .await?;
    match user.status {
        UserStatus::Active => {}
        UserStatus::Disabled => {
            tracing::info!(user_id = %user.id, "login refused: account disabled");
            return Err(AppError::AccountDisabled);
        }
        UserStatus::Unverified => {
            tracing::info!(user_id = %user.id, "login refused: address not verified yet");
            return Err(AppError::EmailNotVerified);
        }
    }

    // The hash stored now, as far as this login knows: the session opens
    // only while it still is.
    let proved_hash = if verification.needs_rehash {
        match upgrade_hash(app, &user.id, &verified_hash, &request.password).await {
            Upgrade::Replaced(stronger_hash) => stronger_hash,
            Upgrade::Failed => verified_hash,
            // Another login of the same password may have upgraded it
            // first: then its hash proves this password too.
            Upgrade::ChangedSince => {
                stored_hash_of_same_password(app, &user_name_key, &user.id, &request.password)
                    .await
                    .unwrap_or(verified_hash)
            }
        }
    } else {
        verified_hash
    };
    if user.has_totp() {
        let first = FirstStep {
            user: &user,
            verified_hash: &proved_hash,
            device_info: request.device_info.as_deref(),
            delivery: request.delivery,
        };
        return Err(second_step::begin(app, first).await);
    }
    let sign_in = SignIn {
        user,
        method: SignInMethod::Password {
            verified_hash: proved_hash,
        },
    };
    sessions::open(app, sign_in, request.device_info, client).await
}

/// What became of upgrading a weaker hash.
enum Upgrade {
    /// The stronger hash replaced the verified one.
    Replaced(String),
    /// The stored hash is no longer the verified one.
    ChangedSince,
    /// The upgrade could not be made; the verified hash stays.
    Failed,
}

/// Replaces a hash made at a weaker cost, the one just verified only: when
/// the password changed meanwhile, the new password's hash stays. A failure
/// leaves the old one, which still works, so it is logged and the login goes
/// on.
async fn upgrade_hash(app: &App, user_id: &str, verified_hash: &str, password: &Secret) -> Upgrade {
    let result = async {
        let deadline = tokio::time::Instant::now() + app.config.password_check_wait;
        let Some(hash) = app.passwords.hash_before(password, deadline).await? else {
            return Err(AppError::ServiceUnavailable(InternalCause::Invariant(
                "no hashing thread was free in time for the upgrade",
            )));
        };
        let mut conn = app.pool.get().await?;
        let replaced =
            users::upgrade_password_hash(&mut conn, user_id, verified_hash, &hash, app.clock.now())
                .await?;
        Ok::<Option<String>, AppError>(replaced.then_some(hash))
    }
    .await;
    match result {
        Ok(Some(stronger_hash)) => {
            tracing::info!(%user_id, "password hash upgraded to the current cost");
            Upgrade::Replaced(stronger_hash)
        }
        Ok(None) => {
            tracing::info!(
                %user_id,
                "password hash not upgraded: the stored hash changed since it was checked"
            );
            Upgrade::ChangedSince
        }
        Err(error) => {
            tracing::warn!(%user_id, %error, "cannot upgrade the password hash");
            Upgrade::Failed
        }
    }
}

/// The user's stored hash when it verifies `password` too: two logins of
/// one password that both upgrade a weaker hash race, and the one whose
/// upgrade lost must not be refused for a right password ("logins with the
/// right password that arrive at the same moment all succeed"). One more
/// hash of a password already proved right, so it is no guess.
async fn stored_hash_of_same_password(
    app: &App,
    user_name_key: &str,
    user_id: &str,
    password: &Secret,
) -> Option<String> {
    let stored = {
        let mut conn = app.pool.get().await.ok()?;
        users::find_credentials(&mut conn, user_name_key)
            .await
            .ok()??
    };
    let (user, stored_hash) = stored;
    if user.id != user_id {
        return None;
    }
    let deadline = tokio::time::Instant::now() + app.config.password_check_wait;
    let verification = app
        .passwords
        .verify(password, Some(&stored_hash), deadline)
        .await
        .ok()??;
    verification.matches.then_some(stored_hash)
}
