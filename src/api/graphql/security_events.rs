//! `SecurityEvent` and `SecurityEventKind` as the schema shows them,
//! `mySecurityEvents`: the caller's own events, newest first (the paging
//! rules live in `crate::core::security_events`), and `reportSignIn`, the
//! new-device alert's link (`crate::core::sessions::report`).

use async_graphql::{Context, Enum, ID, Object, ResultExt};

use crate::api::graphql::context::{caller, parts};
use crate::api::graphql::scalars::DateTime;
use crate::api::graphql::session_event::SessionEndReason;
use crate::core::security_events;
use crate::core::sessions::report;
use crate::store::security_events::SecurityEventRecord;
use crate::vocabulary;

/// What a security event records (the schema's mirror of the vocabulary's
/// enum, converted variant by variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "SecurityEventKind", remote = "vocabulary::SecurityEventKind")]
pub(crate) enum SecurityEventKind {
    SignedIn,
    SignInFailed,
    SessionEnded,
    PasswordChanged,
    PasswordReset,
    EmailVerified,
    EmailChanged,
    TotpEnabled,
    TotpDisabled,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    PasskeyAdded,
    PasskeyRemoved,
    RefreshTokenReused,
    NewDeviceAlertSent,
    SignInReported,
    AdminAction,
}

/// Something that happened to the account.
pub(crate) struct SecurityEvent(pub SecurityEventRecord);

#[Object]
impl SecurityEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn kind(&self) -> SecurityEventKind {
        self.0.kind.into()
    }

    async fn at(&self) -> DateTime {
        self.0.at.into()
    }

    async fn ip_address(&self) -> Option<&str> {
        self.0.ip_address.as_deref()
    }

    async fn device_name(&self) -> Option<&str> {
        self.0.device_name.as_deref()
    }

    async fn session_id(&self) -> Option<ID> {
        self.0.session_id.clone().map(ID)
    }

    /// For SESSION_ENDED: why.
    async fn reason(&self) -> Option<SessionEndReason> {
        self.0.end_reason.map(Into::into)
    }

    /// For SIGNED_IN: "pwd", "pwd otp", "hwk"... ; for ADMIN_ACTION: what the
    /// admin did. Never a secret.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
}

/// The query field of this module, merged into `Query`.
#[derive(Default)]
pub(crate) struct SecurityEventsQuery;

#[Object]
impl SecurityEventsQuery {
    /// The signed-in user's security events, newest first: at most `first`
    /// (1 to 200), older than the event `before` when given. Needs a bearer
    /// token.
    async fn my_security_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        before: Option<ID>,
    ) -> async_graphql::Result<Vec<SecurityEvent>> {
        let (app, auth) = caller(ctx).await?;
        let before = before.as_ref().map(|id| id.as_str());
        let events = security_events::page(app, &auth.user.id, first, before)
            .await
            .extend()?;
        Ok(events.into_iter().map(SecurityEvent).collect())
    }
}

/// The mutation field of this module, merged into `Mutation`.
#[derive(Default)]
pub(crate) struct ReportMutations;

#[Object]
impl ReportMutations {
    /// With the token of a new-device alert's link: ends that session and those
    /// opened since from the same device name and network, and requires a
    /// password reset before the password signs in again. Needs no bearer token.
    async fn report_sign_in(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> async_graphql::Result<bool> {
        let (app, request) = parts(ctx)?;
        report::report_sign_in(app, &token, &request.client)
            .await
            .map(|_| true)
            .extend()
    }
}
