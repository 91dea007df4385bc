//! Fields of the contract's "Passkeys" section: `beginPasskeyRegistration`,
//! `finishPasskeyRegistration`, `beginPasskeyLogin`, `finishPasskeyLogin`,
//! `renamePasskey`, `removePasskey` (and the `Passkey` type `myPasskeys`
//! lists). The rules are in `crate::core::passkeys`; these resolvers only
//! translate.

use async_graphql::{Context, ID, InputObject, Object, ResultExt, SimpleObject};

use crate::api::graphql::context::{caller, parts};
use crate::api::graphql::cookie_delivery::{self, RefreshTokenDelivery};
use crate::api::graphql::scalars::DateTime;
use crate::api::graphql::types::AuthPayload;
use crate::core::passkeys::registration::{self, Begun};
use crate::core::passkeys::{PasskeyView, manage, sign_in};

/// The mutations of passkeys, merged into `Mutation`.
#[derive(Default)]
pub(crate) struct PasskeyMutations;

/// A ceremony begun: its id and the options for the browser.
#[derive(SimpleObject)]
pub(crate) struct PasskeyOptions {
    /// Names this ceremony; it is single use and expires after five minutes.
    pub challenge_id: ID,
    /// JSON text: PublicKeyCredentialCreationOptionsJSON (registration) or
    /// PublicKeyCredentialRequestOptionsJSON (sign-in) of WebAuthn Level 3.
    pub options: String,
}

impl From<Begun> for PasskeyOptions {
    fn from(begun: Begun) -> PasskeyOptions {
        PasskeyOptions {
            challenge_id: ID(begun.challenge_id),
            options: begun.options_json,
        }
    }
}

/// The authenticator's answer to a registration.
#[derive(InputObject)]
pub(crate) struct FinishPasskeyRegistrationInput {
    pub challenge_id: ID,
    /// JSON text of the RegistrationResponseJSON (credential.toJSON()).
    pub credential: String,
    pub label: Option<String>,
}

/// The authenticator's answer to a sign-in.
#[derive(InputObject)]
pub(crate) struct FinishPasskeyLoginInput {
    pub challenge_id: ID,
    /// JSON text of the AuthenticationResponseJSON (credential.toJSON()).
    pub credential: String,
    pub device_info: Option<String>,
    #[graphql(default)]
    pub refresh_token_delivery: RefreshTokenDelivery,
}

/// One of the user's passkeys.
pub(crate) struct Passkey(pub PasskeyView);

#[Object]
impl Passkey {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn label(&self) -> &str {
        &self.0.label
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// The last sign-in or re-authentication with it.
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at.map(DateTime::from)
    }

    /// True when the authenticator says the credential is backed up (synced).
    async fn backed_up(&self) -> bool {
        self.0.backed_up
    }
}

#[Object]
impl PasskeyMutations {
    /// Starts registering a passkey for the signed-in user. Needs recent
    /// authentication.
    async fn begin_passkey_registration(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<PasskeyOptions> {
        let (app, auth) = caller(ctx).await?;
        let begun = registration::begin(app, auth).await.extend()?;
        Ok(begun.into())
    }

    /// Finishes a registration with the authenticator's answer.
    async fn finish_passkey_registration(
        &self,
        ctx: &Context<'_>,
        input: FinishPasskeyRegistrationInput,
    ) -> async_graphql::Result<Passkey> {
        let (app, auth) = caller(ctx).await?;
        let (_, request) = parts(ctx)?;
        let finish = registration::Finish {
            challenge_id: input.challenge_id.0,
            credential_json: input.credential,
            label: input.label,
        };
        let passkey = registration::finish(app, auth, finish, &request.client)
            .await
            .extend()?;
        Ok(Passkey(passkey))
    }

    /// Starts a sign-in with a passkey (discoverable credentials: no user
    /// name). Needs no bearer token.
    async fn begin_passkey_login(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<PasskeyOptions> {
        let (app, _) = parts(ctx)?;
        let begun = sign_in::begin(app).extend()?;
        Ok(begun.into())
    }

    /// Finishes a passkey sign-in and opens a session.
    async fn finish_passkey_login(
        &self,
        ctx: &Context<'_>,
        input: FinishPasskeyLoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (app, request) = parts(ctx)?;
        let finish = sign_in::Finish {
            challenge_id: input.challenge_id.0,
            credential_json: input.credential,
            device_info: input.device_info,
            delivery: input.refresh_token_delivery.into(),
        };
        let (issued, delivery) = sign_in::finish(app, finish, &request.client)
            .await
            .extend()?;
        cookie_delivery::deliver(ctx, app, issued, delivery.into()).extend()
    }

    /// Renames one of the signed-in user's passkeys.
    async fn rename_passkey(
        &self,
        ctx: &Context<'_>,
        id: ID,
        label: String,
    ) -> async_graphql::Result<Passkey> {
        let (app, auth) = caller(ctx).await?;
        let passkey = manage::rename(app, auth, &id, &label).await.extend()?;
        Ok(Passkey(passkey))
    }

    /// Deletes one of the signed-in user's passkeys. Needs recent
    /// authentication.
    async fn remove_passkey(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let (app, auth) = caller(ctx).await?;
        let (_, request) = parts(ctx)?;
        manage::remove(app, auth, &id, &request.client)
            .await
            .extend()
    }
}
