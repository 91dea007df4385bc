//! `refreshToken`: rotation with a grace window and reuse detection.
//!
//! The session row holds the current generation. Presenting generation `g`:
//! - `g` is current: rotate with one compare-and-set to `g + 1`; a caller that
//!   loses the race reads again and lands in the next case.
//! - `g` is the one before, used up within the grace window: answer with the
//!   current token, recomputed, so racing tabs all get the same next token and
//!   the session never forks into two chains.
//! - otherwise a used-up token: the session ends (`REFRESH_TOKEN_REUSED`),
//!   recorded as a `REFRESH_TOKEN_REUSED` event then its `SESSION_ENDED`,
//!   in one transaction. The first two cases write no event.
//!
//! A token whose MAC does not check ends nothing.

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::clock;
use crate::core::metrics::RefreshOutcome;
use crate::core::sessions::{self, EndReason, Ending, IssuedTokens, issue_tokens};
use crate::error::AppError;
use crate::store::security_events::NewSecurityEvent;
use crate::store::sessions as session_rows;
use crate::vocabulary::SecurityEventKind;

/// Compare-and-set attempts before giving up; each lost race means another
/// caller rotated, which the next read sees as the grace case.
const MAX_ATTEMPTS: usize = 4;

/// Trades a refresh token for new tokens.
pub(crate) async fn refresh(
    app: &App,
    presented_token: &str,
    client: &ClientInfo,
) -> Result<IssuedTokens, AppError> {
    let result = exchange(app, presented_token, client).await;
    if let Err(error) = &result {
        app.metrics.refresh(RefreshOutcome::Failed(error.code()));
    }
    result
}

/// A `refreshToken` call that brought no token it may use (no cookie, or a
/// cookie from another site): refused like a made-up token, ending nothing.
pub(crate) fn refused(app: &App, why: &'static str) -> AppError {
    tracing::info!(why, "refresh refused without a token");
    app.metrics.refresh(RefreshOutcome::Failed(
        crate::error::Code::InvalidRefreshToken,
    ));
    AppError::InvalidRefreshToken
}

/// The rules of the module doc; `refresh` counts the outcome.
async fn exchange(
    app: &App,
    presented_token: &str,
    client: &ClientInfo,
) -> Result<IssuedTokens, AppError> {
    let presented = app
        .refresh_tokens
        .parse(presented_token)
        .ok_or(AppError::InvalidRefreshToken)?;
    let mut conn = app.pool.get().await?;
    for _ in 0..MAX_ATTEMPTS {
        let (mut session, user) = session_rows::find_with_user(&mut conn, &presented.session_id)
            .await?
            .ok_or(AppError::InvalidRefreshToken)?;
        if !app
            .refresh_tokens
            .is_authentic(&presented, &session.refresh_secret)
        {
            return Err(AppError::InvalidRefreshToken);
        }
        let now = app.clock.now();
        // An ended or expired session, or a disabled user: the token is dead.
        match sessions::ensure_live(app, &mut conn, &session.state(), &user, now).await {
            Ok(()) => {}
            Err(AppError::SessionRevoked) => return Err(AppError::InvalidRefreshToken),
            Err(other) => return Err(other),
        }
        let current = session.refresh_generation;
        if presented.generation == current {
            let max_expires_at = clock::later(session.created_at, app.config.session_max_lifetime);
            let expires_at = clock::later(now, app.config.refresh_token_ttl).min(max_expires_at);
            if session_rows::rotate(&mut conn, &session.id, current, now, expires_at).await? {
                session.refresh_generation = current + 1;
                session.refreshed_at = Some(now);
                session.last_active_at = now;
                session.expires_at = expires_at;
                tracing::info!(user_id = %user.id, session_id = %session.id, "refresh token rotated");
                app.metrics.refresh(RefreshOutcome::Rotated);
                return issue_tokens(app, session, user, now);
            }
            continue;
        }
        let grace = app.config.refresh_reuse_grace;
        let within_grace = session
            .refreshed_at
            .is_some_and(|rotated_at| now.signed_duration_since(rotated_at) <= grace);
        if presented.generation + 1 == current && within_grace {
            tracing::info!(user_id = %user.id, session_id = %session.id, "refresh token reused within grace");
            app.metrics.refresh(RefreshOutcome::Grace);
            return issue_tokens(app, session, user, now);
        }
        if presented.generation > current {
            // Signed by us for a generation that never was: a restored backup.
            return Err(AppError::InvalidRefreshToken);
        }
        let which = Ending::One {
            session_id: &session.id,
            user_id: &user.id,
        };
        let reason = EndReason::RefreshReuse;
        // Who presented the used-up token, on the session's device: its
        // address is the one worth seeing.
        let reused = NewSecurityEvent {
            ip_address: client.ip_address.map(|ip| ip.to_string()),
            device_name: Some(session.device_name.clone()),
            session_id: Some(session.id.clone()),
            ..NewSecurityEvent::new(SecurityEventKind::RefreshTokenReused, &user.id, now)
        };
        sessions::end_recorded(app, &mut conn, &user.id, which, reason, now, Some(&reused)).await?;
        tracing::warn!(user_id = %user.id, session_id = %session.id, "refresh token reuse detected: session ended");
        app.metrics.refresh_reuse_detected.inc();
        return Err(AppError::RefreshTokenReused);
    }
    Err(AppError::internal(crate::error::InternalCause::Invariant(
        "refresh lost the rotation race repeatedly",
    )))
}
