//! The admin mutations of the contract's "Admin" section: `inviteUser`,
//! `setUserStatus`, `setUserRole`, `endUserSessions`, `resetUserFactors`
//! and `sendPasswordReset`. Each checks its caller with
//! `core::admin::authorize_change` (admin, then recent authentication)
//! before anything else, then calls one function of `crate::core::admin`.

use async_graphql::{Context, ID, Object, ResultExt};

use crate::api::graphql::admin::{AccountStatus, AdminUser};
use crate::api::graphql::context::{caller, parts};
use crate::core::admin::{self, Actor, Admin};
use crate::core::app::AppState;

/// The admin mutations, merged into `Mutation`.
#[derive(Default)]
pub(crate) struct AdminMutations;

/// The app and the admin whose change may go ahead (the guard's, the
/// admin and the recency refusals, in that order).
async fn admin_caller<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a AppState, Admin)> {
    let (app, auth) = caller(ctx).await?;
    let (_, request) = parts(ctx)?;
    let admin = admin::authorize_change(app, auth, &request.client)
        .await
        .extend()?;
    Ok((app, admin))
}

#[Object]
impl AdminMutations {
    /// Admin only: mails an invitation to create an account with this role.
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        email: String,
        #[graphql(default_with = "String::from(\"user\")")] role: String,
    ) -> async_graphql::Result<bool> {
        let (app, admin) = admin_caller(ctx).await?;
        admin::mail::invite(app, Actor::Admin(&admin), &email, &role)
            .await
            .extend()?;
        Ok(true)
    }

    /// Admin only: enables or disables a user; disabling ends every session.
    async fn set_user_status(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        status: AccountStatus,
    ) -> async_graphql::Result<AdminUser> {
        let (app, admin) = admin_caller(ctx).await?;
        let user = admin::status::set_by_admin(app, &admin, &user_id, status.into())
            .await
            .extend()?;
        Ok(AdminUser(user))
    }

    /// Admin only: changes a user's role; it takes effect on the next request.
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role: String,
    ) -> async_graphql::Result<AdminUser> {
        let (app, admin) = admin_caller(ctx).await?;
        let user = admin::role::set_role(app, &admin, &user_id, &role)
            .await
            .extend()?;
        Ok(AdminUser(user))
    }

    /// Admin only: ends one session of a user, or all of them. Returns how many
    /// ended.
    async fn end_user_sessions(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        session_id: Option<ID>,
    ) -> async_graphql::Result<i32> {
        let (app, admin) = admin_caller(ctx).await?;
        let session_id = session_id.as_ref().map(|id| id.as_str());
        let ended = admin::sessions::end_sessions(app, Actor::Admin(&admin), &user_id, session_id)
            .await
            .extend()?;
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }

    /// Admin only: removes the user's TOTP, recovery codes and passkeys, and ends
    /// every session of the user.
    async fn reset_user_factors(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
    ) -> async_graphql::Result<bool> {
        let (app, admin) = admin_caller(ctx).await?;
        admin::factors::reset_factors(app, &admin, &user_id)
            .await
            .extend()?;
        Ok(true)
    }

    /// Admin only: mails the user a password-reset link.
    async fn send_password_reset(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
    ) -> async_graphql::Result<bool> {
        let (app, admin) = admin_caller(ctx).await?;
        admin::mail::send_password_reset(app, &admin, &user_id)
            .await
            .extend()
    }
}
