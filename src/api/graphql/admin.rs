//! The contract's "Admin" section as the schema shows it: `AdminUser`,
//! `UserPage`, `AuditEntry`, `AccountStatus`, and the queries `users`,
//! `user` and `auditLog`. The rules (who may, paging, search) are in
//! `crate::core::admin`; the mutations are in `admin_mutations`.

use async_graphql::{Context, Enum, ID, Object, ResultExt};

use crate::api::graphql::context::caller;
use crate::api::graphql::scalars::DateTime;
use crate::api::graphql::security_events::SecurityEvent;
use crate::api::graphql::types::{MfaStatus, Session};
use crate::core::admin::directory::{self, Listed};
use crate::core::admin::{self, audit};
use crate::core::{factors, security_events, sessions};
use crate::store::audit_log::AuditRecord;
use crate::vocabulary;

/// Whether a user may sign in (the schema's mirror of the vocabulary's
/// enum, converted variant by variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "AccountStatus", remote = "vocabulary::UserStatus")]
pub(crate) enum AccountStatus {
    Active,
    Disabled,
    /// Signed up; the address is not verified yet.
    Unverified,
}

/// A user as an admin sees it.
pub(crate) struct AdminUser(pub Listed);

#[Object]
impl AdminUser {
    async fn id(&self) -> ID {
        ID(self.0.user.id.clone())
    }

    async fn user_name(&self) -> &str {
        &self.0.user.user_name
    }

    async fn email(&self) -> Option<&str> {
        self.0.user.email.as_deref()
    }

    async fn email_verified(&self) -> bool {
        self.0.user.email_verified_at.is_some()
    }

    async fn role(&self) -> &str {
        &self.0.user.role
    }

    async fn status(&self) -> AccountStatus {
        self.0.user.status.into()
    }

    async fn created_at(&self) -> DateTime {
        self.0.user.created_at.into()
    }

    /// When the user's latest session opened (any way of signing in;
    /// refreshes do not move it). Null when none is on record.
    async fn last_sign_in_at(&self) -> Option<DateTime> {
        self.0.last_sign_in_at.map(Into::into)
    }

    async fn mfa(&self, ctx: &Context<'_>) -> async_graphql::Result<MfaStatus> {
        let (app, _) = caller(ctx).await?;
        let status = factors::status(app, &self.0.user).await.extend()?;
        Ok(MfaStatus(status))
    }

    /// Open sessions, the most recently active first.
    async fn sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        let (app, auth) = caller(ctx).await?;
        let records = sessions::list_open(app, &self.0.user.id).await.extend()?;
        Ok(records
            .into_iter()
            .map(|record| Session {
                current: record.id == auth.session.id,
                record,
                user: self.0.user.clone(),
            })
            .collect())
    }

    /// The user's security events, newest first: at most `first` (1 to
    /// 200), older than the event `before` when given.
    async fn security_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        before: Option<ID>,
    ) -> async_graphql::Result<Vec<SecurityEvent>> {
        let (app, _) = caller(ctx).await?;
        let before = before.as_ref().map(|id| id.as_str());
        let events = security_events::page(app, &self.0.user.id, first, before)
            .await
            .extend()?;
        Ok(events.into_iter().map(SecurityEvent).collect())
    }
}

/// One page of `users`.
pub(crate) struct UserPage(directory::UserPage);

#[Object]
impl UserPage {
    async fn nodes(&self) -> Vec<AdminUser> {
        self.0.users.iter().cloned().map(AdminUser).collect()
    }

    /// The cursor to pass as `after` for the next page; null for an empty
    /// page.
    async fn end_cursor(&self) -> Option<&str> {
        self.0.end_cursor.as_deref()
    }

    async fn has_next_page(&self) -> bool {
        self.0.has_next_page
    }

    /// How many users match, on every page together.
    async fn total_count(&self) -> i32 {
        i32::try_from(self.0.total_count).unwrap_or(i32::MAX)
    }
}

/// One thing an admin did.
pub(crate) struct AuditEntry(AuditRecord);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn at(&self) -> DateTime {
        self.0.at.into()
    }

    async fn actor_id(&self) -> ID {
        ID(self.0.actor_id.clone())
    }

    /// The admin's user name (empty when that account no longer exists).
    async fn actor_name(&self) -> &str {
        self.0.actor_name.as_deref().unwrap_or("")
    }

    /// The admin mutation's name, such as "setUserStatus".
    async fn action(&self) -> &str {
        &self.0.action
    }

    async fn target_user_id(&self) -> Option<ID> {
        self.0.target_user_id.clone().map(ID)
    }

    /// What changed, such as "DISABLED"; never a secret.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    async fn ip_address(&self) -> Option<&str> {
        self.0.ip_address.as_deref()
    }
}

/// The admin queries, merged into `Query`.
#[derive(Default)]
pub(crate) struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Admin only: users whose name or email contains `query` (any letter case),
    /// oldest first; `after` is the previous page's endCursor.
    async fn users(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<UserPage> {
        let (app, auth) = caller(ctx).await?;
        admin::authorize(auth).extend()?;
        let page = directory::users(app, query.as_deref(), first, after.as_deref())
            .await
            .extend()?;
        Ok(UserPage(page))
    }

    /// Admin only: one user, or null when no user has this id.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<AdminUser>> {
        let (app, auth) = caller(ctx).await?;
        admin::authorize(auth).extend()?;
        let found = directory::user(app, &id).await.extend()?;
        Ok(found.map(AdminUser))
    }

    /// Admin only: what admins did, newest first; `before` is the id of the last
    /// entry of the previous page.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        before: Option<ID>,
    ) -> async_graphql::Result<Vec<AuditEntry>> {
        let (app, auth) = caller(ctx).await?;
        admin::authorize(auth).extend()?;
        let before = before.as_ref().map(|id| id.as_str());
        let entries = audit::page(app, first, before).await.extend()?;
        Ok(entries.into_iter().map(AuditEntry).collect())
    }
}
