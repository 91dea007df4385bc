//! Mutation fields: login, refresh and the ways to end sessions, merged
//! with the accounts' (`accounts`) and the second factors' (`factors`).

use async_graphql::{Context, ID, InputObject, MergedObject, Object};

use crate::api::graphql::accounts::AccountMutations;
use crate::api::graphql::context::{RefreshCookie, caller, parts};
use crate::api::graphql::cookie_delivery::{self, RefreshTokenDelivery};
use crate::api::graphql::factors::FactorMutations;
use crate::api::graphql::passkeys::PasskeyMutations;
use crate::api::graphql::security_events::ReportMutations;
use crate::api::graphql::types::AuthPayload;
use crate::core::credentials::change_password::{PasswordChange, change_password};
use crate::core::sessions::login::{self, LoginRequest};
use crate::core::sessions::{self, refresh};
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};
use async_graphql::ResultExt;

/// Every mutation field: the sessions' (here), the accounts' and the
/// second factors'.
#[derive(MergedObject, Default)]
pub struct Mutation(
    SessionMutations,
    AccountMutations,
    FactorMutations,
    PasskeyMutations,
    ReportMutations,
);

/// Login, refresh, the ways to end sessions, and the password change.
#[derive(Default)]
pub(crate) struct SessionMutations;

/// The current and the new password of a password change.
#[derive(InputObject)]
pub(crate) struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
    /// End every other session of the user (the default).
    #[graphql(default = true)]
    pub end_other_sessions: bool,
}

/// The credentials and device label of a login.
#[derive(InputObject)]
pub(crate) struct LoginInput {
    pub user_name: String,
    pub password: String,
    /// A label the client chooses for this device, such as "Firefox on Linux".
    pub device_info: Option<String>,
    /// BODY (the default) or COOKIE.
    #[graphql(default)]
    pub refresh_token_delivery: RefreshTokenDelivery,
}

#[Object]
impl SessionMutations {
    /// Checks a user name and password and opens a new session for this device.
    /// Other sessions of the same user stay open.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (app, request) = parts(ctx)?;
        let login_request = LoginRequest {
            user_name: input.user_name,
            password: Secret::from(input.password),
            device_info: input.device_info,
            delivery: input.refresh_token_delivery.into(),
        };
        let issued = login::login(app, login_request, &request.client)
            .await
            .extend()?;
        cookie_delivery::deliver(ctx, app, issued, input.refresh_token_delivery).extend()
    }

    /// Trades a refresh token for a new access token and a new refresh token.
    /// The presented refresh token is used up (rotation). Needs no bearer token.
    /// Without the argument, the refresh cookie is used, and the answer's
    /// refresh token goes into the cookie too.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: Option<String>,
    ) -> async_graphql::Result<AuthPayload> {
        let (app, request) = parts(ctx)?;
        if let Some(token) = refresh_token {
            let issued = refresh::refresh(app, &token, &request.client)
                .await
                .extend()?;
            return Ok(AuthPayload::with_refresh_token(issued));
        }
        let token = match &request.refresh_cookie {
            RefreshCookie::Usable(token) => token,
            RefreshCookie::Absent => {
                return Err(refresh::refused(app, "no refresh token")).extend();
            }
            RefreshCookie::CrossSite => {
                tracing::warn!("refresh cookie sent from an origin that may not use it; refused");
                return Err(refresh::refused(app, "cookie from another site")).extend();
            }
        };
        match refresh::refresh(app, token.expose_secret(), &request.client).await {
            Ok(issued) => {
                cookie_delivery::deliver(ctx, app, issued, RefreshTokenDelivery::Cookie).extend()
            }
            Err(error) => {
                // The cookie's session is over (or the cookie is no token):
                // the browser should stop sending it. An outage ends nothing.
                if matches!(
                    error,
                    AppError::InvalidRefreshToken | AppError::RefreshTokenReused
                ) {
                    cookie_delivery::clear(ctx, app);
                }
                Err(error).extend()
            }
        }
    }

    /// Ends the session of the bearer token. Returns true.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let (app, auth) = caller(ctx).await?;
        let ended = sessions::logout(app, auth).await.extend()?;
        cookie_delivery::clear(ctx, app);
        Ok(ended)
    }

    /// Ends one of the signed-in user's own sessions (the current one too).
    /// Returns true.
    async fn logout_session(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
    ) -> async_graphql::Result<bool> {
        let (app, auth) = caller(ctx).await?;
        let own = session_id.as_str() == auth.session.id;
        let ended = sessions::logout_session(app, auth, &session_id)
            .await
            .extend()?;
        if own {
            cookie_delivery::clear(ctx, app);
        }
        Ok(ended)
    }

    /// Ends every session of the signed-in user, or every one but the caller's
    /// with exceptCurrent. Returns how many sessions were ended.
    async fn logout_all(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] except_current: bool,
    ) -> async_graphql::Result<i32> {
        let (app, auth) = caller(ctx).await?;
        let ended = sessions::logout_all(app, auth, except_current)
            .await
            .extend()?;
        if !except_current {
            cookie_delivery::clear(ctx, app);
        }
        Ok(count(ended))
    }

    /// Changes the signed-in user's password after checking the current one.
    /// Ends the user's other sessions unless endOtherSessions is false; the
    /// caller's session stays open. Returns how many sessions were ended.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> async_graphql::Result<i32> {
        let (app, auth) = caller(ctx).await?;
        let (_, request) = parts(ctx)?;
        let change = PasswordChange {
            current_password: Secret::from(input.current_password),
            new_password: Secret::from(input.new_password),
            end_other_sessions: input.end_other_sessions,
        };
        let ended = change_password(app, auth, change, &request.client)
            .await
            .extend()?;
        Ok(count(ended))
    }
}

/// A number of sessions as the schema's `Int`.
fn count(sessions: usize) -> i32 {
    i32::try_from(sessions).unwrap_or(i32::MAX)
}
