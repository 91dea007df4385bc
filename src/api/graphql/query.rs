//! Query fields: `me`, `mySessions`, `node` and `myPasskeys`, merged with
//! the security events' (`security_events`) and the admin's (`admin`).

use async_graphql::{Context, ID, MergedObject, Object, ResultExt};

use crate::api::graphql::admin::AdminQuery;
use crate::api::graphql::context::caller;
use crate::api::graphql::node::{self, Node};
use crate::api::graphql::passkeys::Passkey;
use crate::api::graphql::security_events::SecurityEventsQuery;
use crate::api::graphql::types::{Session, User};
use crate::core::passkeys::manage;
use crate::core::sessions;

/// Every query field: the user's and sessions' (here), the security
/// events' and the admin's.
#[derive(MergedObject, Default)]
pub struct Query(UserQuery, SecurityEventsQuery, AdminQuery);

/// The signed-in user, their sessions and passkeys.
#[derive(Default)]
pub(crate) struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user. Needs `Authorization: Bearer <accessToken>`.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let (_, auth) = caller(ctx).await?;
        Ok(User(auth.user.clone()))
    }

    /// The signed-in user's sessions that have not ended, the most recently
    /// active first. Needs a bearer token.
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        let (app, auth) = caller(ctx).await?;
        let records = sessions::list_open(app, &auth.user.id).await.extend()?;
        // Every one of them is the caller's: each carries the caller's user.
        Ok(records
            .into_iter()
            .map(|record| Session {
                current: record.id == auth.session.id,
                record,
                user: auth.user.clone(),
            })
            .collect())
    }

    /// The signed-in user, one of their open sessions, or (for an admin) any
    /// user or open session with this id; null for anything else. Needs a
    /// bearer token.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        node::find(ctx, &id).await
    }

    /// The signed-in user's passkeys, newest first. Needs a bearer token.
    async fn my_passkeys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Passkey>> {
        let (app, auth) = caller(ctx).await?;
        let passkeys = manage::list(app, &auth.user.id).await.extend()?;
        Ok(passkeys.into_iter().map(Passkey).collect())
    }
}
