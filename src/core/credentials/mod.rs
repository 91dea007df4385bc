//! Checking a user name and password, for login and for changePassword alike:
//! the address's turn (at most two checks per address at once, see
//! `address_gates`), the throttle's slots around the check, one Argon2id
//! verify off the executor, and the same work and answer for an unknown name
//! as for a wrong password (a dummy hash).
//!
//! A check has one deadline to start by (`PASSWORD_CHECK_WAIT_MS`, 10 s):
//! whatever it is still waiting for then (its address's turn, a throttle
//! slot, a hashing thread), it is answered `TOO_MANY_ATTEMPTS` with
//! `retryAfter`, well before the HTTP request timeout would cut it off.

pub(crate) mod address_gates;
pub(crate) mod change_password;
pub(crate) mod hash_memory;
pub(crate) mod hash_workers;
pub mod password;
pub(crate) mod throttle;

use tokio::time::Instant;

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::credentials::password::Verification;
use crate::core::devices::cookie::DeviceId;
use crate::core::security_events;
use crate::error::{AppError, InternalCause};
use crate::secret::Secret;
use crate::store::throttle::CheckEnd;
use crate::store::users::{self, UserRecord};

/// Longest a password check may take, hashing queue included; a quarter of
/// the time after which the throttle forgets a check's slot.
const CHECK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// A user whose password was just checked.
pub(crate) struct Checked {
    pub user: UserRecord,
    pub verification: Verification,
    /// The stored hash the password was checked against: whatever is
    /// written on the strength of this check (a new password, a stronger
    /// hash) replaces this hash only, so that it never undoes a change that
    /// committed meanwhile.
    pub verified_hash: String,
}

/// The user with this name key and password, and what the hash check found;
/// `INVALID_CREDENTIALS` (counted as a failure for the name and the address)
/// for an unknown name or a wrong password, `PASSWORD_RESET_REQUIRED` for
/// the right password of an account whose sign-in was reported, `TOO_MANY_ATTEMPTS` when the
/// throttle refuses or the check cannot start in time. The user may be
/// disabled: the caller decides. A login passes the device id of its usable
/// `authql_device` cookie as `device`: a device known for the user is held
/// to its own failures rather than the name's (see `throttle`).
pub(crate) async fn check(
    app: &App,
    user_name_key: &str,
    password: &Secret,
    client: &ClientInfo,
    device: Option<&DeviceId>,
) -> Result<Checked, AppError> {
    let ip = client.ip_address;
    let deadline = Instant::now() + app.config.password_check_wait;
    let _turn = match ip {
        Some(ip) => Some(app.address_gates.enter(ip, deadline).await.map_err(|_| {
            tracing::warn!(%ip, "login refused: this address's checks did not finish in time");
            could_not_start(app)
        })?),
        None => None,
    };
    let slot = throttle::begin_check(app, user_name_key, ip, device, deadline).await?;
    // A check that waits this long for a hashing thread is abandoned, well
    // before its slot could be taken for stale and handed to another guess.
    let checked = tokio::time::timeout(
        CHECK_DEADLINE,
        verify(app, user_name_key, password, client, deadline),
    )
    .await
    .unwrap_or_else(|_| {
        Err(AppError::ServiceUnavailable(InternalCause::Invariant(
            "the password check did not finish in time",
        )))
    });
    let end = match &checked {
        // With TOTP on, only the second step's code clears the name's
        // failures: else each right password would buy five more guesses
        // at the code.
        Ok(checked) if checked.user.is_active() && !checked.user.has_totp() => CheckEnd::Succeeded,
        Err(AppError::InvalidCredentials) => CheckEnd::Failed,
        // A right password for a disabled account is no guess; an error
        // (a check that never started included) says nothing about the
        // password.
        Ok(_) | Err(_) => CheckEnd::Abandoned,
    };
    throttle::end_check(app, slot, end).await;
    checked
}

/// The answer to a check that could not start before its deadline: try
/// again once as long has passed.
fn could_not_start(app: &App) -> AppError {
    AppError::TooManyAttempts {
        retry_after_secs: app.config.password_check_wait.as_secs().max(1),
    }
}

/// The user whose name and password these are, with what the hash check
/// found; `INVALID_CREDENTIALS` for an unknown name or a wrong password.
async fn verify(
    app: &App,
    user_name_key: &str,
    password: &Secret,
    client: &ClientInfo,
    deadline: Instant,
) -> Result<Checked, AppError> {
    let ip = client.ip_address;
    let credentials = {
        let mut conn = app.pool.get().await?;
        users::find_credentials(&mut conn, user_name_key).await?
    };
    // No connection is held while the hash runs.
    let verification = app
        .passwords
        .verify(
            password,
            credentials.as_ref().map(|(_, hash)| hash.as_str()),
            deadline,
        )
        .await?;
    let Some(verification) = verification else {
        tracing::warn!(ip = ?ip, "login refused: no hashing thread was free in time");
        return Err(could_not_start(app));
    };
    match credentials {
        // A reported sign-in locks the right password until a reset; a
        // wrong one is told as ever.
        Some((user, _)) if verification.matches && user.must_reset_password() => {
            tracing::info!(user_id = %user.id, "sign-in refused: the password must be reset first");
            Err(AppError::PasswordResetRequired)
        }
        Some((user, verified_hash)) if verification.matches => Ok(Checked {
            user,
            verification,
            verified_hash,
        }),
        credentials => {
            // Never the name typed: people type passwords into name fields.
            match &credentials {
                Some((user, _)) => {
                    tracing::info!(user_id = %user.id, ip = ?ip, "login failed: wrong password");
                    security_events::sign_in_failed(app, &user.id, client);
                }
                None => tracing::info!(ip = ?ip, "login failed: unknown user name"),
            }
            Err(AppError::InvalidCredentials)
        }
    }
}
