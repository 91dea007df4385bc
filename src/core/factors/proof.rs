//! Proving a second factor for a user: a TOTP code of a step later than the
//! last one accepted (RFC 6238 §5.2: a code seen over a shoulder is
//! worthless once used, and so is any older one), or an unused recovery
//! code, which is spent.
//!
//! Every proof takes a slot of the login throttle for the user's name and
//! the client's address, as a password check does (`credentials::throttle`):
//! a wrong code counts as a failed login, a right one clears the name's
//! failures, and no more wrong codes than `LOGIN_MAX_FAILURES` can be tried
//! in a window, on any number of replicas.

use tokio::time::Instant;

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::credentials::throttle;
use crate::core::devices::cookie::DeviceId;
use crate::core::factors::recovery_codes;
use crate::core::factors::totp::{self, TotpSecret};
use crate::core::security_events::{self, Source};
use crate::core::{clock, input};
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};
use crate::store::factors::{self as factor_rows, TotpRow};
use crate::store::throttle::CheckEnd;
use crate::store::users::UserRecord;
use crate::vocabulary::SecurityEventKind;

/// Longest code input taken (a six-digit code, or a recovery code with its
/// separators and some room); longer is `BAD_USER_INPUT`.
const MAX_CODE_CHARS: usize = recovery_codes::MAX_INPUT_CHARS;

/// A second factor as the client gives it. No `Debug`: it holds a code.
pub(crate) enum SecondFactor {
    /// A six-digit TOTP code.
    Code(Secret),
    /// One of the user's recovery codes.
    RecoveryCode(Secret),
}

impl SecondFactor {
    /// `BAD_USER_INPUT` for an empty or over-long code.
    pub(crate) fn check_bounds(&self) -> Result<(), AppError> {
        let (what, value) = match self {
            SecondFactor::Code(code) => ("code", code),
            SecondFactor::RecoveryCode(code) => ("recoveryCode", code),
        };
        let chars = value.expose_secret().trim().chars().count();
        if chars == 0 || chars > MAX_CODE_CHARS {
            return Err(AppError::BadUserInput(format!(
                "{what} must be 1 to {MAX_CODE_CHARS} characters"
            )));
        }
        Ok(())
    }
}

/// Which of the user's TOTP secrets a code is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretInUse {
    /// The secret of TOTP turned on.
    Active,
    /// The secret enrolled and not confirmed yet (`confirmTotp`).
    Pending,
}

/// The user's TOTP secret of `which`, opened; None when there is none or it
/// does not open (sealed under another `JWT_SECRET`: logged).
pub(crate) fn open_secret(app: &App, row: &TotpRow, which: SecretInUse) -> Option<TotpSecret> {
    let sealed = match which {
        SecretInUse::Active => row.totp_secret.as_deref()?,
        SecretInUse::Pending => row.totp_pending_secret.as_deref()?,
    };
    match app.totp_seal.open(sealed, row.id.as_bytes()) {
        Ok(plain) => totp::decode_sealed(&plain),
        Err(error) => {
            tracing::error!(
                user_id = %row.id,
                %error,
                "a TOTP secret does not open: JWT_SECRET changed since it was enrolled; the user must use a recovery code and enrol again"
            );
            None
        }
    }
}

/// A TOTP secret sealed for `user_id`.
pub(crate) fn seal_secret(app: &App, user_id: &str, secret: &TotpSecret) -> String {
    app.totp_seal
        .seal(&totp::encode_for_sealing(secret), user_id.as_bytes())
}

/// Runs `check` inside a slot of the login throttle for `user` and the
/// client address: a slot is taken first (`TOO_MANY_ATTEMPTS` when the
/// window's failures are used up), a wrong code from `check`
/// (`AppError::InvalidCode`, the contract's `INVALID_CREDENTIALS`) counts
/// as a failure (and a `SIGN_IN_FAILED` event), and success clears the
/// name's failures. A login's second step passes its usable device id as
/// `device`, which a known device holds to its own failures instead of the
/// name's (see `credentials::throttle`).
pub(crate) async fn throttled<T>(
    app: &App,
    user: &UserRecord,
    client: &ClientInfo,
    device: Option<&DeviceId>,
    check: impl AsyncFnOnce() -> Result<T, AppError>,
) -> Result<T, AppError> {
    let ip = client.ip_address;
    let deadline = Instant::now() + app.config.password_check_wait;
    let name_key = input::fold_user_name(&user.user_name);
    let slot = throttle::begin_check(app, &name_key, ip, device, deadline).await?;
    let result = check().await;
    let end = match &result {
        Ok(_) => CheckEnd::Succeeded,
        Err(AppError::InvalidCode) => CheckEnd::Failed,
        Err(_) => CheckEnd::Abandoned,
    };
    throttle::end_check(app, slot, end).await;
    if matches!(result, Err(AppError::InvalidCode)) {
        tracing::info!(user_id = %user.id, ip = ?ip, "second factor refused: wrong or used code");
        security_events::sign_in_failed(app, &user.id, client);
    }
    result
}

/// Proves `factor` for `user` (TOTP on), throttled (by the known `device`'s
/// failures instead of the name's when one is given, see [`throttled`]):
/// `INVALID_CREDENTIALS` for a wrong code, one at or before the last step
/// accepted, or a recovery code that is unknown or used. A recovery code
/// spent is recorded (`RECOVERY_CODE_USED`, from `source`) as it is spent.
pub(crate) async fn prove(
    app: &App,
    user: &UserRecord,
    factor: &SecondFactor,
    client: &ClientInfo,
    device: Option<&DeviceId>,
    source: &Source,
) -> Result<(), AppError> {
    factor.check_bounds()?;
    throttled(app, user, client, device, async || match factor {
        SecondFactor::Code(code) => prove_code(app, user, code.expose_secret()).await,
        SecondFactor::RecoveryCode(code) => {
            let hash = recovery_codes::hash_of(code.expose_secret());
            let mut conn = app.pool.get().await?;
            let now = app.clock.now();
            let used =
                security_events::event(SecurityEventKind::RecoveryCodeUsed, &user.id, now, source);
            if factor_rows::use_recovery_code(&mut conn, &user.id, &hash, &used, now).await? {
                tracing::info!(user_id = %user.id, "recovery code used");
                Ok(())
            } else {
                Err(AppError::InvalidCode)
            }
        }
    })
    .await
}

/// A TOTP code of the active secret, at a step later than the last.
async fn prove_code(app: &App, user: &UserRecord, code: &str) -> Result<(), AppError> {
    let mut conn = app.pool.get().await?;
    let row = factor_rows::totp_of(&mut conn, &user.id)
        .await?
        .ok_or(AppError::InvalidCode)?;
    if row.totp_enabled_at.is_none() {
        return Err(AppError::InvalidCode);
    }
    let secret = open_secret(app, &row, SecretInUse::Active).ok_or(AppError::InvalidCode)?;
    let now_unix = clock::unix_secs(app.clock.now());
    let step = secret
        .matching_step(code.trim(), now_unix)
        .ok_or(AppError::InvalidCode)?;
    if factor_rows::accept_step(&mut conn, &user.id, step).await? {
        Ok(())
    } else {
        // A replay, or an older code after a newer one.
        Err(AppError::InvalidCode)
    }
}
