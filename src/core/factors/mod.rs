//! Second factors and assurance: TOTP with recovery codes, the second step
//! of a login, and recent authentication.
//!
//! - [`amr`]: the methods that proved a session, and its level;
//! - `totp` and `recovery_codes`: the codes themselves;
//! - [`proof`]: proving a code or a recovery code for a user, counted by
//!   the login throttle as a password check is, and spent once on any
//!   replica;
//! - [`enrolment`]: `enrollTotp`, `confirmTotp`, `disableTotp`,
//!   `regenerateRecoveryCodes`;
//! - [`second_step`]: `MFA_REQUIRED` and `completeLogin`;
//! - [`recent`]: the one guard of the operations that need recent
//!   authentication, and `reauthenticate`.
//!
//! TOTP secrets are sealed at rest (`crate::core::keys::sealing`) with a key
//! derived from `JWT_SECRET` under a label of their own and bound to their
//! user, so a copy of the database alone makes no code, and a sealed secret
//! copied to another user's row does not open. Rotating `JWT_SECRET` makes
//! every stored secret unreadable: such a user signs in with a recovery
//! code and enrols again (or an admin resets their factors); the docs say so.

pub(crate) mod amr;
pub(crate) mod enrolment;
pub(crate) mod proof;
pub(crate) mod recent;
mod recovery_codes;
pub(crate) mod second_step;
pub(crate) mod totp;

use crate::core::app::App;
use crate::error::AppError;
use crate::store::factors as factor_rows;
use crate::store::users::UserRecord;

/// What `User.mfa` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MfaStatus {
    pub totp: bool,
    pub recovery_codes_left: i64,
    pub passkeys: i64,
}

/// The user's second factors as `User.mfa` shows them: whether TOTP is on
/// comes with the user's row; only the counts of codes and passkeys are
/// read.
pub(crate) async fn status(app: &App, user: &UserRecord) -> Result<MfaStatus, AppError> {
    let mut conn = app.pool.get().await?;
    Ok(MfaStatus {
        totp: user.has_totp(),
        recovery_codes_left: factor_rows::recovery_codes_left(&mut conn, &user.id).await?,
        passkeys: crate::store::passkeys::count_of_user(&mut conn, &user.id).await?,
    })
}

/// The factors `MFA_REQUIRED` lists: what the second step takes, and
/// `PASSKEY` when the user has one (a passkey sign-in instead).
pub(crate) fn factors_offered(has_passkey: bool) -> Vec<&'static str> {
    let mut factors = vec!["TOTP", "RECOVERY_CODE"];
    if has_passkey {
        factors.push("PASSKEY");
    }
    factors
}
