//! Mutation fields of the contract's "Accounts" section: `signUp`,
//! `verifyEmail`, `requestEmailVerification`, `requestPasswordReset`,
//! `resetPassword` and `changeEmail`. The rules are in
//! `crate::core::accounts`; these resolvers only translate.

use async_graphql::{Context, InputObject, Object, ResultExt, SimpleObject};

use crate::api::graphql::context::{caller, parts};
use crate::api::graphql::cookie_delivery::{self, RefreshTokenDelivery};
use crate::api::graphql::types::AuthPayload;
use crate::core::accounts::sign_up::{SignUpRequest, SignedUp, sign_up};
use crate::core::accounts::{recovery, verification};
use crate::secret::Secret;

/// The mutations of accounts, merged into `Mutation`.
#[derive(Default)]
pub(crate) struct AccountMutations;

/// A new account's name, address and password.
#[derive(InputObject)]
pub(crate) struct SignUpInput {
    pub user_name: String,
    pub email: String,
    pub password: String,
    /// The token of an invitation mail; needed when SIGNUP_MODE is invite.
    pub invite_token: Option<String>,
    pub device_info: Option<String>,
    #[graphql(default)]
    pub refresh_token_delivery: RefreshTokenDelivery,
}

/// What `signUp` answers.
#[derive(SimpleObject)]
pub(crate) struct SignUpPayload {
    /// The first session, when the account is usable at once (an accepted
    /// invitation). Null when a verification mail was sent instead.
    pub auth: Option<AuthPayload>,
    /// True when a mail went to the address given.
    pub verification_sent: bool,
}

/// A reset mail's token and the new password.
#[derive(InputObject)]
pub(crate) struct ResetPasswordInput {
    pub token: String,
    pub new_password: String,
}

#[Object]
impl AccountMutations {
    /// Creates an account, as SIGNUP_MODE allows. See API.md, Accounts.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        input: SignUpInput,
    ) -> async_graphql::Result<SignUpPayload> {
        let (app, request) = parts(ctx)?;
        let sign_up_request = SignUpRequest {
            user_name: input.user_name,
            email: input.email,
            password: Secret::from(input.password),
            invite_token: input.invite_token.map(Secret::from),
            device_info: input.device_info,
        };
        match sign_up(app, sign_up_request, &request.client)
            .await
            .extend()?
        {
            SignedUp::VerificationSent => Ok(SignUpPayload {
                auth: None,
                verification_sent: true,
            }),
            SignedUp::SignedIn(issued) => {
                let auth =
                    cookie_delivery::deliver(ctx, app, *issued, input.refresh_token_delivery)
                        .extend()?;
                Ok(SignUpPayload {
                    auth: Some(auth),
                    verification_sent: false,
                })
            }
        }
    }

    /// Follows the link of a verification mail (sign-up or changeEmail).
    /// Returns true; the address is then verified.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<bool> {
        let (app, request) = parts(ctx)?;
        verification::verify_email(app, &token, &request.client)
            .await
            .extend()
    }

    /// Sends the verification mail again, when an unverified account has this
    /// address. Always true for a well-formed address.
    async fn request_email_verification(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> async_graphql::Result<bool> {
        let (app, _) = parts(ctx)?;
        verification::request_email_verification(app, &email)
            .await
            .extend()
    }

    /// Sends a password-reset mail when a verified account has this address.
    /// Always true for a well-formed address.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> async_graphql::Result<bool> {
        let (app, _) = parts(ctx)?;
        recovery::request_password_reset(app, &email).await.extend()
    }

    /// Sets a new password with the token of a reset mail and ends every session
    /// of the account. Returns true; the user then signs in.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> async_graphql::Result<bool> {
        let (app, request) = parts(ctx)?;
        let new_password = Secret::from(input.new_password);
        recovery::reset_password(app, &input.token, &new_password, &request.client)
            .await
            .extend()
    }

    /// Starts changing the signed-in user's address: a verification mail goes to
    /// the new one, which replaces the old once verified. Needs recent
    /// authentication.
    async fn change_email(
        &self,
        ctx: &Context<'_>,
        new_email: String,
    ) -> async_graphql::Result<bool> {
        let (app, auth) = caller(ctx).await?;
        verification::change_email(app, auth, &new_email)
            .await
            .extend()
    }
}
