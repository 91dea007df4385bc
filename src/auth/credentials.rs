//! Checking a user name and password, for login and for changePassword alike:
//! the throttle's slot around the check, one Argon2id verify off the
//! executor, and the same work and answer for an unknown name as for a wrong
//! password (a dummy hash).

use std::net::IpAddr;

use crate::app::App;
use crate::auth::password::Verification;
use crate::auth::throttle;
use crate::db::models::throttle::CheckEnd;
use crate::db::models::users::{self, UserRecord};
use crate::error::{AppError, InternalCause};
use crate::secret::Secret;

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
/// for an unknown name or a wrong password, `TOO_MANY_ATTEMPTS` when the
/// throttle refuses. The user may be disabled: the caller decides.
pub(crate) async fn check(
    app: &App,
    user_name_key: &str,
    password: &Secret,
    ip: Option<IpAddr>,
) -> Result<Checked, AppError> {
    throttle::refuse_busy_address(app, ip).await?;
    let slot = throttle::begin_check(app, user_name_key).await?;
    // A check that waits this long for a hashing thread is abandoned, well
    // before its slot could be taken for stale and handed to another guess.
    let checked = tokio::time::timeout(CHECK_DEADLINE, verify(app, user_name_key, password, ip))
        .await
        .unwrap_or_else(|_| {
            Err(AppError::ServiceUnavailable(InternalCause::Invariant(
                "the password check did not finish in time",
            )))
        });
    let end = match &checked {
        Ok(checked) if checked.user.is_active() => CheckEnd::Succeeded,
        Err(AppError::InvalidCredentials) => CheckEnd::Failed,
        // A right password for a disabled account is no guess; an error
        // says nothing about the password.
        Ok(_) | Err(_) => CheckEnd::Abandoned,
    };
    throttle::end_check(app, slot, end, ip).await;
    checked
}

/// The user whose name and password these are, with what the hash check
/// found; `INVALID_CREDENTIALS` for an unknown name or a wrong password.
async fn verify(
    app: &App,
    user_name_key: &str,
    password: &Secret,
    ip: Option<IpAddr>,
) -> Result<Checked, AppError> {
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
        )
        .await?;
    match credentials {
        Some((user, verified_hash)) if verification.matches => Ok(Checked {
            user,
            verification,
            verified_hash,
        }),
        credentials => {
            // Never the name typed: people type passwords into name fields.
            match &credentials {
                Some((user, _)) => {
                    tracing::info!(user_id = %user.id, ip = ?ip, "login failed: wrong password")
                }
                None => tracing::info!(ip = ?ip, "login failed: unknown user name"),
            }
            Err(AppError::InvalidCredentials)
        }
    }
}
