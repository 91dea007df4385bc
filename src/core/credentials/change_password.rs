//! changePassword: the signed-in user replaces their password after proving
//! the current one, and by default every other session of theirs ends.
//!
//! The current password goes through the same check as login (the throttle's
//! slot, one Argon2id verify, a wrong one counted as a failed login for the
//! name), so changePassword cannot be used to guess faster than login. The
//! new hash and the ending of the other sessions are one transaction: a
//! failure leaves the old password and every session as they were.
//!
//! A change can wait a while between its bearer check and its commit (two
//! hashes, each behind a queue anyone can lengthen), so the transaction is a
//! compare-and-set on what the request proved: the caller's session is
//! still open (signed out meanwhile: `SESSION_REVOKED`, nothing changed) and
//! the stored hash is still the one the current password was verified
//! against (another change won meanwhile: `INVALID_CREDENTIALS`, as the
//! current password given is no longer the current one).

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::factors::recent;
use crate::core::security_events::{self, Source};
use crate::core::sessions::{self, Authenticated};
use crate::core::{credentials, input};
use crate::error::{AppError, InternalCause};
use crate::secret::{ExposeSecret, Secret};
use crate::store::users::PasswordSwap;
use crate::vocabulary::SecurityEventKind;

/// What a client sends to change its password.
#[derive(Debug)]
pub(crate) struct PasswordChange {
    pub current_password: Secret,
    pub new_password: Secret,
    /// End every other session of the user (the default).
    pub end_other_sessions: bool,
}

/// Changes the caller's password; returns how many sessions ended.
pub(crate) async fn change_password(
    app: &App,
    auth: &Authenticated,
    change: PasswordChange,
    client: &ClientInfo,
) -> Result<usize, AppError> {
    input::check_password(change.current_password.expose_secret())?;
    recent::require_level_for_password_change(app, auth)?;
    input::check_new_password(
        change.new_password.expose_secret(),
        app.config.password_min_length,
    )?;
    let user_name_key = input::fold_user_name(&auth.user.user_name);
    let credentials::Checked {
        user,
        verified_hash,
        ..
    } = credentials::check(
        app,
        &user_name_key,
        &change.current_password,
        client,
        // A password change proves the owner by its session, not its
        // device: the name's lockout holds as it did.
        None,
    )
    .await?;
    if user.id != auth.user.id {
        return Err(AppError::internal(InternalCause::Invariant(
            "the caller's name belongs to another user",
        )));
    }
    let deadline = tokio::time::Instant::now() + app.config.password_check_wait;
    let Some(new_hash) = app
        .passwords
        .hash_before(&change.new_password, deadline)
        .await?
    else {
        tracing::warn!(user_id = %auth.user.id, "password change refused: no hashing thread was free in time");
        return Err(AppError::TooManyAttempts {
            retry_after_secs: app.config.password_check_wait.as_secs().max(1),
        });
    };
    let source = Source::in_session(client, &auth.session.id);
    let changed = security_events::event(
        SecurityEventKind::PasswordChanged,
        &user.id,
        app.clock.now(),
        &source,
    );
    let swap = PasswordSwap {
        event: &changed,
        user_id: &user.id,
        session_id: &auth.session.id,
        verified_hash: &verified_hash,
        new_hash: &new_hash,
        end_other_sessions: change.end_other_sessions,
    };
    sessions::change_password(app, swap).await
}
