//! Ending a user's sessions for them: `endUserSessions` and `authql user
//! logout`. Every open session of the user, or the one named, ends with
//! `ENDED_BY_ADMIN`; its tokens are refused from the next request on, and
//! its live sockets close.

use crate::core::admin::{Actor, audit, check_user_id};
use crate::core::app::App;
use crate::core::sessions::{EndReason, record};
use crate::error::AppError;
use crate::store::admin::{self as admin_rows, Outcome, SessionsEnded};
use crate::store::audit_log::AdminAction;

/// Ends every open session of `user_id`, or the one `session_id` names,
/// as `actor`; returns how many ended. `NOT_FOUND` for a user that does
/// not exist or a session that is not one of the user's open ones
/// ([`AppError::UnknownUser`] and [`AppError::NotFound`], which the CLI
/// words apart).
pub(crate) async fn end_sessions(
    app: &App,
    actor: Actor<'_>,
    user_id: &str,
    session_id: Option<&str>,
) -> Result<usize, AppError> {
    check_user_id(user_id)?;
    if session_id.is_some_and(|id| !crate::core::ids::looks_like_id(id)) {
        return Err(AppError::NotFound);
    }
    let now = app.clock.now();
    let record_it;
    let audited: Option<&(dyn Fn(usize) -> AdminAction + Sync)> = match actor {
        Actor::Admin(admin) => {
            record_it = move |ended: usize| {
                let detail = match session_id {
                    Some(session_id) => format!("session {session_id}"),
                    None => format!("all sessions: {ended} ended"),
                };
                audit::action(admin, "endUserSessions", Some(user_id), Some(detail), now)
            };
            Some(&record_it)
        }
        Actor::Operator => None,
    };
    let mut conn = app.pool.get().await?;
    let outcome = admin_rows::end_sessions(&mut conn, user_id, session_id, audited, now).await?;
    let ended = match outcome {
        Outcome::Done(SessionsEnded::Ended(ended)) => ended,
        Outcome::Done(SessionsEnded::NoSuchSession) => return Err(AppError::NotFound),
        Outcome::NoSuchUser | Outcome::LastAdmin => return Err(AppError::UnknownUser),
    };
    let reason = EndReason::EndedByAdmin;
    record::ended(Some(&app.metrics), user_id, session_id, reason, ended);
    Ok(ended)
}
