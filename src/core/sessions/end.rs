//! Ending sessions, for any [`EndReason`]: on their own ([`end`] and the
//! `logout` mutations over it), or along with another change in one
//! transaction (a password change, an operator's new password; a disable
//! and the admin's ends are `crate::core::admin`'s, over the same macro).
//! Either way the sessions end through the one statement of
//! `crate::store::session_ends::end_statement` (only sessions open at that
//! moment, so an end never rewrites an earlier one), run by `end_sessions!`
//! with a `SESSION_ENDED` security event per session ended, in the same
//! transaction; what ended is counted and logged by [`record::ended`].

use chrono::NaiveDateTime;

use crate::core::app::App;
use crate::core::security_events::{self, Source};
use crate::core::sessions::{Authenticated, EndReason, Ending, record};
use crate::error::AppError;
use crate::store::DbConn;
use crate::store::accounts::{self as account_rows, Reset};
use crate::store::security_events::NewSecurityEvent;
use crate::store::sessions as session_rows;
use crate::store::users::{self as user_rows, PasswordSwap, SwapOutcome};
use crate::vocabulary::SecurityEventKind;

/// Ends the sessions of `user_id` that `which` names for `reason`; returns
/// how many ended (none when they had all ended already).
pub(crate) async fn end(
    app: &App,
    user_id: &str,
    which: Ending<'_>,
    reason: EndReason,
) -> Result<usize, AppError> {
    let mut conn = app.pool.get().await?;
    end_on(app, &mut conn, user_id, which, reason, app.clock.now()).await
}

/// [`end`] on a connection the caller holds, at the `now` it went by.
pub(crate) async fn end_on(
    app: &App,
    conn: &mut DbConn,
    user_id: &str,
    which: Ending<'_>,
    reason: EndReason,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    end_recorded(app, conn, user_id, which, reason, now, None).await
}

/// [`end_on`], storing `also` (an event the end belongs to: a refresh
/// token's reuse) in the same transaction. Every end writes the
/// `SESSION_ENDED` events of the sessions it ended (`end_sessions!`).
pub(crate) async fn end_recorded(
    app: &App,
    conn: &mut DbConn,
    user_id: &str,
    which: Ending<'_>,
    reason: EndReason,
    now: NaiveDateTime,
    also: Option<&NewSecurityEvent>,
) -> Result<usize, AppError> {
    let ended = session_rows::end(conn, which, reason, now, also).await?;
    let session_id = match which {
        Ending::One { session_id, .. } | Ending::PastExpiry { session_id } => Some(session_id),
        Ending::AllOfUser { .. } | Ending::These(_) => None,
    };
    record::ended(Some(&app.metrics), user_id, session_id, reason, ended);
    Ok(ended)
}

/// Ends the caller's own session.
pub(crate) async fn logout(app: &App, auth: &Authenticated) -> Result<bool, AppError> {
    let which = Ending::One {
        session_id: &auth.session.id,
        user_id: &auth.user.id,
    };
    // Already ended by a racing request: the caller's wish holds all the same.
    end(app, &auth.user.id, which, EndReason::Logout).await?;
    Ok(true)
}

/// Ends one of the caller's open sessions; `NOT_FOUND` for any other id.
pub(crate) async fn logout_session(
    app: &App,
    auth: &Authenticated,
    session_id: &str,
) -> Result<bool, AppError> {
    if !crate::core::ids::looks_like_id(session_id) {
        return Err(AppError::NotFound);
    }
    let reason = if session_id == auth.session.id {
        EndReason::Logout
    } else {
        EndReason::EndedByOtherSession
    };
    let which = Ending::One {
        session_id,
        user_id: &auth.user.id,
    };
    if end(app, &auth.user.id, which, reason).await? == 0 {
        return Err(AppError::NotFound);
    }
    Ok(true)
}

