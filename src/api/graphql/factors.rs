//! Mutation fields of the contract's "Second factors and assurance"
//! section: `completeLogin`, `reauthenticate`, `enrollTotp`, `confirmTotp`,
//! `disableTotp` and `regenerateRecoveryCodes`. The rules are in
//! `crate::core::factors`; these resolvers only translate.

use async_graphql::{Context, InputObject, Object, ResultExt, SimpleObject};

use crate::api::graphql::context::{caller, parts};
use crate::api::graphql::cookie_delivery::{self, RefreshTokenDelivery};
use crate::api::graphql::passkeys::FinishPasskeyLoginInput;
use crate::api::graphql::types::{AuthPayload, Session};
use crate::core::factors::enrolment;
use crate::core::factors::proof::SecondFactor;
use crate::core::factors::recent::{self, Proof};
use crate::core::factors::second_step::{self, CompleteLogin};
use crate::core::sessions::Delivery;
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};

/// The mutations of second factors, merged into `Mutation`.
#[derive(Default)]
pub(crate) struct FactorMutations;

/// The second step of a login.
#[derive(InputObject)]
pub(crate) struct CompleteLoginInput {
    /// extensions.mfaToken of the MFA_REQUIRED error that login answered.
    pub mfa_token: String,
    /// A six-digit code from the TOTP app. Give exactly one of code and
    /// recoveryCode.
    pub code: Option<String>,
    pub recovery_code: Option<String>,
}

/// A credential proved again in the current session.
#[derive(InputObject)]
pub(crate) struct ReauthenticateInput {
    /// Give exactly one of password, code, recoveryCode and passkey.
    pub password: Option<String>,
    pub code: Option<String>,
    pub recovery_code: Option<String>,
    pub passkey: Option<FinishPasskeyLoginInput>,
}

/// What `reauthenticate` answers.
#[derive(SimpleObject)]
pub(crate) struct ReauthPayload {
    pub access_token: String,
    pub expires_in: i64,
    pub session: Session,
}

/// A TOTP secret just enrolled.
#[derive(SimpleObject)]
pub(crate) struct TotpEnrollment {
    /// The shared secret in base32 (RFC 4648, no padding), for typing by hand.
    pub secret: String,
    /// otpauth://totp/... for a QR code.
    pub otpauth_uri: String,
}

/// Exactly one of a code and a recovery code.
fn one_factor(
    code: Option<String>,
    recovery_code: Option<String>,
) -> Result<SecondFactor, AppError> {
    match (code, recovery_code) {
        (Some(code), None) => Ok(SecondFactor::Code(Secret::from(code))),
        (None, Some(code)) => Ok(SecondFactor::RecoveryCode(Secret::from(code))),
        _ => Err(AppError::BadUserInput(
            "give exactly one of code and recoveryCode".into(),
        )),
    }
}

fn shown(codes: Vec<Secret>) -> Vec<String> {
    codes
        .iter()
        .map(|code| code.expose_secret().to_owned())
        .collect()
}

impl From<RefreshTokenDelivery> for Delivery {
    fn from(delivery: RefreshTokenDelivery) -> Delivery {
        match delivery {
            RefreshTokenDelivery::Body => Delivery::Body,
            RefreshTokenDelivery::Cookie => Delivery::Cookie,
        }
    }
}

impl From<Delivery> for RefreshTokenDelivery {
    fn from(delivery: Delivery) -> RefreshTokenDelivery {
        match delivery {
            Delivery::Body => RefreshTokenDelivery::Body,
            Delivery::Cookie => RefreshTokenDelivery::Cookie,
        }
    }
}

#[Object]
impl FactorMutations {
    /// Finishes a login that answered MFA_REQUIRED, with a TOTP code or a
    /// recovery code, and opens the session.
    async fn complete_login(
        &self,
        ctx: &Context<'_>,
        input: CompleteLoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (app, request) = parts(ctx)?;
        let factor = one_factor(input.code, input.recovery_code).extend()?;
        let complete = CompleteLogin {
            mfa_token: Secret::from(input.mfa_token),
            factor,
        };
        let (issued, delivery) = second_step::complete_login(app, complete, &request.client)
            .await
            .extend()?;
        cookie_delivery::deliver(ctx, app, issued, delivery.into()).extend()
    }

    /// Proves a credential again inside the current session, for operations that
    /// need recent authentication. Returns a fresh access token for the session.
    async fn reauthenticate(
        &self,
        ctx: &Context<'_>,
        input: ReauthenticateInput,
    ) -> async_graphql::Result<ReauthPayload> {
        let (app, auth) = caller(ctx).await?;
        let (_, request) = parts(ctx)?;
        let proof = match (
            input.password,
            input.code,
            input.recovery_code,
            input.passkey,
        ) {
            (Some(password), None, None, None) => Proof::Password(Secret::from(password)),
            (None, Some(code), None, None) => Proof::Factor(SecondFactor::Code(Secret::from(code))),
            (None, None, Some(code), None) => {
                Proof::Factor(SecondFactor::RecoveryCode(Secret::from(code)))
            }
            // The sign-in input's deviceInfo and delivery mean nothing here:
            // the session is the caller's.
            (None, None, None, Some(passkey)) => Proof::Passkey {
                challenge_id: passkey.challenge_id.0,
                credential_json: passkey.credential,
            },
            _ => {
                return Err(AppError::BadUserInput(
                    "give exactly one of password, code, recoveryCode and passkey".into(),
                ))
                .extend();
            }
        };
        let done = recent::reauthenticate(app, auth, proof, &request.client)
            .await
            .extend()?;
        Ok(ReauthPayload {
            access_token: done.access_token.expose_secret().to_owned(),
            expires_in: done.expires_in_secs,
            session: Session {
                record: done.session.view(),
                current: true,
                user: auth.user.clone(),
            },
        })
    }

    /// Starts adding a TOTP authenticator app. Needs recent authentication.
    async fn enroll_totp(&self, ctx: &Context<'_>) -> async_graphql::Result<TotpEnrollment> {
        let (app, auth) = caller(ctx).await?;
        let enrolment = enrolment::enroll(app, auth).await.extend()?;
        Ok(TotpEnrollment {
            secret: enrolment.secret.expose_secret().to_owned(),
            otpauth_uri: enrolment.otpauth_uri.expose_secret().to_owned(),
        })
    }

    /// Turns the enrolled TOTP on with a first code from the app. Returns the
    /// ten recovery codes, shown this once.
    async fn confirm_totp(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Vec<String>> {
        let (app, auth) = caller(ctx).await?;
        let (_, request) = parts(ctx)?;
        let codes = enrolment::confirm(app, auth, Secret::from(code), &request.client)
            .await
            .extend()?;
        Ok(shown(codes))
    }

    /// Turns TOTP off and deletes the recovery codes. Needs recent
    /// authentication at assurance level 2.
    async fn disable_totp(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let (app, auth) = caller(ctx).await?;
        let (_, request) = parts(ctx)?;
        enrolment::disable(app, auth, &request.client)
            .await
            .extend()
    }

    /// Replaces the recovery codes with ten new ones. Needs recent
    /// authentication at assurance level 2.
    async fn regenerate_recovery_codes(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<String>> {
        let (app, auth) = caller(ctx).await?;
        let (_, request) = parts(ctx)?;
        let codes = enrolment::regenerate_codes(app, auth, &request.client)
            .await
            .extend()?;
        Ok(shown(codes))
    }
}
