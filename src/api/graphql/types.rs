//! The output types of the contract: `User` (with `MfaStatus`), `Session`,
//! `AuthPayload`.

use async_graphql::{Context, ID, Object, ResultExt};

use crate::api::graphql::context::parts;
use crate::api::graphql::scalars::DateTime;
use crate::core::factors::{self, amr::Amr};
use crate::core::sessions::IssuedTokens;
use crate::secret::ExposeSecret;
use crate::store::sessions::SessionView;
use crate::store::users::UserRecord;

/// A person who can log in.
pub(crate) struct User(pub UserRecord);

#[Object]
impl User {
    // Visible to the `Node` interface, which resolves `id` through it.
    pub(crate) async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn user_name(&self) -> &str {
        &self.0.user_name
    }

    async fn role(&self) -> &str {
        &self.0.role
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// Null for an account created without one.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn email_verified(&self) -> bool {
        self.0.email_verified_at.is_some()
    }

    /// The user's second factors.
    async fn mfa(&self, ctx: &Context<'_>) -> async_graphql::Result<MfaStatus> {
        let (app, _) = parts(ctx)?;
        let status = factors::status(app, &self.0).await.extend()?;
        Ok(MfaStatus(status))
    }
}

/// A user's second factors.
pub(crate) struct MfaStatus(pub(crate) factors::MfaStatus);

#[Object]
impl MfaStatus {
    /// Whether TOTP is on: signing in then takes a code too.
    async fn totp(&self) -> bool {
        self.0.totp
    }

    /// How many recovery codes are still unused.
    async fn recovery_codes_left(&self) -> i32 {
        i32::try_from(self.0.recovery_codes_left).unwrap_or(i32::MAX)
    }

    /// How many passkeys the user has.
    async fn passkeys(&self) -> i32 {
        i32::try_from(self.0.passkeys).unwrap_or(i32::MAX)
    }
}

/// One device's login, with its user (which every request that shows a
/// session already holds: the caller, or the payload's user).
pub(crate) struct Session {
    pub record: SessionView,
    pub current: bool,
    pub user: UserRecord,
}

#[Object]
impl Session {
    /// Opaque and unguessable; never a counter.
    pub(crate) async fn id(&self) -> ID {
        ID(self.record.id.clone())
    }

    /// True for the session of the bearer token that made this request.
    async fn current(&self) -> bool {
        self.current
    }

    async fn device_info(&self) -> Option<&str> {
        self.record.device_info.as_deref()
    }

    /// The client's address as the server saw it (see the API notes on proxies).
    async fn ip_address(&self) -> Option<&str> {
        self.record.ip_address.as_deref()
    }

    async fn user_agent(&self) -> Option<&str> {
        self.record.user_agent.as_deref()
    }

    /// When the session was opened by login.
    async fn created_at(&self) -> DateTime {
        self.record.created_at.into()
    }

    /// When the session was last used by a request or a refresh (may lag real
    /// time by up to a minute).
    async fn last_active_at(&self) -> DateTime {
        self.record.last_active_at.into()
    }

    /// When the session ends if its refresh token is not used before then.
    async fn expires_at(&self) -> DateTime {
        self.record.expires_at.into()
    }

    async fn user(&self) -> User {
        User(self.user.clone())
    }

    /// deviceInfo when the client gave one, else a name made from the
    /// User-Agent (and client hints), such as "Firefox on Linux".
    async fn device_name(&self) -> &str {
        &self.record.device_name
    }

    /// Authenticator assurance level: 2 when two kinds of factor (or a passkey
    /// with user verification) proved this session, else 1.
    async fn aal(&self) -> i32 {
        self.record.aal
    }

    /// How the session was authenticated, as RFC 8176 names it: "pwd", "otp",
    /// "hwk", "mfa".
    async fn amr(&self) -> Vec<&'static str> {
        Amr::from_column(&self.record.amr).names()
    }

    /// When a credential was last proved in this session (login, completeLogin,
    /// a passkey, or reauthenticate).
    async fn authenticated_at(&self) -> DateTime {
        self.record.authenticated_at.into()
    }
}

/// Tokens for a session, with the session and its user.
pub(crate) struct AuthPayload {
    issued: IssuedTokens,
    /// False when the refresh token went into the cookie instead.
    refresh_token_in_body: bool,
}

impl AuthPayload {
    pub(crate) fn with_refresh_token(issued: IssuedTokens) -> Self {
        AuthPayload {
            issued,
            refresh_token_in_body: true,
        }
    }

    pub(crate) fn without_refresh_token(issued: IssuedTokens) -> Self {
        AuthPayload {
            issued,
            refresh_token_in_body: false,
        }
    }
}

#[Object]
impl AuthPayload {
    /// A signed JWT to send as `Authorization: Bearer <accessToken>`.
    async fn access_token(&self) -> &str {
        self.issued.access_token.expose_secret()
    }

    /// Opaque. Send it to refreshToken once; the answer holds the next one.
    /// Null when the refresh token was set as a cookie instead.
    async fn refresh_token(&self) -> Option<&str> {
        self.refresh_token_in_body
            .then(|| self.issued.refresh_token.expose_secret())
    }

    /// Always "Bearer".
    async fn token_type(&self) -> &'static str {
        "Bearer"
    }

    /// Seconds until accessToken expires.
    async fn expires_in(&self) -> i64 {
        self.issued.expires_in_secs
    }

    /// When the refresh token stops working if it is not used before then.
    async fn refresh_token_expires_at(&self) -> DateTime {
        self.issued.session.expires_at.into()
    }

    /// The session these tokens belong to.
    async fn session(&self) -> Session {
        Session {
            record: self.issued.session.view(),
            current: true,
            user: self.issued.user.clone(),
        }
    }

    async fn user(&self) -> User {
        User(self.issued.user.clone())
    }
}