/// Ends all of the caller's open sessions, or all but its own; returns how many.
pub(crate) async fn logout_all(
    app: &App,
    auth: &Authenticated,
    except_current: bool,
) -> Result<usize, AppError> {
    let which = Ending::AllOfUser {
        user_id: &auth.user.id,
        except: except_current.then_some(auth.session.id.as_str()),
    };
    end(app, &auth.user.id, which, EndReason::LogoutAll).await
}

/// Commits a user's own password change (`swap`, as its request proved it)
/// and ends the user's other sessions if asked (`PASSWORD_CHANGED`), in one
/// transaction; returns how many ended. `SESSION_REVOKED` when the caller's
/// session ended before the change could commit, `INVALID_CREDENTIALS` when
/// another change won meanwhile: nothing changed either way.
pub(crate) async fn change_password(app: &App, swap: PasswordSwap<'_>) -> Result<usize, AppError> {
    let mut conn = app.pool.get().await?;
    let now = app.clock.now();
    // The change's event at the change's instant, with the ends it causes.
    let event = NewSecurityEvent {
        at: now,
        ..swap.event.clone()
    };
    let swap = PasswordSwap {
        event: &event,
        ..swap
    };
    match user_rows::change_password(&mut conn, swap, now).await? {
        SwapOutcome::Swapped { ended } => {
            tracing::info!(user_id = %swap.user_id, session_id = %swap.session_id, ended, "password changed");
            let reason = EndReason::PasswordChanged;
            record::ended(Some(&app.metrics), swap.user_id, None, reason, ended);
            Ok(ended)
        }
        SwapOutcome::CallerSessionEnded => {
            tracing::info!(
                user_id = %swap.user_id,
                session_id = %swap.session_id,
                "password not changed: the caller's session ended before the change committed"
            );
            Err(AppError::SessionRevoked)
        }
        SwapOutcome::HashChangedSince => {
            tracing::info!(
                user_id = %swap.user_id,
                session_id = %swap.session_id,
                "password not changed: another change committed since the current password was checked"
            );
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Replaces a user's password hash and ends every session of the user
/// (`PASSWORD_CHANGED`), in one transaction; returns how many ended. For
/// an operator's `user set-password`: no proof asked.
pub(crate) async fn replace_password(
    app: &App,
    user_id: &str,
    password_hash: &str,
) -> Result<usize, AppError> {
    let mut conn = app.pool.get().await?;
    let now = app.clock.now();
    let kind = SecurityEventKind::PasswordChanged;
    let changed = security_events::event(kind, user_id, now, &Source::operator());
    let ended =
        user_rows::replace_password(&mut conn, user_id, password_hash, &changed, now).await?;
    let reason = EndReason::PasswordChanged;
    record::ended(Some(&app.metrics), user_id, None, reason, ended);
    Ok(ended)
}

/// Resets a password with the token of a reset mail (`token_hash`, of
/// `kind`): spends it and every reset token of the account, stores
/// `password_hash`, ends every session of the user (`PASSWORD_RESET`) and
/// clears the name's login throttle, in one transaction. `INVALID_TOKEN`
/// when the token is unknown, used or expired: nothing changed.
pub(crate) async fn reset_password(
    app: &App,
    token_hash: &str,
    kind: &str,
    password_hash: &str,
    source: &Source,
) -> Result<usize, AppError> {
    let mut conn = app.pool.get().await?;
    let name_key = crate::core::credentials::throttle::name_key;
    let now = app.clock.now();
    let event = |user_id: &str| {
        security_events::event(SecurityEventKind::PasswordReset, user_id, now, source)
    };
    let reset = account_rows::reset_password(
        &mut conn,
        token_hash,
        kind,
        password_hash,
        &name_key,
        &event,
        now,
    )
    .await?;
    match reset {
        Reset::Done { user_id, ended } => {
            tracing::info!(%user_id, ended, "password reset");
            record::ended(
                Some(&app.metrics),
                &user_id,
                None,
                EndReason::PasswordReset,
                ended,
            );
            Ok(ended)
        }
        Reset::InvalidToken => Err(AppError::InvalidToken),
    }
}
