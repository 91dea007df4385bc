//! The sessions service: every rule of the contract's "Sessions" section, in
//! one place. Whatever opens, checks, rotates, lists or ends a session goes
//! through here:
//!
//! - `open()` opens one for a `SignIn` (how the user proved who they
//!   are: one argument, whatever the way in);
//! - `authenticate` resolves a bearer token to its live session on every
//!   request (the guard), and `recheck` reads a live socket's session again;
//! - `refresh::refresh` rotates its refresh token;
//! - `end()` ends sessions for any `EndReason`, and the transactions that
//!   end sessions along with another change (`change_password`,
//!   `replace_password`, `set_user_status`) share its statement;
//! - `list_open` lists them.
//!
//! Liveness is one predicate, `is_live` (over `SessionState::is_open`,
//! whose SQL twin `open_at` filters every query for open sessions), and
//! recording (metrics and log lines of opens and ends) happens in
//! `record`, once.

mod activity;
pub(crate) mod checks;
mod end;
pub(crate) mod login;
mod open;
mod record;
pub(crate) mod refresh;
pub(crate) mod report;

use chrono::NaiveDateTime;

pub(crate) use self::end::{
    change_password, end, end_on, end_recorded, logout, logout_all, logout_session,
    replace_password, reset_password, set_user_status,
};
pub(crate) use self::open::{SignIn, SignInMethod, open};
use crate::core::app::App;
use crate::core::clock;
use crate::core::devices::cookie::DeviceId;
use crate::core::factors::amr::Amr;
use crate::core::tokens::access_token::TokenAssurance;
use crate::error::AppError;
use crate::secret::Secret;
use crate::store::DbConn;
pub(crate) use crate::store::sessions::Ending;
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
    /// The device id a sign-in sets the `authql_device` cookie to (the
    /// device's own, else a new one); None for a refresh, which sets none.
    pub device_id: Option<DeviceId>,
}

/// An access token for the session as it is now (its assurance included).
pub(crate) fn mint_access(
    app: &App,
    session: &SessionRecord,
    user: &UserRecord,
    now: NaiveDateTime,
) -> Result<Secret, AppError> {
    let assurance = TokenAssurance {
        aal: session.aal,
        amr: Amr::from_column(&session.amr)
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        auth_time: clock::unix_secs(session.authenticated_at),
    };
    let token = app.access_tokens.mint(
        &user.id,
        &session.id,
        &user.role,
        &assurance,
        clock::unix_secs(now),
    )?;
    Ok(Secret::from(token))
}

/// Where a login's refresh token goes: the answer's body or the refresh
/// cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Delivery {
    #[default]
    Body,
    Cookie,
}

impl Delivery {
    /// As a second step keeps it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Delivery::Body => "BODY",
            Delivery::Cookie => "COOKIE",
        }
    }

    /// What [`Delivery::as_str`] wrote; the body for anything else.
    pub(crate) fn parse(stored: &str) -> Delivery {
        if stored == "COOKIE" {
            Delivery::Cookie
        } else {
            Delivery::Body
        }
    }
}

/// Mints both tokens for `generation` of a session.
pub(crate) fn issue_tokens(
    app: &App,
    session: SessionRecord,
    user: UserRecord,
    now: NaiveDateTime,
) -> Result<IssuedTokens, AppError> {
    let access_token = mint_access(app, &session, &user, now)?;
    let refresh_token = app.refresh_tokens.mint(
        &session.id,
        session.refresh_generation,
        &session.refresh_secret,
    );
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        expires_in_secs: app.access_tokens.ttl.num_seconds(),
        session,
        user,
        device_id: None,
    })
}

/// The token of an `Authorization: Bearer <token>` header; None for anything else.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// Live: the session is open at `now` (neither ended nor expired) and its
/// user may use it. The one rule behind the guard, refresh and a socket's
/// recheck.
pub(crate) fn is_live(session: &SessionState, user: &UserRecord, now: NaiveDateTime) -> bool {
    session.is_open(now) && user.is_active()
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
        // Written off the request path, once however many requests find it
        // stale (see `activity`).
        app.session_checks
            .activity
            .record(&session.id, now, stale_before);
        session.last_active_at = now;
    }
    Ok(Authenticated { user, session })
}

/// Refuses a session that is not live (`SESSION_REVOKED`). An expiry
/// noticed here is stamped for the audit trail.
pub(crate) async fn ensure_live(
    app: &App,
    conn: &mut DbConn,
    session: &SessionState,
    user: &UserRecord,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if session.expired_unstamped(now) {
        let which = Ending::PastExpiry {
            session_id: &session.id,
        };
        end_on(app, conn, &session.user_id, which, EndReason::Expired, now).await?;
    }
    refuse_unless_live(session, user, now)
}

/// `SESSION_REVOKED` for a session that is not live.
fn refuse_unless_live(
    session: &SessionState,
    user: &UserRecord,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if !is_live(session, user, now) {
        return Err(AppError::SessionRevoked);
    }
    Ok(())
}

/// What a session is when read again (a socket's, at its expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// Live, until this expiry (a refresh may have moved it).
    Live { expires_at: NaiveDateTime },
    /// No longer live, for this reason, at this time: the row's end, else
    /// its expiry (now, for an open row whose user is disabled); None when
    /// the row is gone (pruned, so it ended long before).
    Ended(EndReason, Option<NaiveDateTime>),
}

/// Reads a session again and says whether it is still live: a session no
/// longer open says its own end reason (`EXPIRED` when none is stamped, or
/// when the row is gone); an open one whose user is disabled says
/// `USER_DISABLED`. Stamps nothing.
pub(crate) async fn recheck(app: &App, session_id: &str) -> Result<Liveness, AppError> {
    let mut conn = app.pool.get().await?;
    let found = session_rows::find_with_user(&mut conn, session_id).await?;
    let now = app.clock.now();
    let Some((session, user)) = found else {
        return Ok(Liveness::Ended(EndReason::Expired, None));
    };
    let state = session.state();
    if is_live(&state, &user, now) {
        return Ok(Liveness::Live {
            expires_at: session.expires_at,
        });
    }
    Ok(if state.is_open(now) {
        // The row is open: its user's status ends it, found now.
        Liveness::Ended(EndReason::UserDisabled, Some(now))
    } else {
        Liveness::Ended(
            session.end_reason.unwrap_or(EndReason::Expired),
            Some(session.ended_at.unwrap_or(session.expires_at)),
        )
    })
}

/// The open session `session_id` and its user, whoever's it is: callers
/// decide who may see it.
pub(crate) async fn find_open(
    app: &App,
    session_id: &str,
) -> Result<Option<(SessionView, UserRecord)>, AppError> {
    let mut conn = app.pool.get().await?;
    Ok(session_rows::find_open_with_user(&mut conn, session_id, app.clock.now()).await?)
}

/// The user's open sessions, the most recently active first.
pub(crate) async fn list_open(app: &App, user_id: &str) -> Result<Vec<SessionView>, AppError> {
    let mut conn = app.pool.get().await?;
    Ok(session_rows::list_open(&mut conn, user_id, app.clock.now()).await?)
}
