//! Query fields: `me` and `mySessions`.

use async_graphql::{Context, Object};

use crate::auth::sessions;
use crate::graphql::context::parts;
use crate::graphql::types::{Session, User};
use async_graphql::ResultExt;

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// The signed-in user. Needs `Authorization: Bearer <accessToken>`.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let (app, request) = parts(ctx).extend()?;
        let auth = request.authenticated(app).await.extend()?;
        Ok(User(auth.user.clone()))
    }

    /// The signed-in user's sessions that have not ended, the most recently
    /// active first. Needs a bearer token.
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        let (app, request) = parts(ctx).extend()?;
        let auth = request.authenticated(app).await.extend()?;
        let records = sessions::list_open(app, auth).await.extend()?;
        Ok(records
            .into_iter()
            .map(|record| Session {
                current: record.id == auth.session.id,
                record,
            })
            .collect())
    }
}
