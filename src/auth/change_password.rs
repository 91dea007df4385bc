//! changePassword: the signed-in user replaces their password after proving
//! the current one, and by default every other session of theirs ends.
//!
//! The current password goes through the same check as login (the throttle's
//! slot, one Argon2id verify, a wrong one counted as a failed login for the
//! name), so changePassword cannot be used to guess faster than login. The
//! new hash and the ending of the other sessions are one transaction: a
//! failure leaves the old password and every session as they were.

use crate::app::App;
use crate::auth::client::ClientInfo;
use crate::auth::sessions::{self, Authenticated, EndReason};
use crate::auth::{credentials, input};
use crate::db::models::users::{self, SessionsToEnd};
use crate::error::{AppError, InternalCause};
use crate::secret::Secret;

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
    input::check_password(change.current_password.expose())?;
    input::check_new_password(change.new_password.expose(), app.config.password_min_length)?;
    let user_name_key = input::fold_user_name(&auth.user.user_name);
    let (user, _) = credentials::check(
        app,
        &user_name_key,
        &change.current_password,
        client.ip_address,
    )
    .await?;
    if user.id != auth.user.id {
        return Err(AppError::internal(InternalCause::Invariant(
            "the caller's name belongs to another user",
        )));
    }
    let password_hash = app.passwords.hash(&change.new_password).await?;
    let ending = if change.end_other_sessions {
        SessionsToEnd::AllBut(&auth.session.id)
    } else {
        SessionsToEnd::None
    };
    let mut conn = app.pool.get().await?;
    let ended =
        users::replace_password(&mut conn, &user.id, &password_hash, ending, app.clock.now())
            .await?;
    tracing::info!(user_id = %user.id, session_id = %auth.session.id, ended, "password changed");
    sessions::record_ended(app, &auth.session.id, EndReason::PasswordChanged, ended);
    Ok(ended)
}
