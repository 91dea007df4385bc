//! Where a resolver puts the refresh token: in the answer's body, or in the
//! `authql_refresh` cookie (`Set-Cookie` on the HTTP answer), and when it
//! clears that cookie.

use async_graphql::{Context, Enum};

use crate::api::graphql::types::AuthPayload;
use crate::core::app::App;
use crate::core::sessions::IssuedTokens;
use crate::error::{AppError, InternalCause};
use crate::secret::ExposeSecret;

/// Where login puts the refresh token.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum RefreshTokenDelivery {
    /// In the answer, as AuthPayload.refreshToken.
    #[default]
    Body,
    /// In an HttpOnly cookie; AuthPayload.refreshToken is null.
    Cookie,
}

/// Hands out freshly issued tokens the way the client asked for them.
pub(crate) fn deliver(
    ctx: &Context<'_>,
    app: &App,
    issued: IssuedTokens,
    delivery: RefreshTokenDelivery,
) -> Result<AuthPayload, AppError> {
    match delivery {
        RefreshTokenDelivery::Body => Ok(AuthPayload::with_refresh_token(issued)),
        RefreshTokenDelivery::Cookie => {
            let max_age = issued
                .session
                .expires_at
                .signed_duration_since(app.clock.now())
                .num_seconds();
            let cookie = &app.config.browsers.cookie;
            // A token the cookie cannot carry would be lost with the answer.
            let header = cookie
                .set(issued.refresh_token.expose_secret(), max_age)
                .ok_or(AppError::internal(InternalCause::Invariant(
                    "a refresh token that cannot go into a cookie",
                )))?;
            ctx.insert_http_header(axum::http::header::SET_COOKIE, header);
            Ok(AuthPayload::without_refresh_token(issued))
        }
    }
}

/// Tells the browser to drop the refresh cookie: its session has ended.
pub(crate) fn clear(ctx: &Context<'_>, app: &App) {
    if let Some(header) = app.config.browsers.cookie.clear() {
        ctx.insert_http_header(axum::http::header::SET_COOKIE, header);
    }
}
