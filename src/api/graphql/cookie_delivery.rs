//! Where a resolver puts the refresh token: in the answer's body, or in the
//! `authql_refresh` cookie (`Set-Cookie` on the HTTP answer), and when it
//! clears that cookie; and the `authql_device` cookie every sign-in sets.
//!
//! Every `Set-Cookie` is appended, never inserted: an answer may carry
//! both cookies, and inserting one would drop the other. Browsers apply
//! them in order, so of two values for one cookie the last wins, as an
//! insert would have made it.

use async_graphql::{Context, Enum};

use crate::api::graphql::types::AuthPayload;
use crate::core::app::App;
use crate::core::devices::cookie::{self, DeviceId};
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
    let device_id = issued.device_id.clone();
    let payload = deliver_refresh_token(ctx, app, issued, delivery)?;
    if let Some(device_id) = device_id {
        set_device_cookie(ctx, app, &device_id)?;
    }
    Ok(payload)
}

fn deliver_refresh_token(
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
            ctx.append_http_header(axum::http::header::SET_COOKIE, header);
            Ok(AuthPayload::without_refresh_token(issued))
        }
    }
}

/// Tells the browser to drop the refresh cookie: its session has ended.
pub(crate) fn clear(ctx: &Context<'_>, app: &App) {
    if let Some(header) = app.config.browsers.cookie.clear() {
        ctx.append_http_header(axum::http::header::SET_COOKIE, header);
    }
}

/// Sets the device cookie of a sign-in, whatever the client (its 400 days
/// start over when the device brought it).
fn set_device_cookie(ctx: &Context<'_>, app: &App, device_id: &DeviceId) -> Result<(), AppError> {
    let max_age = cookie::COOKIE_LIFETIME.num_seconds();
    let header = app
        .config
        .browsers
        .cookie
        .set_device(device_id.cookie_value(), max_age)
        .ok_or(AppError::internal(InternalCause::Invariant(
            "a device id that cannot go into a cookie",
        )))?;
    ctx.append_http_header(axum::http::header::SET_COOKIE, header);
    Ok(())
}
