//! Sessions: resolving a bearer token to its live session on every request,
//! listing, and ending them. The rules of the contract's "Sessions" section.

pub(crate) mod checks;
pub(crate) mod login;
pub(crate) mod refresh;

use chrono::NaiveDateTime;

use crate::core::app::App;
use crate::core::clock;
use crate::error::AppError;
use crate::secret::Secret;
use crate::store::DbConn;
use crate::store::sessions::{self as session_rows, SessionRecord, SessionState, SessionView};
use crate::store::users::UserRecord;
pub use crate::vocabulary::EndReason;

/// `lastActiveAt` is written at most this often per session.
pub(crate) const LAST_ACTIVE_RESOLUTION_SECS: i64 = 60;

/// A request whose bearer token resolved to a live session.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    pub user: UserRecord,
    pub session: SessionState,
}

/// What login and refresh hand back to the client.
#[derive(Debug, Clone)]
pub(crate) struct IssuedTokens {
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub expires_in_secs: i64,
    pub session: SessionRecord,
    pub user: UserRecord,
}

/// Mints both tokens for `generation` of a session.
pub(crate) fn issue_tokens(
    app: &App,
    session: SessionRecord,
    user: UserRecord,
    now: NaiveDateTime,
) -> Result<IssuedTokens, AppError> {
    let access_token =
        app.access_tokens
            .mint(&user.id, &session.id, &user.role, clock::unix_secs(now))?;
    let refresh_token = app.refresh_tokens.mint(
        &session.id,
        session.refresh_generation,
        &session.refresh_secret,
    );
    Ok(IssuedTokens {
        access_token: Secret::new(access_token),
        refresh_token,
        expires_in_secs: app.access_tokens.ttl.num_seconds(),
        session,
        user,
    })
}

/// The token of an `Authorization: Bearer <token>` header; None for anything else.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// Resolves the request's `Authorization` header to its live session, with the
/// contract's code when it cannot be.
pub(crate) async fn authenticate(
    app: &App,
    authorization: Option<&str>,
) -> Result<Authenticated, AppError> {
    let token = authorization
        .and_then(bearer_token)
        .ok_or(AppError::Unauthenticated)?;
    let now = app.clock.now();
    let claims = app.access_tokens.verify(token, clock::unix_secs(now))?;
    let (mut session, user) = app
        .session_checks
        .find(&claims.sid)
        .await?
        .ok_or(AppError::SessionRevoked)?;
    if session.user_id != claims.sub {
        return Err(AppError::Unauthenticated);
    }
    // The check needed no connection of its own; only the rare writes do.
    if session.expired_unstamped(now) {
        let mut conn = app.pool.get().await?;
        ensure_live(app, &mut conn, &session, &user, now).await?;
    }
    refuse_unless_live(&session, &user, now)?;
    let stale_before = now - chrono::TimeDelta::seconds(LAST_ACTIVE_RESOLUTION_SECS);
    if session.last_active_at < stale_before {
        // Losing this write costs only a lagging lastActiveAt; the request goes on.
        let touched = async {
            let mut conn = app.pool.get().await?;
            session_rows::touch(&mut conn, &session.id, now, stale_before).await?;
            Ok::<_, AppError>(())
        }
        .await;
        match touched {
            Ok(()) => session.last_active_at = now,
            Err(error) => {
                tracing::warn!(error = %error.detail(), session_id = %session.id, "cannot record session activity")
            }
        }
    }
    Ok(Authenticated { user, session })
}

/// Refuses a session that has ended or expired, or whose user is disabled.
/// An expiry noticed here is stamped for the audit trail.
pub(crate) async fn ensure_live(
    app: &App,
    conn: &mut DbConn,
    session: &SessionState,
    user: &UserRecord,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if session.expired_unstamped(now) {
        let reason = EndReason::Expired;
        let stamped = session_rows::mark_expired(conn, &session.id, reason, now).await?;
        record_ended(app, &session.id, reason, stamped);
    }
    refuse_unless_live(session, user, now)
}

/// `SESSION_REVOKED` for a session that has ended or expired, or whose user
/// is disabled.
fn refuse_unless_live(
    session: &SessionState,
    user: &UserRecord,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if !session.is_open(now) || !user.is_active() {
        return Err(AppError::SessionRevoked);
    }
    Ok(())
}

/// Counts and logs sessions that a request has just ended.
pub(crate) fn record_ended(app: &App, session_id: &str, reason: EndReason, count: usize) {
    if count > 0 {
        app.metrics.sessions_ended(reason, count);
        tracing::info!(%session_id, %reason, count, "session ended");
    }
}

/// The caller's open sessions, the most recently active first.
pub(crate) async fn list_open(
    app: &App,
    auth: &Authenticated,
) -> Result<Vec<SessionView>, AppError> {
    let mut conn = app.pool.get().await?;
    Ok(session_rows::list_open(&mut conn, &auth.user.id, app.clock.now()).await?)
}

/// Ends the caller's own session.
pub(crate) async fn logout(app: &App, auth: &Authenticated) -> Result<bool, AppError> {
    let mut conn = app.pool.get().await?;
    let now = app.clock.now();
    let reason = EndReason::Logout;
    // Already ended by a racing request: the caller's wish holds all the same.
    let ended =
        session_rows::end_one(&mut conn, &auth.session.id, &auth.user.id, reason, now).await?;
    record_ended(app, &auth.session.id, reason, usize::from(ended));
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
    let mut conn = app.pool.get().await?;
    let ended = session_rows::end_one(
        &mut conn,
        session_id,
        &auth.user.id,
        reason,
        app.clock.now(),
    )
    .await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    record_ended(app, session_id, reason, 1);
    Ok(true)
}

/// Ends all of the caller's open sessions, or all but its own; returns how many.
pub(crate) async fn logout_all(
    app: &App,
    auth: &Authenticated,
    except_current: bool,
) -> Result<usize, AppError> {
    let except = except_current.then_some(auth.session.id.as_str());
    let reason = EndReason::LogoutAll;
    let mut conn = app.pool.get().await?;
    let ended =
        session_rows::end_all(&mut conn, &auth.user.id, except, reason, app.clock.now()).await?;
    app.metrics.sessions_ended(reason, ended);
    tracing::info!(user_id = %auth.user.id, session_id = %auth.session.id, %reason, count = ended, "sessions ended");
    Ok(ended)
}
